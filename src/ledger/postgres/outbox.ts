import type { ReservedSQL } from "bun";
import { decodeCursor, encodeCursor, sequenceOf } from "../ids.ts";
import { checkClaim, checkPrune, CLAIM_SCAN_ROWS_MAX, deliveryErrorText } from "../input-checks.ts";
import { LedgerError, type OutboxEvent } from "../ledger.ts";
import { checkPageLimit, EVENT_SELECT, eventOf, type EventRow } from "../views.ts";
import type { PostgresContext } from "./context.ts";
import { int, intOrNull } from "./rows.ts";
import type { Row } from "./state-rows.ts";

/**
 * The outbox, shared by every instance's notifier. Events stay in it, delivered or not, until pruned past
 * the retention; the rows still to deliver (`queued`) have a partial index, the delivery queue. A claim
 * looks at the head of that queue (its oldest CLAIM_SCAN_ROWS_MAX rows), keeps per account only its
 * oldest event, and leases those that are neither leased nor waiting for a retry — locking them with
 * FOR UPDATE SKIP LOCKED, so two notifiers claiming at once never take the same event: a row another claim
 * has locked is skipped, and one it leased meanwhile no longer passes the lease check, which the server
 * makes again on the row's newest version.
 *
 * Order per account holds across instances because every writer of an account's events takes the
 * account's lock before it numbers them: an account's events commit in sequence order, so a claim that sees
 * a later event sees every earlier undelivered one too, and takes the earlier.
 */
const CLAIM = `WITH head AS (
    SELECT DISTINCT ON (account_seq) seq
    FROM (SELECT seq, account_seq FROM outbox WHERE queued ORDER BY seq LIMIT ${CLAIM_SCAN_ROWS_MAX}) AS oldest
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

/** Marks the event delivered if `owner` holds its lease; it stays (listEvents) until pruned. */
export async function completeOutbox(ctx: PostgresContext, eventId: string, owner: string): Promise<void> {
  const seq = sequenceOf("evt", eventId);
  const complete = (sql: ReservedSQL) =>
    sql`UPDATE outbox SET queued = false, delivered_at_ms = ${Math.trunc(ctx.clock())}, lease_owner = NULL, lease_until_ms = NULL
      WHERE seq = ${seq} AND queued AND lease_owner = ${owner}`;
  const done = seq === null ? null : await ctx.transactions.statement("complete event", complete);
  if (done === null || done.count === 0) await refuse(ctx, seq);
}

export async function retryOutbox(ctx: PostgresContext, eventId: string, owner: string, nextAttemptAtMs: number, error: string): Promise<void> {
  const seq = sequenceOf("evt", eventId);
  const retry = (sql: ReservedSQL) =>
    sql`UPDATE outbox SET lease_owner = NULL, lease_until_ms = NULL, next_attempt_at_ms = ${Math.trunc(nextAttemptAtMs)},
      last_error = ${deliveryErrorText(error)} WHERE seq = ${seq} AND queued AND lease_owner = ${owner}`;
  const done = seq === null ? null : await ctx.transactions.statement("retry event", retry);
  if (done === null || done.count === 0) await refuse(ctx, seq);
}

/** Why an event could not be completed or retried: gone, or leased to someone else. */
async function refuse(ctx: PostgresContext, seq: number | null): Promise<never> {
  const found = seq === null ? [] : await ctx.transactions.statement("read event", (sql) => sql`SELECT 1 FROM outbox WHERE seq = ${seq} AND queued`);
  if (found.length === 0) throw new LedgerError("not_found", "no such undelivered event");
  throw new LedgerError("conflict", "the event is not leased to this owner");
}

export async function outboxBacklog(ctx: PostgresContext): Promise<number> {
  const [row] = await ctx.transactions.statement("count events", (sql) => sql<Row[]>`SELECT count(*) AS n FROM outbox WHERE queued`);
  return int(row!.n);
}

/**
 * Retained events from the cursor on, oldest first; one row more than the page says whether more follow.
 * Sequences are taken in blocks before commit, so with several instances an event may commit a moment
 * after a later-numbered one was read.
 */
export async function listEvents(
  ctx: PostgresContext,
  page: { limit: number; cursor?: string | null },
): Promise<{ items: OutboxEvent[]; nextCursor: string | null }> {
  checkPageLimit(page.limit);
  const from = page.cursor ? decodeCursor(page.cursor) : 1;
  const select = `${EVENT_SELECT} WHERE o.seq >= $1 ORDER BY o.seq LIMIT $2`;
  const rows = (await ctx.transactions.statement("read events", (sql) => sql.unsafe<Row[]>(select, [from, page.limit + 1]))).map(eventRowOf);
  const next = rows.length > page.limit ? rows.pop()! : null;
  return { items: rows.map(eventOf), nextCursor: next === null ? null : encodeCursor(next.seq) };
}

/**
 * One bounded step of pruning, in one statement: among the `rowsMax` oldest rows, those created before the
 * cutoff, but an undelivered one whose lease still runs. Rows another instance is pruning or claiming
 * (locked) are skipped: they go in a later step.
 */
const PRUNE = `WITH oldest AS (
    SELECT seq FROM outbox ORDER BY seq LIMIT $1
  ), due AS (
    SELECT o.seq FROM outbox o JOIN oldest ON oldest.seq = o.seq
    WHERE o.created_at_ms < $2 AND NOT (o.queued AND o.lease_until_ms IS NOT NULL AND o.lease_until_ms > $3)
    FOR UPDATE OF o SKIP LOCKED
  )
  DELETE FROM outbox USING due WHERE outbox.seq = due.seq
  RETURNING outbox.queued`;

export async function pruneEvents(
  ctx: PostgresContext,
  input: { createdBeforeMs: number; nowMs: number; rowsMax: number },
): Promise<{ pruned: number; undelivered: number }> {
  checkPrune(input);
  const { createdBeforeMs, nowMs, rowsMax } = input;
  const deleted = await ctx.transactions.statement("prune events", (sql) => sql.unsafe<Row[]>(PRUNE, [rowsMax, createdBeforeMs, nowMs]));
  return { pruned: deleted.length, undelivered: deleted.filter((row) => row.queued === true).length };
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
    balance_currency: int(row.balance_currency),
    ledger_balance_minor: intOrNull(row.ledger_balance_minor),
    available_balance_minor: intOrNull(row.available_balance_minor),
  };
}
