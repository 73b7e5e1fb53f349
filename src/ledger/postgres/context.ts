import type { SQL } from "bun";
import type { CardLimits } from "../../domain/card-limits.ts";
import type { PanVault } from "../pan-vault.ts";
import type { Directory } from "./directory.ts";
import type { Transactions } from "./transaction.ts";

/** What the PostgreSQL ledger's operation modules share. Nothing here changes after start-up. */
export interface PostgresContext {
  readonly pool: SQL;
  readonly transactions: Transactions;
  readonly directory: Directory;
  readonly vault: PanVault;
  readonly clock: () => number;
  readonly currency: number;
  readonly limitDefaults: CardLimits;
  readonly holdTimeoutMs: number;
  /** Bound on a single statement sent outside a ledger transaction. */
  readonly statementTimeoutMs: number;
  /** Events are written queued for webhook delivery (a webhook is configured), else only kept. */
  readonly queueEvents: boolean;
}
