import type { Database, Statement } from "bun:sqlite";
import { rowFromColumns, TRANSACTION_COLUMNS, type NetworkRecord, type RecordSource, type RecordsByKey, type TransactionRow } from "../batch/records.ts";

const KEYS_PER_QUERY = 64;

/** Reads every stored network record for a set of keys, in a few IN (…) queries. */
export class RecordReader implements RecordSource {
  private readonly byKeys: Statement;

  constructor(db: Database) {
    const placeholders = Array.from({ length: KEYS_PER_QUERY }, () => "?").join(", ");
    this.byKeys = db.prepare(`SELECT * FROM transactions WHERE key IN (${placeholders})`);
  }

  read(keys: readonly string[], into: RecordsByKey): void {
    const chunk = new Array<string | null>(KEYS_PER_QUERY);
    for (let start = 0; start < keys.length; start += KEYS_PER_QUERY) {
      for (let i = 0; i < KEYS_PER_QUERY; i++) chunk[i] = keys[start + i] ?? null;
      for (const source of this.byKeys.all(...chunk) as Array<Record<string, unknown>>) {
        const record = rowFromColumns<TransactionRow>(source, TRANSACTION_COLUMNS) as NetworkRecord;
        record.stored = true;
        if (!into.recordsOf(record.key).some((known) => known.seq === record.seq)) into.add(record);
      }
    }
  }
}
