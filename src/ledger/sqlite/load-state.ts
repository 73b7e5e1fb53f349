import type { Database } from "bun:sqlite";
import { cardFromRow, countUsage, type AccountKind, type CardRow, type LedgerState } from "../decision/state.ts";
import type { CardLimits } from "../../domain/card-limits.ts";
import { loadRecentKeys } from "./key-index.ts";
import { META, metaValue } from "./meta.ts";
import { RECENT_RECORDS_MAX, RecentRecords } from "./recent-records.ts";
import { SqliteLedgerState } from "./state.ts";
import { AssertionFailure } from "../../ops/assert.ts";

/**
 * Rebuilding the SQLite ledger's in-memory state from the file: accounts and cards from their tables,
 * held amounts from the pending holds (all at or after the sequence meta remembers as the oldest pending
 * one), and the two derived values that are checkpointed rather than written per batch — each account's
 * history head and each card's usage of the day — from the last checkpoint plus a replay of the
 * transactions after it — and the keys not yet merged into transaction_keys from the transactions after
 * the merged sequence (key-index.ts).
 */
interface AccountRow {
  seq: number;
  id: string;
  kind: AccountKind;
  user_seq: number | null;
  currency: number;
  ledger_balance_minor: number;
  history_head_seq: number | null;
}

export function loadState(db: Database, defaults: CardLimits, nowMs: number, recentRecordsMax = RECENT_RECORDS_MAX): SqliteLedgerState {
  const state = new SqliteLedgerState(new RecentRecords(recentRecordsMax));
  for (const row of db.query("SELECT * FROM accounts ORDER BY seq").all() as AccountRow[]) {
    state.addAccount({
      seq: row.seq,
      id: row.id,
      kind: row.kind,
      userSeq: row.user_seq,
      currency: row.currency,
      ledger: row.ledger_balance_minor,
      held: 0,
      head: row.history_head_seq,
      dirty: false,
    });
  }
  for (const row of db.query("SELECT * FROM cards ORDER BY seq").all() as CardRow[]) state.addCard(cardFromRow(row, defaults));
  state.pendingHoldsFromSeq = Number(metaValue(db, META.pendingHoldsFromSeq) ?? 1);
  const held = db.query(
    "SELECT account_seq, SUM(hold_amount_minor) AS held FROM transactions_now WHERE seq >= ? AND hold_state = 'pending' GROUP BY account_seq",
  );
  for (const row of held.all(state.pendingHoldsFromSeq) as Array<{ account_seq: number; held: number }>) {
    const account = state.accounts.get(row.account_seq);
    if (account === undefined) throw new AssertionFailure(`pending hold on unknown account ${row.account_seq}`);
    account.held = row.held;
  }
  const early = db.query("SELECT original_key, remaining_minor, reversal_seq, created_at_ms FROM early_reversals");
  for (const row of early.all() as Array<{ original_key: string; remaining_minor: number; reversal_seq: number; created_at_ms: number }>) {
    state.earlyReversals.set(row.original_key, { remaining: row.remaining_minor, reversalSeq: row.reversal_seq, createdAtMs: row.created_at_ms });
  }
  const maxOf = (table: string) => ((db.query(`SELECT MAX(seq) AS m FROM ${table}`).get() as { m: number | null }).m ?? 0) + 1;
  state.nextTxnSeq = maxOf("transactions");
  state.nextLineSeq = maxOf("journal_lines");
  // Pruned events' sequences are gone from the table but were handed out: numbering continues above them.
  state.nextOutboxSeq = Math.max(maxOf("outbox"), Number(metaValue(db, META.outboxUsedThroughSeq) ?? 0) + 1);
  state.checkpointSeq = Number(metaValue(db, META.checkpointSeq) ?? 0);
  replaySinceCheckpoint(db, state);
  state.recentKeys = loadRecentKeys(db, nowMs);
  return state;
}

/** Heads and daily usage from the transactions written after the last checkpoint, in order. */
function replaySinceCheckpoint(db: Database, state: LedgerState): void {
  const rows = db
    .query("SELECT seq, account_seq, card_seq, usage_day, approved_amount_minor FROM transactions WHERE seq > ? ORDER BY seq")
    .values(state.checkpointSeq) as Array<[number, number | null, number | null, number | null, number | null]>;
  for (const [seq, accountSeq, cardSeq, usageDay, approved] of rows) {
    if (accountSeq !== null) state.chain(state.accounts.get(accountSeq)!, seq);
    if (usageDay !== null && cardSeq !== null && approved !== null) {
      const card = state.cards.get(cardSeq)!;
      countUsage(card, usageDay, approved);
      state.dirtyCards.add(card);
    }
  }
}
