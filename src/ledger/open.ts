import { defaultOf, isPostgresUrl, type Config } from "../config.ts";
import { LedgerError, type Ledger } from "./ledger.ts";
import { openPostgresLedger } from "./postgres/postgres-ledger.ts";
import { openSqliteLedger } from "./sqlite/sqlite-ledger.ts";

/**
 * Picks the ledger for the configured `db`: a PostgreSQL URL selects the shared ledger, anything else is
 * the path of an embedded SQLite file.
 */
export type LedgerConfig = Pick<Config, "db" | "sqliteSynchronous" | "sqliteBusyTimeoutMs" | "holdTimeoutSeconds" | "currency" | "panKey"> &
  Partial<Pick<Config, "sqliteKeyMergeKeysMax" | "sqliteKeyMergeSliceKeysMax" | "sqliteRecentRecordsMax" | "sqliteWalAutocheckpointPages" | "postgresPoolMax" | "postgresConnectTimeoutMs" | "postgresStatementTimeoutMs" | "postgresCommitCheckTimeoutMs" | "webhookUrl">>;

export { isPostgresUrl };

export async function openLedger(config: LedgerConfig, options: { clock?: () => number } = {}): Promise<Ledger> {
  if (config.panKey === undefined) {
    throw new LedgerError("invalid_input", "SEKISHO_PAN_KEY is not set: 32 bytes as 64 hex characters encrypt and index card numbers");
  }
  const clock = options.clock ? { clock: options.clock } : {};
  // Without a webhook, events are kept for GET /v1/events but never queued: a receiver configured later
  // gets the events written from then on, not the backlog of the time before.
  const queueEvents = config.webhookUrl !== undefined;
  if (isPostgresUrl(config.db)) {
    return openPostgresLedger({
      url: config.db,
      poolMax: config.postgresPoolMax ?? (defaultOf("postgresPoolMax") as number),
      connectTimeoutMs: config.postgresConnectTimeoutMs ?? (defaultOf("postgresConnectTimeoutMs") as number),
      statementTimeoutMs: config.postgresStatementTimeoutMs ?? (defaultOf("postgresStatementTimeoutMs") as number),
      commitCheckTimeoutMs: config.postgresCommitCheckTimeoutMs ?? (defaultOf("postgresCommitCheckTimeoutMs") as number),
      holdTimeoutSeconds: config.holdTimeoutSeconds,
      currency: config.currency,
      panKeyHex: config.panKey,
      queueEvents,
      ...clock,
    });
  }
  return openSqliteLedger({
    path: config.db,
    synchronous: config.sqliteSynchronous,
    busyTimeoutMs: config.sqliteBusyTimeoutMs,
    holdTimeoutSeconds: config.holdTimeoutSeconds,
    currency: config.currency,
    panKeyHex: config.panKey,
    keyMergeKeysMax: config.sqliteKeyMergeKeysMax ?? (defaultOf("sqliteKeyMergeKeysMax") as number),
    keyMergeSliceKeysMax: config.sqliteKeyMergeSliceKeysMax ?? (defaultOf("sqliteKeyMergeSliceKeysMax") as number),
    recentRecordsMax: config.sqliteRecentRecordsMax ?? (defaultOf("sqliteRecentRecordsMax") as number),
    walAutocheckpointPages: config.sqliteWalAutocheckpointPages ?? (defaultOf("sqliteWalAutocheckpointPages") as number),
    queueEvents,
    ...clock,
  });
}
