import type { ConsistencyReport } from "../ledger.ts";
import type { SqliteContext } from "./context.ts";
import { keyIndexMismatched } from "./key-merger.ts";

/**
 * The ledger's invariants, computed from the stored rows (journal lines, holds, transactions), and the
 * in-memory balances compared against them, so that a drifting cache is found too. The key index is a
 * derived value as well: its disagreements with the transactions count in derivedMismatched.
 */
interface AccountTotals {
  seq: number;
  kind: string;
  ledger_balance_minor: number;
  journal: number;
  held: number;
  advised: number;
}

const ACCOUNT_TOTALS = `
SELECT a.seq, a.kind, a.ledger_balance_minor,
  COALESCE(j.journal, 0) AS journal,
  COALESCE(h.held, 0) AS held,
  CASE WHEN v.account_seq IS NULL THEN 0 ELSE 1 END AS advised
FROM accounts a
LEFT JOIN (SELECT account_seq, SUM(amount_minor) AS journal FROM journal_lines GROUP BY account_seq) j
  ON j.account_seq = a.seq
LEFT JOIN (SELECT account_seq, SUM(hold_amount_minor) AS held FROM transactions_now WHERE hold_state = 'pending' GROUP BY account_seq) h
  ON h.account_seq = a.seq
LEFT JOIN (SELECT DISTINCT account_seq FROM transactions WHERE kind = 'advice' AND approved_amount_minor > 0) v
  ON v.account_seq = a.seq`;

export function checkConsistency(ctx: SqliteContext): ConsistencyReport {
  const db = ctx.db;
  const journalSum = (db.query("SELECT COALESCE(SUM(amount_minor), 0) AS s FROM journal_lines").get() as { s: number }).s;
  const entriesUnbalanced = count(ctx, "SELECT COUNT(*) AS n FROM (SELECT txn_seq FROM journal_lines GROUP BY txn_seq HAVING SUM(amount_minor) <> 0)");
  const keysWithSeveralHolds = count(
    ctx,
    "SELECT COUNT(*) AS n FROM (SELECT key FROM transactions_now WHERE hold_state IS NOT NULL GROUP BY key HAVING COUNT(*) > 1)",
  );
  const holdsInvalid = count(
    ctx,
    `SELECT COUNT(*) AS n FROM transactions_now WHERE hold_state IS NOT NULL
       AND (key IS NULL OR account_seq IS NULL OR hold_amount_minor IS NULL OR hold_amount_minor < 0
         OR (hold_state = 'pending' AND hold_amount_minor = 0))`,
  ) +
    // A change names the transaction it changes.
    count(ctx, "SELECT COUNT(*) AS n FROM transaction_changes c LEFT JOIN transactions t ON t.seq = c.seq WHERE t.seq IS NULL");
  let accountsMismatched = 0;
  let accountsNegativeWithoutAdvice = 0;
  for (const row of db.query(ACCOUNT_TOTALS).all() as AccountTotals[]) {
    const cached = ctx.state.accounts.get(row.seq);
    const storedAgrees = row.ledger_balance_minor === row.journal;
    const cacheAgrees = cached !== undefined && cached.ledger === row.journal && cached.held === row.held;
    if (!storedAgrees || !cacheAgrees) accountsMismatched += 1;
    if (row.kind === "cardholder" && row.journal - row.held < 0 && row.advised === 0) accountsNegativeWithoutAdvice += 1;
  }
  if (ctx.state.accounts.size !== count(ctx, "SELECT COUNT(*) AS n FROM accounts")) accountsMismatched += 1;
  const derivedMismatched = headsMismatched(ctx) + usageMismatched(ctx) + keyIndexMismatched(ctx);
  return {
    journalSum,
    accountsMismatched,
    accountsNegativeWithoutAdvice,
    keysWithSeveralHolds,
    entriesUnbalanced,
    holdsInvalid,
    derivedMismatched,
    consistent:
      journalSum === 0 &&
      accountsMismatched === 0 &&
      accountsNegativeWithoutAdvice === 0 &&
      keysWithSeveralHolds === 0 &&
      entriesUnbalanced === 0 &&
      holdsInvalid === 0 &&
      derivedMismatched === 0,
  };
}

/** Each account's newest transaction, as the history chain starts from it. */
function headsMismatched(ctx: SqliteContext): number {
  const newest = new Map<number, number>();
  const rows = ctx.db.query("SELECT account_seq, MAX(seq) AS head FROM transactions WHERE account_seq IS NOT NULL GROUP BY account_seq");
  for (const row of rows.all() as Array<{ account_seq: number; head: number }>) newest.set(row.account_seq, row.head);
  let mismatched = 0;
  for (const account of ctx.state.accounts.values()) if ((newest.get(account.seq) ?? null) !== account.head) mismatched += 1;
  return mismatched;
}

/** Each card's usage on the latest day it counted, as the daily limits see it. */
function usageMismatched(ctx: SqliteContext): number {
  const latest = new Map<number, { day: number; amount: number; count: number }>();
  const rows = ctx.db.query(
    `SELECT card_seq, usage_day, SUM(approved_amount_minor) AS amount, COUNT(*) AS n FROM transactions
     WHERE usage_day IS NOT NULL GROUP BY card_seq, usage_day ORDER BY card_seq, usage_day`,
  );
  for (const row of rows.all() as Array<{ card_seq: number; usage_day: number; amount: number; n: number }>) {
    latest.set(row.card_seq, { day: row.usage_day, amount: row.amount, count: row.n });
  }
  let mismatched = 0;
  for (const card of ctx.state.cards.values()) {
    const stored = latest.get(card.seq) ?? { day: 0, amount: 0, count: 0 };
    const counted = card.usageDay === 0 && card.usageCount === 0 ? { day: 0, amount: 0, count: 0 } : { day: card.usageDay, amount: card.usageAmount, count: card.usageCount };
    if (stored.day !== counted.day || stored.amount !== counted.amount || stored.count !== counted.count) mismatched += 1;
  }
  return mismatched;
}

function count(ctx: SqliteContext, sql: string): number {
  return (ctx.db.query(sql).get() as { n: number }).n;
}
