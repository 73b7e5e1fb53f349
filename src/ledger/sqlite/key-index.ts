import type { Database, Statement } from "bun:sqlite";
import { META, metaValue } from "./meta.ts";
import { AssertionFailure } from "../../ops/assert.ts";

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
 * the oldest of them — the recent keys are merged into transaction_keys as one sorted run (key-merger.ts).
 * The run is staged (its keys listed and sorted once) and written a slice of at most KEY_MERGE_SLICE_KEYS_MAX
 * keys per transaction, in the next batches' transactions ahead of their work, so that no batch carries a
 * whole merge. The transaction that writes the last slice advances the sequence in meta, and only then do the
 * run's keys leave memory: meanwhile a key may be found in both parts, which a lookup tolerates (it asks
 * for sequences, and the same sequence twice is one). A crash or a failed transaction mid-run leaves some
 * of the run's rows on disk beyond the merged sequence: start-up (or the rebuild) finds the same keys in
 * the tail again, and the next run writes them with INSERT OR IGNORE, the rows being identical.
 *
 * Bounds: a batch writes at least a slice of the run, and at least twice as many of its keys as the batch
 * itself adds, so the merges keep up whatever the batch size: a run holds fewer than
 * 2 × (KEY_MERGE_KEYS_MAX + 2 × BATCH_REQUESTS_MAX) keys (the keys due, plus what the batches add while
 * the previous run is written, at most half its size), a few MB. Staging sorts the run (about 5 ms for
 * 16,384 keys) and is all the transaction that does it carries of a run longer than its share; a slice of
 * 2,048 keys costs about 3 ms on the batch that carries it.
 *
 * transaction_keys stores each key with its last part (DE 7, the transmission time, MMDDhhmmss) moved to
 * the front. Keys that arrive together then sort together: a merge appends near the end of the B-tree,
 * writing each leaf once, whatever the number of acquirers and however often their STANs have wrapped. The
 * rotation is a bijection (see keyTimeFirst), so a lookup is exact.
 */
export const KEY_MERGE_KEYS_MAX = 16_384;
export const KEY_MERGE_INTERVAL_MS = 2_000;
export const KEY_MERGE_SLICE_KEYS_MAX = 2_048;

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

/** A merge under way: the recent keys up to `through`, in transaction_keys' order, written from `next` on. */
export interface StagedMerge {
  readonly through: number;
  readonly entries: ReadonlyArray<{ readonly key: string; readonly stored: string; readonly seq: number }>;
  next: number;
}

/**
 * The keys of transactions after the merged sequence. Most keys have one transaction, kept without an
 * array of its own; the map gets an entry for every keyed transaction until the merge that writes it.
 */
export class RecentKeys {
  private readonly seqsByKey = new Map<string, number | number[]>();
  private count = 0;
  /** Keys not in the staged merge: the ones that make the next merge due. */
  private unstaged = 0;
  /** When the oldest key not in the staged merge was added (the ledger's clock); null when there is none. */
  oldestAtMs: number | null = null;
  staged: StagedMerge | null = null;

  constructor(
    /** Every keyed transaction up to this sequence is in transaction_keys; the map holds those after it. */
    public mergedThroughSeq: number,
  ) {}

  get size(): number {
    return this.count;
  }

  /** Keys of the staged merge not yet written; 0 when none is under way. */
  get stagedLeft(): number {
    return this.staged === null ? 0 : this.staged.entries.length - this.staged.next;
  }

  add(key: string, seq: number, nowMs: number): void {
    if (!(seq > this.mergedThroughSeq)) throw new AssertionFailure(`key of transaction ${seq} added at or below the merged sequence`);
    const found = this.seqsByKey.get(key);
    if (found === undefined) this.seqsByKey.set(key, seq);
    else if (Array.isArray(found)) found.push(seq);
    else this.seqsByKey.set(key, [found, seq]);
    this.count += 1;
    this.unstaged += 1;
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

  /**
   * Stages every recent key (all are at or below `through`: keys are added only after their rows) as a
   * merge, sorted as transaction_keys stores them; the staged merge already under way when there is one.
   */
  stage(through: number): StagedMerge {
    if (this.staged !== null) return this.staged;
    const entries = new Array<{ key: string; stored: string; seq: number }>(this.count);
    let filled = 0;
    for (const [key, found] of this.seqsByKey) {
      const stored = keyTimeFirst(key);
      if (Array.isArray(found)) for (const seq of found) entries[filled++] = { key, stored, seq };
      else entries[filled++] = { key, stored, seq: found };
    }
    if (filled !== this.count) throw new AssertionFailure(`${filled} recent keys listed, ${this.count} counted`);
    if (filled > 0 && !(entries.every((entry) => entry.seq <= through))) throw new AssertionFailure("a recent key is beyond the merge's sequence");
    // A key's sequences are listed in ascending order and the sort is stable: comparing keys is enough.
    entries.sort((a, b) => (a.stored < b.stored ? -1 : a.stored > b.stored ? 1 : 0));
    this.staged = { through, entries, next: 0 };
    this.unstaged = 0;
    this.oldestAtMs = null;
    return this.staged;
  }

  mergeDue(nowMs: number, keysMax: number): boolean {
    return (
      this.staged !== null ||
      this.unstaged >= keysMax ||
      (this.oldestAtMs !== null && nowMs - this.oldestAtMs >= KEY_MERGE_INTERVAL_MS)
    );
  }

  /** After the staged merge's last slice: its keys are on disk, through its sequence; the keys added since stay. */
  mergedStaged(): void {
    const staged = this.staged;
    if (staged === null || staged.next !== staged.entries.length) throw new AssertionFailure("no staged merge written to its end");
    for (const { key, seq } of staged.entries) this.forget(key, seq);
    this.count -= staged.entries.length;
    this.mergedThroughSeq = staged.through;
    this.staged = null;
    if (this.count !== this.unstaged) throw new AssertionFailure(`${this.count} recent keys left, ${this.unstaged} added since the merge was staged`);
  }

  private forget(key: string, seq: number): void {
    const found = this.seqsByKey.get(key);
    if (found === seq) {
      this.seqsByKey.delete(key);
      return;
    }
    if (!Array.isArray(found) || !found.includes(seq)) throw new AssertionFailure(`the staged key of transaction ${seq} is not among the recent keys`);
    const left = found.filter((other) => other !== seq);
    this.seqsByKey.set(key, left.length === 1 ? left[0]! : left);
  }
}

/** The recent keys as the file has them: the merged sequence from meta, the keys of the rows after it. */
export function loadRecentKeys(db: Database, nowMs: number): RecentKeys {
  const stored = metaValue(db, META.keysMergedThroughSeq);
  if (stored === null) throw new AssertionFailure(`meta has no ${META.keysMergedThroughSeq}`);
  const recent = new RecentKeys(Number(stored));
  const rows = db.query("SELECT key, seq FROM transactions WHERE seq > ? AND key IS NOT NULL ORDER BY seq").values(recent.mergedThroughSeq);
  for (const [key, seq] of rows as Array<[string, number]>) recent.add(key, seq, nowMs);
  return recent;
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
