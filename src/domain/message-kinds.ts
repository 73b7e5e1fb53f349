/**
 * The request MTIs Sekisho authorizes, one row each; every list of them in the program is derived from
 * this table.
 * - kind: what the request asks for, and so how the ledger decides and records it.
 * - keyClass: the class part of its transaction key. The MTI's first two digits: an 0100, its 0101 repeat
 *   and its 0120 advice share a key ("01"), an 0200 and its 0201 repeat share one ("02"), a reversal has
 *   one of its own ("04").
 * - validation: the content rule the message must pass before it is queued (src/iso8583/validate.ts):
 *   "request" checks every field present, "advice" and "reversal" skip the fields they have no use for.
 * - repeatOf: a repeat (the acquirer sending again, unanswered) names the MTI it repeats; it is decided as
 *   that MTI and finds its first answer through the shared key.
 */
export type MessageKind = "authorization" | "advice" | "financial" | "reversal";
export type ValidationRuleKey = "request" | "advice" | "reversal";

export interface MessageType {
  readonly kind: MessageKind;
  readonly keyClass: string;
  readonly validation: ValidationRuleKey;
  readonly repeatOf: number | null;
}

export const MESSAGE_TYPES: ReadonlyMap<number, MessageType> = new Map<number, MessageType>([
  [100, { kind: "authorization", keyClass: "01", validation: "request", repeatOf: null }],
  [101, { kind: "authorization", keyClass: "01", validation: "request", repeatOf: 100 }],
  [120, { kind: "advice", keyClass: "01", validation: "advice", repeatOf: null }],
  [121, { kind: "advice", keyClass: "01", validation: "advice", repeatOf: 120 }],
  [200, { kind: "financial", keyClass: "02", validation: "request", repeatOf: null }],
  [201, { kind: "financial", keyClass: "02", validation: "request", repeatOf: 200 }],
  [400, { kind: "reversal", keyClass: "04", validation: "reversal", repeatOf: null }],
  [401, { kind: "reversal", keyClass: "04", validation: "reversal", repeatOf: 400 }],
  [420, { kind: "reversal", keyClass: "04", validation: "reversal", repeatOf: null }],
  [421, { kind: "reversal", keyClass: "04", validation: "reversal", repeatOf: 420 }],
]);

/** The MTIs that go to the ledger, in ascending order. */
export const AUTHORIZED_MTIS: ReadonlySet<number> = new Set([...MESSAGE_TYPES.keys()].sort((a, b) => a - b));

/** What a request MTI asks for; null for MTIs the ledger does not decide. */
export function messageKind(mti: number): MessageKind | null {
  return MESSAGE_TYPES.get(mti)?.kind ?? null;
}
