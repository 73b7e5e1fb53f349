import type { Database } from "bun:sqlite";
import type { CardLimits } from "../../domain/card-limits.ts";
import type { PanVault } from "../pan-vault.ts";
import type { SqliteLedgerState } from "./state.ts";
import type { Writer } from "./writer.ts";

/**
 * What the SQLite ledger's operation modules share. `state` is replaced when the ledger rebuilds it from
 * disk, so modules read it through the context each time rather than keeping their own reference.
 */
export interface SqliteContext {
  readonly db: Database;
  readonly writer: Writer;
  readonly vault: PanVault;
  readonly clock: () => number;
  readonly currency: number;
  readonly limitDefaults: CardLimits;
  readonly holdTimeoutMs: number;
  state: SqliteLedgerState;
}
