import type { MessageBuilder } from "../iso8583/message-builder.ts";
import type { MessageView } from "../iso8583/message-view.ts";
import { beginResponse } from "../iso8583/response.ts";
import type { AuthorizationDecision, ResponseCode } from "../ledger/ledger.ts";

/** An answer that needs no ledger: a decline or error code with the request's fields echoed. */
export function buildCodeOnlyResponse(builder: MessageBuilder, request: MessageView, code: ResponseCode): MessageBuilder {
  return beginResponse(builder, request).set(39, code);
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
