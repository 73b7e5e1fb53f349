import type { SqliteContext } from "./context.ts";
import { META, setMeta } from "./meta.ts";

/**
 * Writes the derived values that batches keep in memory only — each account's history head, each card's
 * usage of the day — for every account and card changed since the last checkpoint, and the sequence they
 * are valid through, in one transaction (the caller's). Start-up replays only what came after it.
 */
export const CHECKPOINT_TRANSACTIONS_DEFAULT = 200_000;

export function writeCheckpoint(ctx: SqliteContext): void {
  const state = ctx.state;
  const head = ctx.db.query("UPDATE accounts SET history_head_seq = ? WHERE seq = ?");
  for (const account of state.dirtyAccounts) head.run(account.head, account.seq);
  const usage = ctx.db.query("UPDATE cards SET usage_day = ?, usage_amount_minor = ?, usage_count = ? WHERE seq = ?");
  for (const card of state.dirtyCards) usage.run(card.usageDay, card.usageAmount, card.usageCount, card.seq);
  const through = state.nextTxnSeq - 1;
  setMeta(ctx.db, META.checkpointSeq, through);
  setMeta(ctx.db, META.pendingHoldsFromSeq, state.pendingHoldsFromSeq);
  state.dirtyAccounts.clear();
  state.dirtyCards.clear();
  state.checkpointSeq = through;
}
