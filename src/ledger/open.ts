import { LedgerError, type Ledger } from "./ledger.ts";
import { openPostgresLedger } from "./postgres/postgres-ledger.ts";
import { openSqliteLedger } from "./sqlite/sqlite-ledger.ts";
import { isPostgresUrl, LEDGER_DEFAULTS, type LedgerConfig } from "./open-options.ts";

export { isPostgresUrl, type LedgerConfig };

/**
 * Picks the ledger for the configured `db`: a PostgreSQL URL selects the shared ledger, anything else is
 * the path of an embedded SQLite file.
 */
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
      poolMax: config.postgresPoolMax ?? LEDGER_DEFAULTS.postgresPoolMax,
      connectTimeoutMs: config.postgresConnectTimeoutMs ?? LEDGER_DEFAULTS.postgresConnectTimeoutMs,
      statementTimeoutMs: config.postgresStatementTimeoutMs ?? LEDGER_DEFAULTS.postgresStatementTimeoutMs,
      commitCheckTimeoutMs: config.postgresCommitCheckTimeoutMs ?? LEDGER_DEFAULTS.postgresCommitCheckTimeoutMs,
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
    keyMergeKeysMax: config.sqliteKeyMergeKeysMax ?? LEDGER_DEFAULTS.sqliteKeyMergeKeysMax,
    keyMergeSliceKeysMax: config.sqliteKeyMergeSliceKeysMax ?? LEDGER_DEFAULTS.sqliteKeyMergeSliceKeysMax,
    recentRecordsMax: config.sqliteRecentRecordsMax ?? LEDGER_DEFAULTS.sqliteRecentRecordsMax,
    walAutocheckpointPages: config.sqliteWalAutocheckpointPages ?? LEDGER_DEFAULTS.sqliteWalAutocheckpointPages,
    queueEvents,
    ...clock,
  });
}
