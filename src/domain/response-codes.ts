/**
 * The ISO 8583 response codes Sekisho gives (DE 39), one row each: what the code means, and the reason the
 * Processor API shows for a declined transaction that stored none of its own. Every list of codes in the
 * program is derived from this table.
 */
export const RESPONSE_CODES = {
  "00": { meaning: "approved", declineReason: null },
  "10": { meaning: "partial approval", declineReason: null },
  "05": { meaning: "do not honour", declineReason: "do_not_honour" },
  "12": { meaning: "invalid transaction", declineReason: "invalid_transaction" },
  "13": { meaning: "invalid amount", declineReason: "invalid_amount" },
  "14": { meaning: "no such card", declineReason: "no_such_card" },
  "30": { meaning: "format error", declineReason: "format_error" },
  "41": { meaning: "lost card", declineReason: "card_lost" },
  "43": { meaning: "stolen card", declineReason: "card_stolen" },
  "46": { meaning: "closed account", declineReason: "card_closed" },
  "51": { meaning: "insufficient funds", declineReason: "insufficient_funds" },
  "54": { meaning: "expired card", declineReason: "card_expired" },
  "57": { meaning: "not permitted to cardholder", declineReason: "not_permitted" },
  "61": { meaning: "over amount limit", declineReason: "over_amount_limit" },
  "62": { meaning: "restricted (suspended)", declineReason: "card_suspended" },
  "65": { meaning: "over frequency limit", declineReason: "over_frequency_limit" },
  "91": { meaning: "issuer unavailable", declineReason: "issuer_unavailable" },
  "96": { meaning: "system malfunction", declineReason: "system_malfunction" },
} as const satisfies Record<string, { readonly meaning: string; readonly declineReason: string | null }>;

export type ResponseCode = keyof typeof RESPONSE_CODES;

/** The codes that approve (all or part of the amount): the ones without a decline reason. */
export type ApprovalResponseCode = {
  [Code in ResponseCode]: (typeof RESPONSE_CODES)[Code]["declineReason"] extends null ? Code : never;
}[ResponseCode];

/** Ascending ("00" first: Object.keys would put the codes without a leading zero first). */
export const RESPONSE_CODE_LIST: readonly ResponseCode[] = (Object.keys(RESPONSE_CODES) as ResponseCode[]).sort();

export const APPROVAL_RESPONSE_CODES: ReadonlySet<string> = new Set(
  RESPONSE_CODE_LIST.filter((code) => RESPONSE_CODES[code].declineReason === null),
);

/** One of the codes Sekisho gives (a network's DE 39 may hold others). */
export function isResponseCode(code: string): code is ResponseCode {
  return Object.hasOwn(RESPONSE_CODES, code);
}

/** 00 or 10. Takes any DE 39, ours or a network's. */
export function isApproval(code: string | null): boolean {
  return code !== null && APPROVAL_RESPONSE_CODES.has(code);
}
