import { KEY_MERGE_KEYS_MAX, KEY_MERGE_SLICE_KEYS_MAX } from "./sqlite/key-index.ts";
import { RECENT_RECORDS_MAX } from "./sqlite/recent-records.ts";
import { WAL_AUTOCHECKPOINT_PAGES } from "./sqlite/database.ts";

/**
 * What openLedger takes, as plain values (commands build them from the configuration): `db` picks the
 * ledger, and a bound left out takes its default below. The configuration shows these defaults as its
 * own: config.ts imports them, the ledger never imports the configuration.
 */
export interface LedgerConfig {
  /** A PostgreSQL URL selects the shared ledger, anything else is the path of an embedded SQLite file. */
  readonly db: string;
  readonly sqliteSynchronous: "full" | "normal";
  readonly sqliteBusyTimeoutMs: number;
  readonly holdTimeoutSeconds: number;
  /** ISO 4217 numeric currency of new accounts. */
  readonly currency: number;
  /** SEKISHO_PAN_KEY: 32 bytes as 64 hex characters; opening fails without it. */
  readonly panKey: string | undefined;
  readonly sqliteKeyMergeKeysMax?: number;
  readonly sqliteKeyMergeSliceKeysMax?: number;
  readonly sqliteRecentRecordsMax?: number;
  readonly sqliteWalAutocheckpointPages?: number;
  readonly postgresPoolMax?: number;
  readonly postgresConnectTimeoutMs?: number;
  readonly postgresStatementTimeoutMs?: number;
  readonly postgresCommitCheckTimeoutMs?: number;
  /** With a webhook, events are queued for delivery; without, only kept for GET /v1/events. */
  readonly webhookUrl?: string | undefined;
}

export const LEDGER_DEFAULTS = {
  sqliteKeyMergeKeysMax: KEY_MERGE_KEYS_MAX,
  sqliteKeyMergeSliceKeysMax: KEY_MERGE_SLICE_KEYS_MAX,
  sqliteRecentRecordsMax: RECENT_RECORDS_MAX,
  sqliteWalAutocheckpointPages: WAL_AUTOCHECKPOINT_PAGES,
  postgresPoolMax: 8,
  postgresConnectTimeoutMs: 3000,
  postgresStatementTimeoutMs: 3000,
  postgresCommitCheckTimeoutMs: 3000,
} as const satisfies Partial<Record<keyof LedgerConfig, number>>;

/** `db` names the shared PostgreSQL ledger (else it is a SQLite file path). */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}
