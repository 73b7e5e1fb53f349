import type { Config } from "../config.ts";
import { LedgerError, type Ledger } from "./ledger.ts";
import { openSqliteLedger } from "./sqlite/sqlite-ledger.ts";

/**
 * Picks the ledger for the configured `db`: a PostgreSQL URL selects the shared ledger, anything else is
 * the path of an embedded SQLite file.
 */
export type LedgerConfig = Pick<
  Config,
  "db" | "sqliteSynchronous" | "sqliteBusyTimeoutMs" | "holdTimeoutSeconds" | "currency" | "panKey"
>;

export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

export async function openLedger(config: LedgerConfig, options: { clock?: () => number } = {}): Promise<Ledger> {
  if (config.panKey === undefined) {
    throw new LedgerError("invalid_input", "SEKISHO_PAN_KEY is not set: 32 bytes as 64 hex characters encrypt and index card numbers");
  }
  if (isPostgresUrl(config.db)) throw new LedgerError("unavailable", "unavailable: PostgreSQL ledger not built yet");
  return openSqliteLedger({
    path: config.db,
    synchronous: config.sqliteSynchronous,
    busyTimeoutMs: config.sqliteBusyTimeoutMs,
    holdTimeoutSeconds: config.holdTimeoutSeconds,
    currency: config.currency,
    panKeyHex: config.panKey,
    ...(options.clock ? { clock: options.clock } : {}),
  });
}
