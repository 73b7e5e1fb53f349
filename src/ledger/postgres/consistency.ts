import type { ConsistencyReport } from "../ledger.ts";
import type { PostgresContext } from "./context.ts";
import { int } from "./rows.ts";
import type { Row } from "./state-rows.ts";

/**
 * The ledger's invariants, computed from the stored rows in one REPEATABLE READ snapshot (other instances
 * keep writing meanwhile) and without the statement timeout (the checks read whole tables). Each account's
 * stored balance and held amount are compared with its journal and its pending holds, and the derived
 * values every batch writes — history heads, daily usage — with what the transactions imply. The system
 * accounts' stored balance is not kept (schema.ts): the journal is theirs.
 */
const ACCOUNTS_MISMATCHED = `
SELECT
  count(*) FILTER (WHERE a.kind = 'cardholder' AND (a.ledger_balance_minor <> COALESCE(j.journal, 0) OR a.held_minor <> COALESCE(h.held, 0))) AS mismatched,
  count(*) FILTER (WHERE a.kind = 'cardholder' AND COALESCE(j.journal, 0) - COALESCE(h.held, 0) < 0 AND v.account_seq IS NULL) AS negative
FROM accounts a
LEFT JOIN (SELECT account_seq, SUM(amount_minor) AS journal FROM journal_lines GROUP BY account_seq) j ON j.account_seq = a.seq
LEFT JOIN (SELECT account_seq, SUM(hold_amount_minor) AS held FROM transactions WHERE hold_state = 'pending' GROUP BY account_seq) h
  ON h.account_seq = a.seq
LEFT JOIN (SELECT DISTINCT account_seq FROM transactions WHERE kind = 'advice' AND approved_amount_minor > 0) v ON v.account_seq = a.seq`;

const HEADS_MISMATCHED = `
SELECT count(*) AS n FROM accounts a
LEFT JOIN (SELECT account_seq, MAX(seq) AS head FROM transactions WHERE account_seq IS NOT NULL GROUP BY account_seq) m ON m.account_seq = a.seq
WHERE a.history_head_seq IS DISTINCT FROM m.head`;

const USAGE_MISMATCHED = `
WITH daily AS (
  SELECT card_seq, usage_day, SUM(approved_amount_minor) AS amount, count(*) AS n FROM transactions
  WHERE usage_day IS NOT NULL GROUP BY card_seq, usage_day
), latest AS (
  SELECT DISTINCT ON (card_seq) card_seq, usage_day, amount, n FROM daily ORDER BY card_seq, usage_day DESC
)
SELECT count(*) AS n FROM cards c LEFT JOIN latest l ON l.card_seq = c.seq
WHERE (COALESCE(l.usage_day, 0), COALESCE(l.amount, 0), COALESCE(l.n, 0)) IS DISTINCT FROM (c.usage_day, c.usage_amount_minor, c.usage_count)`;

const COUNTS = {
  entriesUnbalanced: "SELECT count(*) AS n FROM (SELECT txn_seq FROM journal_lines GROUP BY txn_seq HAVING SUM(amount_minor) <> 0) e",
  keysWithSeveralHolds: "SELECT count(*) AS n FROM (SELECT key FROM transactions WHERE hold_state IS NOT NULL GROUP BY key HAVING count(*) > 1) k",
  holdsInvalid: `SELECT count(*) AS n FROM transactions WHERE hold_state IS NOT NULL
    AND (key IS NULL OR account_seq IS NULL OR hold_amount_minor IS NULL OR hold_amount_minor < 0 OR (hold_state = 'pending' AND hold_amount_minor = 0))`,
  headsMismatched: HEADS_MISMATCHED,
  usageMismatched: USAGE_MISMATCHED,
} as const;

export async function checkConsistency(ctx: PostgresContext): Promise<ConsistencyReport> {
  return ctx.pool.begin("ISOLATION LEVEL REPEATABLE READ READ ONLY", async (tx) => {
    await tx`SET LOCAL statement_timeout = 0`;
    const [journal] = await tx<Row[]>`SELECT COALESCE(SUM(amount_minor), 0) AS s FROM journal_lines`;
    const [accounts] = await tx.unsafe<Row[]>(ACCOUNTS_MISMATCHED);
    const counts: Record<string, number> = {};
    for (const [name, sql] of Object.entries(COUNTS)) counts[name] = int((await tx.unsafe<Row[]>(sql))[0]!.n);
    const journalSum = Number(journal!.s);
    const accountsMismatched = int(accounts!.mismatched);
    const accountsNegativeWithoutAdvice = int(accounts!.negative);
    const derivedMismatched = counts.headsMismatched! + counts.usageMismatched!;
    const report = {
      journalSum,
      accountsMismatched,
      accountsNegativeWithoutAdvice,
      keysWithSeveralHolds: counts.keysWithSeveralHolds!,
      entriesUnbalanced: counts.entriesUnbalanced!,
      holdsInvalid: counts.holdsInvalid!,
      derivedMismatched,
    };
    return {
      ...report,
      consistent: Object.values(report).every((value) => value === 0),
    };
  });
}
