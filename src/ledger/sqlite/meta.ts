import type { Database } from "bun:sqlite";

/**
 * The meta table: single named values the SQLite ledger keeps beside its tables. Every read and write of
 * it at run time is here (the migrations in schema.ts create it and seed the values they introduce).
 */
export const META = {
  /** Transactions whose heads and daily usage are on disk (checkpoint.ts); start-up replays the rest. */
  checkpointSeq: "checkpoint_seq",
  /** Every pending hold is at or after this transaction: where expiry starts its walk. */
  pendingHoldsFromSeq: "pending_holds_from_seq",
  /** Every keyed transaction up to this sequence is in transaction_keys (key-index.ts). */
  keysMergedThroughSeq: "keys_merged_through_seq",
  /** The highest event sequence ever handed out, pruned ones included: numbering continues above it. */
  outboxUsedThroughSeq: "outbox_used_through_seq",
  /** Proof of the PAN key the file was created with (pan-vault.ts). */
  panKeyCheck: "pan_key_check",
} as const;

export type MetaName = (typeof META)[keyof typeof META];

export function metaValue(db: Database, name: MetaName): string | null {
  const row = db.query("SELECT value FROM meta WHERE name = ?").get(name) as { value: string } | null;
  return row === null ? null : row.value;
}

/** Inside the caller's transaction. */
export function setMeta(db: Database, name: MetaName, value: number | string): void {
  db.query("INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value").run(name, String(value));
}
