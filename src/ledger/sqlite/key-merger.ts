import type { Database } from "bun:sqlite";
import { AssertionFailure } from "../../ops/assert.ts";
import { BulkInsert } from "./bulk-insert.ts";
import type { SqliteContext } from "./context.ts";
import { keyFromTimeFirstSql } from "./key-index.ts";
import { META, setMeta } from "./meta.ts";

/** Rows per INSERT statement of a merge (two values each). */
const MERGE_ROWS_PER_STATEMENT = 256;

/**
 * Writes the staged merge into transaction_keys, a slice per call, staging one first when none is under
 * way — inside the caller's transaction, before anything else in it (every earlier row is written by
 * then, and its key known). Sorted, a run's inserts walk the B-tree from left to right and each slice
 * continues where the last one stopped.
 */
export class KeyMerger {
  private readonly insert: BulkInsert;

  constructor(
    db: Database,
    private readonly sliceKeysMax: number,
  ) {
    if (!(Number.isInteger(sliceKeysMax) && sliceKeysMax >= 1)) throw new AssertionFailure("a merge slice holds at least one key");
    this.insert = new BulkInsert(db, "transaction_keys", ["key_time_first", "seq"], MERGE_ROWS_PER_STATEMENT, "INSERT OR IGNORE");
  }

  /**
   * Writes the next slice — at least `keysAtLeast` keys of the run when the slice is smaller, so that a
   * batch writes more keys than it adds — and `completed` when it was the staged merge's last.
   */
  step(ctx: SqliteContext, options: { wholeRun?: boolean; keysAtLeast?: number } = {}): { keys: number; completed: boolean } {
    const state = ctx.state;
    const recent = state.recentKeys;
    const through = state.nextTxnSeq - 1;
    if (recent.staged === null && through === recent.mergedThroughSeq) return { keys: 0, completed: false };
    if (ctx.writer.queuedRows !== 0) throw new AssertionFailure("keys are merged before a transaction queues rows");
    this.insert.discard(); // rows of a step whose transaction failed part way
    const fresh = recent.staged === null;
    const staged = recent.stage(through);
    const slice = Math.max(this.sliceKeysMax, options.keysAtLeast ?? 0);
    // Staging sorts the run: that is the whole share of this transaction when the run is longer than a slice.
    const share = options.wholeRun ? staged.entries.length : fresh && staged.entries.length > slice ? 0 : slice;
    const end = Math.min(staged.entries.length, staged.next + share);
    for (let i = staged.next; i < end; i++) {
      const entry = staged.entries[i]!;
      this.insert.push(entry.stored, entry.seq);
    }
    this.insert.flush();
    const keys = end - staged.next;
    staged.next = end;
    if (end < staged.entries.length) return { keys, completed: false };
    setMeta(ctx.db, META.keysMergedThroughSeq, staged.through);
    recent.mergedStaged();
    return { keys, completed: true };
  }
}

/**
 * Where the key index disagrees with the transactions it indexes: keyed rows up to the merged sequence
 * that transaction_keys does not name with their key, its entries that name no such row, and keyed rows
 * after it that the recent keys do not know (or recent keys beyond them). Entries beyond the merged
 * sequence are part of a merge under way (or cut short by a crash) and count as long as they name their
 * row with its key. A full scan, for checkConsistency.
 */
export function keyIndexMismatched(ctx: SqliteContext): number {
  const db = ctx.db;
  const recent = ctx.state.recentKeys;
  const through = recent.mergedThroughSeq;
  const count = (sql: string, ...params: number[]) => (db.query(sql).get(...params) as { n: number }).n;
  // The key is unique per (key, seq) entry and the rotation is a bijection: each row matches one entry at most.
  const matching = `SELECT COUNT(*) AS n FROM transaction_keys k JOIN transactions t ON t.seq = k.seq
     WHERE t.key = ${keyFromTimeFirstSql("k.key_time_first")}`;
  const matchedThrough = count(`${matching} AND t.seq <= ?`, through);
  const keyed = count("SELECT COUNT(*) AS n FROM transactions WHERE seq <= ? AND key IS NOT NULL", through);
  const missing = keyed - matchedThrough;
  const extra = count("SELECT COUNT(*) AS n FROM transaction_keys") - count(matching);
  let recentMissing = 0;
  let recentKeyed = 0;
  for (const [key, seq] of db.query("SELECT key, seq FROM transactions WHERE seq > ? AND key IS NOT NULL").values(through) as Array<[string, number]>) {
    recentKeyed += 1;
    if (!recent.has(key, seq)) recentMissing += 1;
  }
  return missing + extra + recentMissing + Math.abs(recent.size - (recentKeyed - recentMissing));
}
