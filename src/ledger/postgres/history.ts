import { decodeCursor, encodeCursor } from "../ids.ts";
import type { ResponseCode } from "../../domain/response-codes.ts";
import { LedgerError, type TransactionKind, type TransactionRecord } from "../ledger.ts";
import { checkPageLimit, HISTORY_COLUMNS, HISTORY_JOINS, historyRecordOf, type HistoryRow } from "../views.ts";
import type { PostgresContext } from "./context.ts";
import { int, intOrNull } from "./rows.ts";
import type { Row } from "./state-rows.ts";
import { AssertionFailure } from "../../ops/assert.ts";

/**
 * An account's history, newest first: the chain of prev_seq from the account's newest row (or from the
 * cursor), walked by the server in one recursive query. A cursor is the next row's sequence, so pages stay
 * stable while new transactions arrive.
 */
export async function listTransactions(
  ctx: PostgresContext,
  userId: string,
  page: { limit: number; cursor?: string | null },
): Promise<{ items: TransactionRecord[]; nextCursor: string | null }> {
  checkPageLimit(page.limit);
  const [account] = await ctx.transactions.statement(
    "read history",
    (sql) => sql<Row[]>`SELECT a.seq, a.history_head_seq FROM users u JOIN accounts a ON a.user_seq = u.seq WHERE u.id = ${userId}`,
  );
  if (account === undefined) throw new LedgerError("not_found", "no such user");
  const accountSeq = int(account.seq);
  const start = page.cursor ? decodeCursor(page.cursor) : intOrNull(account.history_head_seq);
  if (start === null) return { items: [], nextCursor: null };
  const rows = await ctx.transactions.statement(
    "read history",
    (sql) => sql<Row[]>`WITH RECURSIVE chain (seq, depth) AS (
        SELECT seq, 1 FROM transactions WHERE seq = ${start}
        UNION ALL
        SELECT t.prev_seq, chain.depth + 1 FROM chain JOIN transactions t ON t.seq = chain.seq
        WHERE t.prev_seq IS NOT NULL AND chain.depth < ${page.limit}
      )
      SELECT ${sql.unsafe(HISTORY_COLUMNS)} FROM chain JOIN transactions t ON t.seq = chain.seq
      ${sql.unsafe(HISTORY_JOINS)} ORDER BY chain.depth`,
  );
  const items: TransactionRecord[] = [];
  let next: number | null = start;
  for (const source of rows) {
    const row = historyRowOf(source);
    if (row.account_seq !== accountSeq) {
      if (items.length === 0) throw new LedgerError("invalid_input", "cursor does not belong to this user's history");
      throw new AssertionFailure(`history chain of account ${accountSeq} leaves it at ${row.seq}`);
    }
    items.push(historyRecordOf(row));
    next = row.prev_seq;
  }
  if (items.length === 0) throw new LedgerError("invalid_input", "cursor does not belong to this user's history");
  return { items, nextCursor: next === null ? null : encodeCursor(next) };
}

function historyRowOf(row: Row): HistoryRow {
  return {
    seq: int(row.seq),
    kind: row.kind as TransactionKind,
    account_seq: intOrNull(row.account_seq),
    prev_seq: intOrNull(row.prev_seq),
    card_id: row.card_id as string | null,
    pan_masked: row.pan_masked as string | null,
    amount_minor: intOrNull(row.amount_minor),
    request_amount_minor: intOrNull(row.request_amount_minor),
    approved_amount_minor: intOrNull(row.approved_amount_minor),
    account_currency: intOrNull(row.account_currency),
    request_currency: intOrNull(row.request_currency),
    response_code: row.response_code as ResponseCode | null,
    approval_code: row.approval_code as string | null,
    status: row.status as string,
    reason: row.reason as string | null,
    merchant_name_location: row.merchant_name_location as string | null,
    merchant_category: row.merchant_category as string | null,
    processing_code: row.processing_code as string | null,
    topup_id: row.topup_id as string | null,
    created_at_ms: int(row.created_at_ms),
  };
}
