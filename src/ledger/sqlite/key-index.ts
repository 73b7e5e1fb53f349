import type { Database, Statement } from "bun:sqlite";
import { BulkInsert } from "./bulk-insert.ts";
import { setMeta } from "./checkpoint.ts";
import type { SqliteContext } from "./context.ts";

/**
 * Finding a transaction's earlier records by its network key, at any age, without an index on
 * transactions(key): with requests from many acquirers at once, such an index takes each batch's keys at as
 * many places as there are acquirers in flight, and every commit wrote each of those leaf pages again.
 *
 * The key index has two parts, split at a sequence number kept in meta (keys_merged_through_seq):
 * - on disk, transaction_keys holds (key, seq) for every keyed transaction up to that sequence;
 * - in memory, RecentKeys maps each key of a transaction after it to its sequence(s). It is rebuilt at
 *   start-up (and after any failed transaction) from the tail of the transactions table.
 * A lookup consults both. Every so often — KEY_MERGE_KEYS_MAX recent keys, or KEY_MERGE_INTERVAL_MS after
 * the oldest of them — one transaction (the next batch's, ahead of its work; or expiry's) writes the recent
 * keys into transaction_keys, sorted, and advances the sequence in meta; a crash before its commit leaves
 * both as they were, and start-up finds the same keys in the tail again.
 *
 * Bounds: at most KEY_MERGE_KEYS_MAX - 1 + BATCH_REQUESTS_MAX keys wait in memory (a few MB), and a merge
 * of 16,384 keys costs about 10-20 ms on the batch that carries it (sort, insert, a larger commit).
 *
 * transaction_keys stores each key with its last part (DE 7, the transmission time, MMDDhhmmss) moved to
 * the front. Keys that arrive together then sort together: a merge appends near the end of the B-tree,
 * writing each leaf once, whatever the number of acquirers and however often their STANs have wrapped. The
 * rotation is a bijection (see keyTimeFirst), so a lookup is exact.
 */
export const KEY_MERGE_KEYS_MAX = 16_384;
export const KEY_MERGE_INTERVAL_MS = 2_000;
export const KEYS_MERGED_THROUGH_META = "keys_merged_through_seq";

/**
 * The key with its part after the last ":" moved to the front: "01:12345678:123456:1126071245" becomes
 * "1126071245:01:12345678:123456". A key without ":" stays as it is (a rotated key always has one, so the
 * two kinds never meet). keyTimeFirstSql() computes the same in SQL.
 */
export function keyTimeFirst(key: string): string {
  const colon = key.lastIndexOf(":");
  return colon < 0 ? key : `${key.slice(colon + 1)}:${key.slice(0, colon)}`;
}

/**
 * keyTimeFirst in SQL, as schema 2 builds transaction_keys from existing rows: rtrim(key, <the key's
 * characters but ":">) is the key up to and with its last ":".
 */
export function keyTimeFirstSql(column: string): string {
  const head = `length(rtrim(${column}, replace(${column}, ':', '')))`;
  return `CASE WHEN instr(${column}, ':') = 0 THEN ${column} ELSE substr(${column}, ${head} + 1) || ':' || substr(${column}, 1, ${head} - 1) END`;
}

/** The inverse in SQL: the key again, from its stored form (the part before the first ":" goes back to the end). */
export function keyFromTimeFirstSql(column: string): string {
  const colon = `instr(${column}, ':')`;
  return `CASE WHEN ${colon} = 0 THEN ${column} ELSE substr(${column}, ${colon} + 1) || ':' || substr(${column}, 1, ${colon} - 1) END`;
}

/**
 * The keys of transactions after the merged sequence. Most keys have one transaction, kept without an
 * array of its own; the map gets an entry for every keyed transaction until the next merge.
 */
export class RecentKeys {
  private readonly seqsByKey = new Map<string, number | number[]>();
  private count = 0;
  /** When the oldest key still unmerged was added (the ledger's clock); null when there is none. */
  oldestAtMs: number | null = null;

  constructor(
    /** Every keyed transaction up to this sequence is in transaction_keys; the map holds those after it. */
    public mergedThroughSeq: number,
  ) {}

  get size(): number {
    return this.count;
  }

  add(key: string, seq: number, nowMs: number): void {
    if (!(seq > this.mergedThroughSeq)) throw new Error(`assertion: key of transaction ${seq} added at or below the merged sequence`);
    const found = this.seqsByKey.get(key);
    if (found === undefined) this.seqsByKey.set(key, seq);
    else if (Array.isArray(found)) found.push(seq);
    else this.seqsByKey.set(key, [found, seq]);
    this.count += 1;
    if (this.oldestAtMs === null) this.oldestAtMs = nowMs;
  }

  has(key: string, seq: number): boolean {
    const found = this.seqsByKey.get(key);
    return found === seq || (Array.isArray(found) && found.includes(seq));
  }

  /** Appends the sequences of `key`'s recent transactions, oldest first. */
  seqsInto(key: string, out: number[]): void {
    const found = this.seqsByKey.get(key);
    if (found === undefined) return;
    if (Array.isArray(found)) out.push(...found);
    else out.push(found);
  }

  /** Every recent (key, seq) with the key rotated as transaction_keys stores it, in that table's order. */
  sortedForMerge(): Array<{ key: string; seq: number }> {
    const entries = new Array<{ key: string; seq: number }>(this.count);
    let filled = 0;
    for (const [key, found] of this.seqsByKey) {
      const stored = keyTimeFirst(key);
      if (Array.isArray(found)) for (const seq of found) entries[filled++] = { key: stored, seq };
      else entries[filled++] = { key: stored, seq: found };
    }
    if (filled !== this.count) throw new Error(`assertion: ${filled} recent keys listed, ${this.count} counted`);
    // A key's sequences are listed in ascending order and the sort is stable: comparing keys is enough.
    return entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  mergeDue(nowMs: number, keysMax: number): boolean {
    return this.count >= keysMax || (this.oldestAtMs !== null && nowMs - this.oldestAtMs >= KEY_MERGE_INTERVAL_MS);
  }

  /** After a merge through `seq`: every key known here is on disk now. */
  merged(seq: number): void {
    this.seqsByKey.clear();
    this.count = 0;
    this.oldestAtMs = null;
    this.mergedThroughSeq = seq;
  }
}

/** The recent keys as the file has them: the merged sequence from meta, the keys of the rows after it. */
export function loadRecentKeys(db: Database, nowMs: number): RecentKeys {
  const stored = db.query("SELECT value FROM meta WHERE name = ?").get(KEYS_MERGED_THROUGH_META) as { value: string } | null;
  if (stored === null) throw new Error(`assertion: meta has no ${KEYS_MERGED_THROUGH_META}`);
  const recent = new RecentKeys(Number(stored.value));
  const rows = db.query("SELECT key, seq FROM transactions WHERE seq > ? AND key IS NOT NULL ORDER BY seq").values(recent.mergedThroughSeq);
  for (const [key, seq] of rows as Array<[string, number]>) recent.add(key, seq, nowMs);
  return recent;
}

/** Rows per INSERT statement of a merge (two values each). */
const MERGE_ROWS_PER_STATEMENT = 256;

/**
 * Writes the recent keys into transaction_keys, in key order, and advances the merged sequence — inside
 * the caller's transaction, before anything else in it (every earlier row is written by then, and its
 * key known). Sorted, the inserts walk the B-tree from left to right; within the one transaction, each
 * leaf is written once, at the commit.
 */
export class KeyMerger {
  private readonly insert: BulkInsert;

  constructor(db: Database) {
    this.insert = new BulkInsert(db, "transaction_keys", ["key_time_first", "seq"], MERGE_ROWS_PER_STATEMENT);
  }

  /** Returns the number of keys merged. */
  merge(ctx: SqliteContext): number {
    const state = ctx.state;
    const recent = state.recentKeys;
    const through = state.nextTxnSeq - 1;
    if (through === recent.mergedThroughSeq) return 0;
    if (ctx.writer.queuedRows !== 0) throw new Error("assertion: keys are merged before a transaction queues rows");
    const entries = recent.sortedForMerge();
    for (const entry of entries) this.insert.push(entry.key, entry.seq);
    this.insert.flush();
    setMeta(ctx, KEYS_MERGED_THROUGH_META, through);
    recent.merged(through);
    return entries.length;
  }
}

/**
 * Where the key index disagrees with the transactions it indexes: keyed rows up to the merged sequence
 * that transaction_keys does not name with their key, its entries that name no such row, and keyed rows
 * after it that the recent keys do not know (or recent keys beyond them). A full scan, for checkConsistency.
 */
export function keyIndexMismatched(ctx: SqliteContext): number {
  const db = ctx.db;
  const recent = ctx.state.recentKeys;
  const through = recent.mergedThroughSeq;
  const count = (sql: string, ...params: number[]) => (db.query(sql).get(...params) as { n: number }).n;
  // The key is unique per (key, seq) entry and the rotation is a bijection: each row matches one entry at most.
  const matched = count(
    `SELECT COUNT(*) AS n FROM transaction_keys k JOIN transactions t ON t.seq = k.seq
     WHERE t.seq <= ? AND t.key = ${keyFromTimeFirstSql("k.key_time_first")}`,
    through,
  );
  const keyed = count("SELECT COUNT(*) AS n FROM transactions WHERE seq <= ? AND key IS NOT NULL", through);
  const missing = keyed - matched;
  const extra = count("SELECT COUNT(*) AS n FROM transaction_keys") - matched;
  let recentMissing = 0;
  let recentKeyed = 0;
  for (const [key, seq] of db.query("SELECT key, seq FROM transactions WHERE seq > ? AND key IS NOT NULL").values(through) as Array<[string, number]>) {
    recentKeyed += 1;
    if (!recent.has(key, seq)) recentMissing += 1;
  }
  return missing + extra + recentMissing + Math.abs(recent.size - (recentKeyed - recentMissing));
}

const KEYS_PER_QUERY = 64;

/** Sequences of the transactions with given keys, from transaction_keys, in IN (…) queries of 64 keys. */
export class MergedKeyReader {
  private readonly byKeys: Statement;
  private readonly chunk = new Array<string | null>(KEYS_PER_QUERY);

  constructor(db: Database) {
    const placeholders = Array.from({ length: KEYS_PER_QUERY }, () => "?").join(", ");
    this.byKeys = db.prepare(`SELECT seq FROM transaction_keys WHERE key_time_first IN (${placeholders})`);
  }

  seqsInto(keys: readonly string[], out: number[]): void {
    const chunk = this.chunk;
    for (let start = 0; start < keys.length; start += KEYS_PER_QUERY) {
      for (let i = 0; i < KEYS_PER_QUERY; i++) {
        const key = keys[start + i];
        chunk[i] = key === undefined ? null : keyTimeFirst(key);
      }
      for (const [seq] of this.byKeys.values(...chunk) as Array<[number]>) out.push(seq);
    }
  }
}
