import type { ReservedSQL } from "bun";
import { sequenceOf } from "../ids.ts";
import { checkClaim, CLAIM_SCAN_ROWS_MAX, deliveryErrorText } from "../input-checks.ts";
import { LedgerError, type OutboxEvent } from "../ledger.ts";
import { EVENT_SELECT, eventOf, type EventRow } from "../views.ts";
import type { PostgresContext } from "./context.ts";
import { int, intOrNull } from "./rows.ts";
import type { Row } from "./state-rows.ts";

/**
 * The outbox, shared by every instance's notifier. A claim looks at the head of the queue (its oldest
 * CLAIM_SCAN_ROWS_MAX rows; delivered rows are deleted), keeps per account only its oldest event, and
 * leases those that are neither leased nor waiting for a retry — locking them with FOR UPDATE SKIP LOCKED,
 * so two notifiers claiming at once never take the same event: a row another claim has locked is skipped,
 * and one it leased meanwhile no longer passes the lease check, which the server makes again on the row's
 * newest version.
 *
 * Order per account holds across instances because every writer of an account's events takes the
 * account's lock before it numbers them: an account's events commit in sequence order, so a claim that sees
 * a later event sees every earlier undelivered one too, and takes the earlier.
 */
const CLAIM = `WITH head AS (
    SELECT DISTINCT ON (account_seq) seq
    FROM (SELECT seq, account_seq FROM outbox ORDER BY seq LIMIT ${CLAIM_SCAN_ROWS_MAX}) AS oldest
    ORDER BY account_seq, seq
  ), due AS (
    SELECT o.seq FROM outbox o JOIN head ON head.seq = o.seq
    WHERE (o.lease_until_ms IS NULL OR o.lease_until_ms <= $1) AND o.next_attempt_at_ms <= $1
    ORDER BY o.seq LIMIT $2
    FOR UPDATE OF o SKIP LOCKED
  )
  UPDATE outbox SET lease_owner = $3, lease_until_ms = $4, attempts = outbox.attempts + 1
  FROM due WHERE outbox.seq = due.seq
  RETURNING outbox.seq`;

export async function claimOutbox(ctx: PostgresContext, input: { limit: number; leaseMs: number; owner: string; nowMs: number }): Promise<OutboxEvent[]> {
  checkClaim(input);
  const { limit, leaseMs, owner, nowMs } = input;
  const claimed = await ctx.transactions.statement("claim events", (sql) => sql.unsafe<Row[]>(CLAIM, [nowMs, limit, owner, nowMs + leaseMs]));
  if (claimed.length === 0) return [];
  const seqs = claimed.map((row) => int(row.seq));
  const select = `${EVENT_SELECT} WHERE o.seq = ANY($1::bigint[]) ORDER BY o.seq`;
  const rows = await ctx.transactions.statement("read events", (sql) => sql.unsafe<Row[]>(select, [seqs]));
  return rows.map((row) => eventOf(eventRowOf(row)));
}

/** Deletes the event if `owner` holds its lease. */
export async function completeOutbox(ctx: PostgresContext, eventId: string, owner: string): Promise<void> {
  const seq = sequenceOf("evt", eventId);
  const done =
    seq === null ? null : await ctx.transactions.statement("complete event", (sql) => sql`DELETE FROM outbox WHERE seq = ${seq} AND lease_owner = ${owner}`);
  if (done === null || done.count === 0) await refuse(ctx, seq);
}

export async function retryOutbox(ctx: PostgresContext, eventId: string, owner: string, nextAttemptAtMs: number, error: string): Promise<void> {
  const seq = sequenceOf("evt", eventId);
  const retry = (sql: ReservedSQL) =>
    sql`UPDATE outbox SET lease_owner = NULL, lease_until_ms = NULL, next_attempt_at_ms = ${Math.trunc(nextAttemptAtMs)},
      last_error = ${deliveryErrorText(error)} WHERE seq = ${seq} AND lease_owner = ${owner}`;
  const done = seq === null ? null : await ctx.transactions.statement("retry event", retry);
  if (done === null || done.count === 0) await refuse(ctx, seq);
}

/** Why an event could not be completed or retried: gone, or leased to someone else. */
async function refuse(ctx: PostgresContext, seq: number | null): Promise<never> {
  const found = seq === null ? [] : await ctx.transactions.statement("read event", (sql) => sql`SELECT 1 FROM outbox WHERE seq = ${seq}`);
  if (found.length === 0) throw new LedgerError("not_found", "no such undelivered event");
  throw new LedgerError("conflict", "the event is not leased to this owner");
}

export async function outboxBacklog(ctx: PostgresContext): Promise<number> {
  const [row] = await ctx.transactions.statement("count events", (sql) => sql<Row[]>`SELECT count(*) AS n FROM outbox`);
  return int(row!.n);
}

function eventRowOf(row: Row): EventRow {
  return {
    ...(row as unknown as EventRow),
    seq: int(row.seq),
    created_at_ms: int(row.created_at_ms),
    attempts: int(row.attempts),
    txn_seq: intOrNull(row.txn_seq),
    mti: intOrNull(row.mti),
    amount_minor: intOrNull(row.amount_minor),
    approved_amount_minor: intOrNull(row.approved_amount_minor),
    account_currency: intOrNull(row.account_currency),
    related_seq: intOrNull(row.related_seq),
  };
}
