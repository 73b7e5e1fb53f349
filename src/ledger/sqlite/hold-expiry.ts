import type { SqliteContext } from "./context.ts";
import { META, setMeta } from "./meta.ts";
import { plainRow, TRANSACTION_COLUMNS, rowFromColumns, type TransactionRow } from "../decision/records.ts";

/**
 * Hold expiry (not to be confused with a card's expiry date, which the rules check): a hold neither
 * cleared nor reversed within the hold timeout is released. Each expiry is a
 * transaction row of its own (kind "expiry", in the account's history) and an event; the transaction
 * whose hold it released shows status "expired".
 *
 * Holds expire holdTimeoutSeconds (the setting in force when expiry runs) after the transaction that
 * placed them, and transactions are stored in time order, so expiry walks the table in sequence order
 * from the oldest pending hold and stops at the first row still younger than the timeout. Every row is
 * walked past once; the walk's starting point is kept in memory and in meta.
 */
export const HOLD_EXPIRY_ROWS_PER_CHUNK = 1024;

/** Expires what is due in the next chunk of rows, inside the caller's transaction; true when more may be due. */
export function expireHoldsChunk(ctx: SqliteContext, nowMs: number): { expired: number; more: boolean } {
  const state = ctx.state;
  const cutoffMs = nowMs - ctx.holdTimeoutMs;
  const rows = ctx.db
    .query(`SELECT * FROM transactions_now WHERE seq >= ? ORDER BY seq LIMIT ${HOLD_EXPIRY_ROWS_PER_CHUNK}`)
    .all(state.pendingHoldsFromSeq) as Array<Record<string, unknown>>;
  let expired = 0;
  let from = state.pendingHoldsFromSeq;
  let reachedYoung = false;
  for (const source of rows) {
    const row = rowFromColumns<TransactionRow>(source, TRANSACTION_COLUMNS);
    if (row.createdAtMs > cutoffMs) {
      from = row.seq;
      reachedYoung = true;
      break;
    }
    from = row.seq + 1;
    if (row.holdState !== "pending") continue;
    // The batches' own copy of the record, when they have one: it is the one they will read next.
    expireHold(ctx, ctx.state.recentRecords.get(row.seq) ?? row, nowMs);
    expired += 1;
  }
  const more = rows.length === HOLD_EXPIRY_ROWS_PER_CHUNK && !reachedYoung;
  if (from !== state.pendingHoldsFromSeq) {
    state.pendingHoldsFromSeq = from;
    setMeta(ctx.db, META.pendingHoldsFromSeq, from);
  }
  return { expired, more };
}

function expireHold(ctx: SqliteContext, held: TransactionRow, nowMs: number): void {
  const account = ctx.state.accounts.get(held.accountSeq!)!;
  const released = ctx.writer.resolveHold(held, "expired", nowMs);
  held.status = "expired";
  const row = plainRow(ctx.writer.nextTransactionSeq(), "expiry", account.seq, released, account.currency, nowMs);
  row.relatedSeq = held.seq;
  row.cardSeq = held.cardSeq;
  ctx.writer.addTransaction(row);
  ctx.writer.event("hold.expired", account.seq, row.seq, null, nowMs);
}

/**
 * Early reversals wait for their original for as long as a hold could live; after that the original can
 * no longer arrive in a form that would need declining.
 */
export function forgetEarlyReversals(ctx: SqliteContext, nowMs: number): number {
  const cutoffMs = nowMs - ctx.holdTimeoutMs;
  let forgotten = 0;
  for (const [key, entry] of ctx.state.earlyReversals) {
    if (entry.createdAtMs <= cutoffMs) {
      ctx.state.earlyReversals.delete(key);
      forgotten += 1;
    }
  }
  if (forgotten > 0) ctx.db.query("DELETE FROM early_reversals WHERE created_at_ms <= ?").run(cutoffMs);
  return forgotten;
}
