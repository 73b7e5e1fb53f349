import type { Database } from "bun:sqlite";
import type { CardLimits } from "../../domain/card-limits.ts";
import type { PanVault } from "../pan-vault.ts";
import type { SqliteLedgerState } from "./state.ts";
import type { SqliteTransactionWriter } from "./transaction-writer.ts";

/**
 * What the SQLite ledger's operation modules share. The context owns the in-memory state: a rebuild from
 * disk replaces `state` here and nowhere else, so every module, the writer, the record reader and the
 * Authorizer included, reads it through the context each time and keeps no reference of its own.
 */
export interface SqliteContext {
  readonly db: Database;
  readonly writer: SqliteTransactionWriter;
  readonly vault: PanVault;
  readonly clock: () => number;
  readonly currency: number;
  readonly limitDefaults: CardLimits;
  readonly holdTimeoutMs: number;
  state: SqliteLedgerState;
}
