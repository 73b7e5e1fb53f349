import type { Database, Statement } from "bun:sqlite";
import { rowFromColumns, TRANSACTION_COLUMNS, type NetworkRecord, type RecordSource, type RecordsByKey, type TransactionRow } from "../decision/records.ts";
import { MergedKeyReader } from "./key-index.ts";
import type { SqliteLedgerState } from "./state.ts";
import type { RecentRecords } from "./recent-records.ts";
import { AssertionFailure } from "../../ops/assert.ts";

const SEQS_PER_QUERY = 64;

/**
 * Reads every stored network record for a set of keys: their sequences from the key index (the recent
 * keys in memory and transaction_keys on disk, see key-index.ts), then each record from the recent
 * records when it is there (recent-records.ts), else its row, in a few IN (…) queries — and the rows read
 * join the recent records. A key's records arrive oldest first.
 */
export class RecordReader implements RecordSource {
  private readonly merged: MergedKeyReader;
  private readonly bySeqs: Statement;
  private readonly seqs: number[] = [];
  private readonly chunk = new Array<number | null>(SEQS_PER_QUERY);

  constructor(
    db: Database,
    /** The ledger's state as it is now (a rebuild replaces it, recent keys and records with it). */
    private readonly state: () => SqliteLedgerState,
  ) {
    this.merged = new MergedKeyReader(db);
    const placeholders = Array.from({ length: SEQS_PER_QUERY }, () => "?").join(", ");
    this.bySeqs = db.prepare(`SELECT * FROM transactions_now WHERE seq IN (${placeholders}) ORDER BY seq`);
  }

  read(keys: readonly string[], into: RecordsByKey): void {
    const seqs = this.seqs;
    seqs.length = 0;
    this.merged.seqsInto(keys, seqs);
    const { recentKeys, recentRecords } = this.state();
    for (const key of keys) recentKeys.seqsInto(key, seqs);
    if (seqs.length === 0) return;
    seqs.sort((a, b) => a - b);
    const chunk = this.chunk;
    let filled = 0;
    let last = 0;
    for (const seq of seqs) {
      if (seq === last) continue; // a key named twice in the batch (as a key and as an original)
      last = seq;
      const cached = recentRecords.get(seq);
      if (cached !== undefined) {
        into.add(cached);
        continue;
      }
      chunk[filled++] = seq;
      if (filled === SEQS_PER_QUERY) {
        this.readRows(into, recentRecords);
        filled = 0;
      }
    }
    if (filled > 0) {
      chunk.fill(null, filled);
      this.readRows(into, recentRecords);
    }
  }

  private readRows(into: RecordsByKey, recentRecords: RecentRecords): void {
    for (const source of this.bySeqs.all(...this.chunk) as Array<Record<string, unknown>>) {
      const record = rowFromColumns<TransactionRow>(source, TRANSACTION_COLUMNS) as NetworkRecord;
      if (record.key === null) throw new AssertionFailure(`the key index names transaction ${record.seq}, which has no key`);
      record.stored = true;
      into.add(record);
      recentRecords.add(record);
    }
  }
}
