import { maskText } from "../../ops/mask.ts";
import { isoTime, sequenceId, sequenceOf } from "../ids.ts";
import { LedgerError, type OutboxEvent } from "../ledger.ts";
import type { SqliteContext } from "./context.ts";

/**
 * The outbox: events written in the same transaction as the change behind them, delivered in order per
 * account. Claiming walks the queue from its oldest row (delivered rows are deleted, so the head is the
 * backlog) and takes, per account, only its oldest event, and only when that one is neither leased nor
 * waiting for a retry: a later event of an account is never delivered before an earlier one.
 * Event data is assembled when claimed from the immutable columns of the transaction behind it, and
 * carries masked PANs only.
 */
export const CLAIM_LIMIT_MAX = 1000;
export const LEASE_MS_MAX = 3_600_000;
/** Rows looked at per claim: bounds the work when a few accounts hold a long backlog. */
export const CLAIM_SCAN_ROWS_MAX = 4096;
const ERROR_TEXT_MAX = 500;

export function claimOutbox(ctx: SqliteContext, input: { limit: number; leaseMs: number; owner: string; nowMs: number }): OutboxEvent[] {
  const { limit, leaseMs, owner, nowMs } = input;
  if (!(Number.isInteger(limit) && limit >= 1 && limit <= CLAIM_LIMIT_MAX)) throw new LedgerError("invalid_input", "claim limit out of range");
  if (!(Number.isInteger(leaseMs) && leaseMs >= 1 && leaseMs <= LEASE_MS_MAX)) throw new LedgerError("invalid_input", "lease out of range");
  if (typeof owner !== "string" || owner.length === 0) throw new LedgerError("invalid_input", "owner must be named");
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
  return claimed.map((seq) => eventOf(ctx, seq));
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
    .run(Math.trunc(nextAttemptAtMs), maskText(String(error)).slice(0, ERROR_TEXT_MAX), seq);
}

export function outboxBacklog(ctx: SqliteContext): number {
  return (ctx.db.query("SELECT COUNT(*) AS n FROM outbox").get() as { n: number }).n;
}

interface EventRow {
  seq: number;
  type: OutboxEvent["type"];
  data: string | null;
  created_at_ms: number;
  attempts: number;
  account_id: string;
  user_id: string | null;
  txn_seq: number | null;
  kind: string | null;
  mti: number | null;
  amount_minor: number | null;
  approved_amount_minor: number | null;
  account_currency: number | null;
  response_code: string | null;
  approval_code: string | null;
  reason: string | null;
  network_response_code: string | null;
  merchant_category: string | null;
  terminal_id: string | null;
  merchant_id: string | null;
  merchant_name_location: string | null;
  card_id: string | null;
  pan_masked: string | null;
  related_seq: number | null;
}

const EVENT_ROW = `SELECT o.seq, o.type, o.data, o.created_at_ms, o.attempts, o.txn_seq, a.id AS account_id, u.id AS user_id,
  t.kind, t.mti, t.amount_minor, t.approved_amount_minor, t.account_currency, t.response_code, t.approval_code, t.reason,
  t.network_response_code, t.merchant_category, t.terminal_id, t.merchant_id, t.merchant_name_location,
  c.id AS card_id, c.pan_masked, t.related_seq
  FROM outbox o JOIN accounts a ON a.seq = o.account_seq LEFT JOIN users u ON u.seq = a.user_seq
  LEFT JOIN transactions t ON t.seq = o.txn_seq LEFT JOIN cards c ON c.seq = t.card_seq
  WHERE o.seq = ?`;

function eventOf(ctx: SqliteContext, seq: number): OutboxEvent {
  const row = ctx.db.query(EVENT_ROW).get(seq) as EventRow;
  const data = row.data !== null ? (JSON.parse(row.data) as Record<string, unknown>) : transactionData(row);
  return {
    id: sequenceId("evt", row.seq),
    type: row.type,
    accountId: row.account_id,
    createdAt: isoTime(row.created_at_ms),
    data: { account_id: row.account_id, user_id: row.user_id, ...data },
    attempts: row.attempts,
  };
}

function transactionData(row: EventRow): Record<string, unknown> {
  const data: Record<string, unknown> = {
    transaction_id: row.txn_seq === null ? null : sequenceId("txn", row.txn_seq),
    kind: row.kind,
    mti: row.mti === null ? null : String(row.mti).padStart(4, "0"),
    card_id: row.card_id,
    pan_masked: row.pan_masked,
    amount: row.amount_minor,
    approved_amount: row.approved_amount_minor,
    currency: row.account_currency,
    response_code: row.response_code,
    approval_code: row.approval_code,
    reason: row.reason,
  };
  if (row.network_response_code !== null) data.network_response_code = row.network_response_code;
  if (row.related_seq !== null) data.original_transaction_id = sequenceId("txn", row.related_seq);
  if (row.merchant_name_location !== null || row.merchant_id !== null) {
    data.merchant = {
      category: row.merchant_category,
      terminal_id: row.terminal_id,
      merchant_id: row.merchant_id,
      name_location: row.merchant_name_location,
    };
  }
  return data;
}
