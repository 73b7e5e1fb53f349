import type { MessageView } from "../iso8583/message-view.ts";
import { requestPan } from "../iso8583/validate.ts";
import type { AuthorizationRequest } from "../domain/authorization.ts";
import { messageKind } from "../domain/message-kinds.ts";
import { originalKeyFromDe90, transactionKey } from "./transaction-key.ts";

/**
 * The plain request the ledger decides, taken from a decoded (and validated) message. Absent numbers
 * become -1 (amount) or 0 (currency), which the rules answer with 30 (format error).
 *
 * Rules of interpretation that the simulator and the tests follow:
 * - Expiry: DE 14 when present, else the four digits after the separator of track 2 (DE 35) — read for
 *   requests (0100/0101/0200) only. A reversal or an advice reports what already happened; the card's
 *   expiry has no use there, so it is left out and cannot turn the message into a format error (the
 *   extra-field rule of src/iso8583/validate.ts).
 * - Reversals find their original by DE 90; without DE 90, by their own DE 32/11/7 as an 01xx key.
 * - DE 95 (replacement amounts): its first 12 digits, the actual transaction amount, are what stays
 *   authorized after the reversal; absent, the reversal is a full one.
 * - Partial approval (response 10) is allowed only when DE 60 has at least 12 digits and the 12th — the
 *   position of Visa's field 60.10, the partial authorization indicator — is "1". DE 60 is read as text in
 *   the ASCII profiles and as hex digits in visa-base1 (where it is binary), so DE 60 = "000000000001"
 *   allows partial approval in every profile. Without that indicator a short balance is declined with 51.
 */
export function requestFromView(view: MessageView, receivedAtMs: number): AuthorizationRequest {
  const mti = view.mti;
  const text = (field: number): string | null => (view.has(field) ? view.string(field) : null);
  const { acquirer, stan, transmissionDateTime } = keyFields(view);
  const key = transactionKey({ mti, acquirer, stan, transmissionDateTime });
  const kind = messageKind(mti);
  const isReversal = kind === "reversal";
  const isRequest = kind === "authorization" || kind === "financial";
  return {
    mti,
    key,
    pan: requestPan(view) ?? "",
    processingCode: text(3) ?? "",
    amount: view.has(4) ? view.integer(4) : -1,
    currency: view.has(49) ? view.integer(49) : 0,
    billingAmount: view.has(6) ? view.integer(6) : null,
    billingCurrency: view.has(51) ? view.integer(51) : null,
    expiry: isRequest ? (text(14) ?? trackExpiry(text(35))) : null,
    transmissionDateTime,
    stan,
    acquirer,
    retrievalReference: text(37),
    merchantCategory: text(18),
    terminalId: text(41),
    merchantId: text(42),
    merchantNameLocation: text(43),
    originalKey: isReversal ? originalKeyOf(view, { acquirer, stan, transmissionDateTime }) : null,
    replacementAmount: isReversal ? replacementAmount(text(95)) : null,
    networkResponseCode: kind === "advice" ? text(39) : null,
    networkApprovalCode: kind === "advice" ? text(38) : null,
    partialAllowed: partialAllowedByDe60(text(60)),
    receivedAtMs,
  };
}

/**
 * A decoded message's transaction key (src/authorize/transaction-key.ts): how logs name a transaction, never
 * by card data. Absent fields are empty, as in requestFromView.
 */
export function transactionKeyOfView(view: MessageView): string {
  return transactionKey({ mti: view.mti, ...keyFields(view) });
}

function keyFields(view: MessageView): { acquirer: string; stan: string; transmissionDateTime: string } {
  const text = (field: number): string => (view.has(field) ? view.string(field) : "");
  return { acquirer: text(32), stan: text(11), transmissionDateTime: text(7) };
}

function originalKeyOf(view: MessageView, own: { acquirer: string; stan: string; transmissionDateTime: string }): string {
  const fromDe90 = view.has(90) ? originalKeyFromDe90(view.string(90)) : null;
  return fromDe90 ?? transactionKey({ mti: 100, ...own });
}

/** YYMM after the separator of track 2 data ("PAN=YYMM…"), when it is there. */
export function trackExpiry(track2: string | null): string | null {
  if (track2 === null) return null;
  const match = /^\d{1,19}[=D](\d{4})/.exec(track2);
  return match ? match[1]! : null;
}

export function replacementAmount(de95: string | null): number | null {
  if (de95 === null || de95.length < 12) return null;
  const actual = de95.slice(0, 12);
  return /^\d{12}$/.test(actual) ? Number(actual) : null;
}

const PARTIAL_INDICATOR_POSITION = 11; // zero-based: the 12th digit

export function partialAllowedByDe60(de60: string | null): boolean {
  return de60 !== null && de60.length > PARTIAL_INDICATOR_POSITION && de60[PARTIAL_INDICATOR_POSITION] === "1";
}
