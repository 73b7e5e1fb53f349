import { decodeCursor, encodeCursor, sequenceOf } from "../ids.ts";
import { checkClaim, checkPrune, CLAIM_SCAN_ROWS_MAX, deliveryErrorText } from "../input-checks.ts";
import { LedgerError, type OutboxEvent } from "../ledger.ts";
import { checkPageLimit, EVENT_SELECT, eventOf, type EventRow } from "../views.ts";
import type { SqliteContext } from "./context.ts";
import { META, metaValue, setMeta } from "./meta.ts";

/**
 * The outbox: events written in the same transaction as the change behind them, delivered in order per
 * account, and kept — delivered or not — until pruned past the retention. The rows still to deliver
 * (`queued` = 1) have a partial index of their own, which is the delivery queue: claiming walks it from its
 * oldest row and takes, per account, only its oldest event, and only when that one is neither leased nor
 * waiting for a retry: a later event of an account is never delivered before an earlier one. Delivery
 * marks the row (queued = 0, delivered_at_ms); pruning alone deletes rows, and remembers the highest
 * sequence it deleted, so an event id is never handed out twice (load-state.ts).
 * Event data is assembled when read from the immutable columns of the transaction behind it, and
 * carries masked PANs only.
 */

export function claimOutbox(ctx: SqliteContext, input: { limit: number; leaseMs: number; owner: string; nowMs: number }): OutboxEvent[] {
  checkClaim(input);
  const { limit, leaseMs, owner, nowMs } = input;
  const head = ctx.db
    .query("SELECT seq, account_seq, lease_until_ms, next_attempt_at_ms FROM outbox WHERE queued = 1 ORDER BY seq LIMIT ?")
    .values(CLAIM_SCAN_ROWS_MAX) as Array<[number, number, number | null, number]>;
  const seen = new Set<number>();
  const claimed: number[] = [];
  for (const [seq, accountSeq, leaseUntilMs, nextAttemptAtMs] of head) {
    if (seen.has(accountSeq)) continue;
    seen.add(accountSeq);
    if (leaseUntilMs !== null && leaseUntilMs > nowMs) continue;
    if (nextAttemptAtMs > nowMs) continue;
    claimed.push(seq);
    if (claimed.length === limit) break;
  }
  const lease = ctx.db.query("UPDATE outbox SET lease_owner = ?, lease_until_ms = ?, attempts = attempts + 1 WHERE seq = ?");
  for (const seq of claimed) lease.run(owner, nowMs + leaseMs, seq);
  return claimed.map((seq) => eventOfSeq(ctx, seq));
}

function leasedRow(ctx: SqliteContext, eventId: string, owner: string): number {
  const seq = sequenceOf("evt", eventId);
  const row =
    seq === null ? null : (ctx.db.query("SELECT lease_owner FROM outbox WHERE seq = ? AND queued = 1").get(seq) as { lease_owner: string | null } | null);
  if (row === null) throw new LedgerError("not_found", "no such undelivered event");
  if (row.lease_owner !== owner) throw new LedgerError("conflict", "the event is not leased to this owner");
  return seq!;
}

export function completeOutbox(ctx: SqliteContext, eventId: string, owner: string): void {
  ctx.db
    .query("UPDATE outbox SET queued = 0, delivered_at_ms = ?, lease_owner = NULL, lease_until_ms = NULL WHERE seq = ?")
    .run(Math.trunc(ctx.clock()), leasedRow(ctx, eventId, owner));
}

export function retryOutbox(ctx: SqliteContext, eventId: string, owner: string, nextAttemptAtMs: number, error: string): void {
  const seq = leasedRow(ctx, eventId, owner);
  ctx.db
    .query("UPDATE outbox SET lease_owner = NULL, lease_until_ms = NULL, next_attempt_at_ms = ?, last_error = ? WHERE seq = ?")
    .run(Math.trunc(nextAttemptAtMs), deliveryErrorText(error), seq);
}

export function outboxBacklog(ctx: SqliteContext): number {
  return (ctx.db.query("SELECT COUNT(*) AS n FROM outbox WHERE queued = 1").get() as { n: number }).n;
}

/** Retained events from the cursor on, oldest first; one row more than the page says whether more follow. */
export function listEvents(ctx: SqliteContext, page: { limit: number; cursor?: string | null }): { items: OutboxEvent[]; nextCursor: string | null } {
  checkPageLimit(page.limit);
  const from = page.cursor ? decodeCursor(page.cursor) : 1;
  const rows = ctx.db.query(`${EVENT_SELECT} WHERE o.seq >= ? ORDER BY o.seq LIMIT ?`).all(from, page.limit + 1) as EventRow[];
  const next = rows.length > page.limit ? rows.pop()! : null;
  return { items: rows.map(eventOf), nextCursor: next === null ? null : encodeCursor(next.seq) };
}

/**
 * One bounded step of pruning, in the caller's transaction: among the `rowsMax` oldest rows, those created
 * before the cutoff, but an undelivered one whose lease still runs (its delivery is under way).
 */
export function pruneEvents(ctx: SqliteContext, input: { createdBeforeMs: number; nowMs: number; rowsMax: number }): { pruned: number; undelivered: number } {
  checkPrune(input);
  const { createdBeforeMs, nowMs, rowsMax } = input;
  const oldest = ctx.db
    .query("SELECT seq, created_at_ms, queued, lease_until_ms FROM outbox ORDER BY seq LIMIT ?")
    .values(rowsMax) as Array<[number, number, number, number | null]>;
  const due: number[] = [];
  let undelivered = 0;
  for (const [seq, createdAtMs, queued, leaseUntilMs] of oldest) {
    if (createdAtMs >= createdBeforeMs) continue;
    if (queued === 1 && leaseUntilMs !== null && leaseUntilMs > nowMs) continue;
    due.push(seq);
    if (queued === 1) undelivered += 1;
  }
  if (due.length === 0) return { pruned: 0, undelivered: 0 };
  ctx.db.query("DELETE FROM outbox WHERE seq IN (SELECT value FROM json_each(?))").run(JSON.stringify(due));
  const usedThrough = Number(metaValue(ctx.db, META.outboxUsedThroughSeq) ?? 0);
  const highest = due[due.length - 1]!;
  if (highest > usedThrough) setMeta(ctx.db, META.outboxUsedThroughSeq, highest);
  return { pruned: due.length, undelivered };
}

function eventOfSeq(ctx: SqliteContext, seq: number): OutboxEvent {
  return eventOf(ctx.db.query(`${EVENT_SELECT} WHERE o.seq = ?`).get(seq) as EventRow);
}
