import { sequenceOf } from "../ids.ts";
import { checkClaim, CLAIM_SCAN_ROWS_MAX, deliveryErrorText } from "../input-checks.ts";
import { LedgerError, type OutboxEvent } from "../ledger.ts";
import { EVENT_SELECT, eventOf, type EventRow } from "../views.ts";
import type { SqliteContext } from "./context.ts";

/**
 * The outbox: events written in the same transaction as the change behind them, delivered in order per
 * account. Claiming walks the queue from its oldest row (delivered rows are deleted, so the head is the
 * backlog) and takes, per account, only its oldest event, and only when that one is neither leased nor
 * waiting for a retry: a later event of an account is never delivered before an earlier one.
 * Event data is assembled when claimed from the immutable columns of the transaction behind it, and
 * carries masked PANs only.
 */

export function claimOutbox(ctx: SqliteContext, input: { limit: number; leaseMs: number; owner: string; nowMs: number }): OutboxEvent[] {
  checkClaim(input);
  const { limit, leaseMs, owner, nowMs } = input;
  const head = ctx.db
    .query("SELECT seq, account_seq, lease_until_ms, next_attempt_at_ms FROM outbox ORDER BY seq LIMIT ?")
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
  const row = seq === null ? null : (ctx.db.query("SELECT lease_owner FROM outbox WHERE seq = ?").get(seq) as { lease_owner: string | null } | null);
  if (row === null) throw new LedgerError("not_found", "no such undelivered event");
  if (row.lease_owner !== owner) throw new LedgerError("conflict", "the event is not leased to this owner");
  return seq!;
}

export function completeOutbox(ctx: SqliteContext, eventId: string, owner: string): void {
  ctx.db.query("DELETE FROM outbox WHERE seq = ?").run(leasedRow(ctx, eventId, owner));
}

export function retryOutbox(ctx: SqliteContext, eventId: string, owner: string, nextAttemptAtMs: number, error: string): void {
  const seq = leasedRow(ctx, eventId, owner);
  ctx.db
    .query("UPDATE outbox SET lease_owner = NULL, lease_until_ms = NULL, next_attempt_at_ms = ?, last_error = ? WHERE seq = ?")
    .run(Math.trunc(nextAttemptAtMs), deliveryErrorText(error), seq);
}

export function outboxBacklog(ctx: SqliteContext): number {
  return (ctx.db.query("SELECT COUNT(*) AS n FROM outbox").get() as { n: number }).n;
}

function eventOfSeq(ctx: SqliteContext, seq: number): OutboxEvent {
  return eventOf(ctx.db.query(`${EVENT_SELECT} WHERE o.seq = ?`).get(seq) as EventRow);
}
