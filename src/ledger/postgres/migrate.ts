import type { SQL } from "bun";
import { LedgerError } from "../ledger.ts";
import { int } from "./rows.ts";
import { MIGRATIONS, SCHEMA_VERSION } from "./schema.ts";

/**
 * Applies the migrations the database has not seen, in one transaction under an advisory lock: instances
 * starting together take turns, and the second finds the work done. A database migrated by a newer build
 * is refused. Without a statement timeout: a migration may rewrite a large table.
 */
const MIGRATION_LOCK = 0x5e_4b_15_40; // any constant, the same in every instance

export async function migrate(pool: SQL): Promise<number> {
  return pool.begin(async (tx) => {
    await tx`SET LOCAL statement_timeout = 0`;
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, description text NOT NULL, applied_at_ms bigint NOT NULL)`;
    const [row] = await tx<Array<{ version: unknown }>>`SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations`;
    const current = int(row!.version);
    if (current > SCHEMA_VERSION) {
      throw new LedgerError("unavailable", `ledger schema version ${current} is newer than this build's ${SCHEMA_VERSION}`);
    }
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue;
      await tx.unsafe(migration.sql);
      await tx`INSERT INTO schema_migrations (version, description, applied_at_ms) VALUES (${migration.version}, ${migration.description}, ${Date.now()})`;
    }
    return SCHEMA_VERSION;
  });
}

/** Stores the PAN key's check value on first use; refuses a database created with another key. */
export async function checkPanKey(pool: SQL, keyCheck: string): Promise<void> {
  await pool`INSERT INTO meta (name, value) VALUES ('pan_key_check', ${keyCheck}) ON CONFLICT (name) DO NOTHING`;
  const [stored] = await pool<Array<{ value: string }>>`SELECT value FROM meta WHERE name = 'pan_key_check'`;
  if (stored?.value !== keyCheck) throw new LedgerError("unavailable", "SEKISHO_PAN_KEY is not the key this ledger was created with");
}
