import type { SqliteContext } from "./context.ts";
import { HOLD_COLUMNS, rowFromColumns, type HoldRow } from "./records.ts";
import { plainRow } from "./topups.ts";

/**
 * Hold expiry: a hold neither cleared nor reversed within the hold timeout is released. Each expiry is a
 * transaction row of its own (kind "expiry", in the account's history) and an event; the authorization
 * it released shows status "expired". Work is done in chunks, each in its own transaction.
 */
export const EXPIRY_CHUNK_MAX = 1024;

export function expireHoldsChunk(ctx: SqliteContext, nowMs: number): number {
  const rows = ctx.db
    .query(`SELECT * FROM holds WHERE state = 'pending' AND expires_at_ms <= ? ORDER BY expires_at_ms LIMIT ${EXPIRY_CHUNK_MAX}`)
    .all(nowMs) as Array<Record<string, unknown>>;
  const markExpired = ctx.db.query("UPDATE transactions SET status = 'expired' WHERE seq = ?");
  for (const source of rows) {
    const hold: HoldRow = { ...rowFromColumns<HoldRow>(source, HOLD_COLUMNS), stored: true };
    const account = ctx.state.accounts.get(hold.accountSeq)!;
    const released = ctx.writer.resolveHold(hold, "expired", nowMs);
    const row = plainRow(ctx.writer.nextTransactionSeq(), "expiry", account.seq, released, account.currency, nowMs);
    row.holdSeq = hold.seq;
    row.cardSeq = hold.cardSeq;
    ctx.writer.addTransaction(row);
    markExpired.run(hold.txnSeq);
    ctx.writer.event("hold.expired", account.seq, row.seq, null, nowMs);
  }
  return rows.length;
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
