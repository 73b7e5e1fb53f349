import type { ResponseCode } from "./response-codes.ts";

/**
 * Card statuses, one row each: whether the status is final (a card never leaves it), and the response
 * code an authorization on such a card is declined with. The SQL CHECK on cards.status in both ledgers'
 * schemas lists the same statuses (test/domain/schema-tables.test.ts compares them).
 */
export const CARD_STATUS_TABLE = {
  active: { terminal: false, declineCode: null },
  suspended: { terminal: false, declineCode: "62" },
  lost: { terminal: true, declineCode: "41" },
  stolen: { terminal: true, declineCode: "43" },
  closed: { terminal: true, declineCode: "46" },
} as const satisfies Record<string, { readonly terminal: boolean; readonly declineCode: ResponseCode | null }>;

export type CardStatus = keyof typeof CARD_STATUS_TABLE;

/** In the table's order: active, suspended, lost, stolen, closed. */
export const CARD_STATUSES = Object.keys(CARD_STATUS_TABLE) as [CardStatus, ...CardStatus[]];

/** Lost, stolen and closed: final. */
export const TERMINAL_CARD_STATUSES: readonly CardStatus[] = CARD_STATUSES.filter((status) => CARD_STATUS_TABLE[status].terminal);

export function isCardStatus(value: string): value is CardStatus {
  return Object.hasOwn(CARD_STATUS_TABLE, value);
}
