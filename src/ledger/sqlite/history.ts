import { decodeCursor, encodeCursor } from "../ids.ts";
import { LedgerError, type TransactionRecord } from "../ledger.ts";
import { checkPageLimit, HISTORY_COLUMNS, HISTORY_JOINS, historyRecordOf, type HistoryRow } from "../views.ts";
import { requireUser } from "./cardholders.ts";
import type { SqliteContext } from "./context.ts";
import { AssertionFailure } from "../../ops/assert.ts";

/**
 * An account's history, newest first, by walking the chain of prev_seq from the account's newest row.
 * A cursor is the next row's sequence, so pages stay stable while new transactions arrive.
 */
const HISTORY_ROW = `SELECT ${HISTORY_COLUMNS} FROM transactions_now t ${HISTORY_JOINS} WHERE t.seq = ?`;

export function listTransactions(
  ctx: SqliteContext,
  userId: string,
  page: { limit: number; cursor?: string | null },
): { items: TransactionRecord[]; nextCursor: string | null } {
  checkPageLimit(page.limit);
  const { account } = requireUser(ctx, userId);
  let next: number | null = page.cursor ? decodeCursor(page.cursor) : account.head;
  const statement = ctx.db.query(HISTORY_ROW);
  const items: TransactionRecord[] = [];
  while (next !== null && items.length < page.limit) {
    const row = statement.get(next) as HistoryRow | null;
    if (row === null || row.account_seq !== account.seq) {
      if (items.length === 0) throw new LedgerError("invalid_input", "cursor does not belong to this user's history");
      throw new AssertionFailure(`history chain of account ${account.seq} leaves it at ${next}`);
    }
    items.push(historyRecordOf(row));
    next = row.prev_seq;
  }
  return { items, nextCursor: next === null ? null : encodeCursor(next) };
}
