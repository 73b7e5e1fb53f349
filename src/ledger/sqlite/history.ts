import { decodeCursor, encodeCursor, isoTime, sequenceId } from "../ids.ts";
import { LedgerError, type ResponseCode, type TransactionKind, type TransactionRecord } from "../ledger.ts";
import { requireUser } from "./cardholders.ts";
import type { SqliteContext } from "./context.ts";

/**
 * An account's history, newest first, by walking the chain of prev_seq from the account's newest row.
 * A cursor is the next row's sequence, so pages stay stable while new transactions arrive.
 */
export const PAGE_LIMIT_MAX = 500;

interface HistoryRow {
  seq: number;
  kind: TransactionKind;
  account_seq: number | null;
  prev_seq: number | null;
  card_id: string | null;
  pan_masked: string | null;
  amount_minor: number | null;
  request_amount_minor: number | null;
  approved_amount_minor: number | null;
  account_currency: number | null;
  request_currency: number | null;
  response_code: ResponseCode | null;
  approval_code: string | null;
  status: string;
  reason: string | null;
  merchant_name_location: string | null;
  merchant_category: string | null;
  created_at_ms: number;
}

const HISTORY_ROW = `SELECT t.seq, t.kind, t.account_seq, t.prev_seq, c.id AS card_id, c.pan_masked, t.amount_minor,
  t.request_amount_minor, t.approved_amount_minor, t.account_currency, t.request_currency, t.response_code,
  t.approval_code, t.status, t.reason, t.merchant_name_location, t.merchant_category, t.created_at_ms
  FROM transactions t LEFT JOIN cards c ON c.seq = t.card_seq WHERE t.seq = ?`;

export function listTransactions(
  ctx: SqliteContext,
  userId: string,
  page: { limit: number; cursor?: string | null },
): { items: TransactionRecord[]; nextCursor: string | null } {
  if (!(Number.isInteger(page.limit) && page.limit >= 1 && page.limit <= PAGE_LIMIT_MAX)) {
    throw new LedgerError("invalid_input", `limit must be an integer from 1 to ${PAGE_LIMIT_MAX}`);
  }
  const { account } = requireUser(ctx, userId);
  let next: number | null = page.cursor ? decodeCursor(page.cursor) : account.head;
  const statement = ctx.db.query(HISTORY_ROW);
  const items: TransactionRecord[] = [];
  while (next !== null && items.length < page.limit) {
    const row = statement.get(next) as HistoryRow | null;
    if (row === null || row.account_seq !== account.seq) {
      if (items.length === 0) throw new LedgerError("invalid_input", "cursor does not belong to this user's history");
      throw new Error(`assertion: history chain of account ${account.seq} leaves it at ${next}`);
    }
    items.push(recordOf(row));
    next = row.prev_seq;
  }
  return { items, nextCursor: next === null ? null : encodeCursor(next) };
}

function recordOf(row: HistoryRow): TransactionRecord {
  return {
    id: sequenceId("txn", row.seq),
    kind: row.kind,
    cardId: row.card_id,
    panMasked: row.pan_masked,
    amount: row.amount_minor ?? row.request_amount_minor ?? 0,
    currency: row.account_currency ?? row.request_currency ?? 0,
    approvedAmount: row.approved_amount_minor,
    responseCode: row.response_code,
    approvalCode: row.approval_code,
    status: row.status,
    reason: row.reason,
    merchantNameLocation: row.merchant_name_location,
    merchantCategory: row.merchant_category,
    createdAt: isoTime(row.created_at_ms),
  };
}
