import type { MessageBuilder } from "../iso8583/message-builder.ts";
import type { MessageView } from "../iso8583/message-view.ts";
import { beginResponse } from "../iso8583/response.ts";
import type { AuthorizationDecision } from "../domain/authorization.ts";
import type { ResponseCode } from "../domain/response-codes.ts";

/** An answer that needs no ledger: a decline or error code with the request's fields echoed. */
export function buildCodeOnlyResponse(builder: MessageBuilder, request: MessageView, code: ResponseCode): MessageBuilder {
  return beginResponse(builder, request).set(39, code);
}

/**
 * DE 7, 11 and 32 are what the acquirer matches an answer to its request by (with the MTI, they make the
 * transaction key). A request that did not decode still gets them back as received, even when their
 * content breaks their encoding — the answer is useless to the acquirer without them.
 */
const IDENTIFYING_FIELDS: readonly number[] = [7, 11, 32];

/**
 * 30 (format error) to a request that did not decode, after MessageView.locate(): the fields that decoded
 * cleanly are echoed as in any answer; of the broken ones, only the identifying fields, as received. A
 * field whose length could not be read (a bad prefix, a value past the end of the frame) was never
 * located — there are no bytes we could echo — and stays out of the answer.
 */
export function buildUndecodableResponse(builder: MessageBuilder, request: MessageView): MessageBuilder {
  beginResponse(builder, request);
  for (let i = 0; i < IDENTIFYING_FIELDS.length; i++) builder.copyAsReceived(request, IDENTIFYING_FIELDS[i]!);
  return builder.set(39, "30");
}

/** DE 54: account type 00, amount type 02 (available balance), currency, C/D, 12 digits. */
export function availableBalanceField(currency: number, amount: number): string {
  const sign = amount < 0 ? "D" : "C";
  return "0002" + String(currency).padStart(3, "0") + sign + String(Math.abs(amount)).padStart(12, "0");
}

export function buildDecisionResponse(
  builder: MessageBuilder,
  request: MessageView,
  decision: AuthorizationDecision,
): MessageBuilder {
  beginResponse(builder, request).set(39, decision.responseCode);
  if (decision.approvalCode !== null) builder.set(38, decision.approvalCode);
  if (decision.responseCode === "10" && decision.approvedAmount !== null) builder.setInteger(4, decision.approvedAmount);
  if (decision.availableBalance !== null) {
    builder.set(54, availableBalanceField(decision.accountCurrency ?? 0, decision.availableBalance));
  }
  return builder;
}
