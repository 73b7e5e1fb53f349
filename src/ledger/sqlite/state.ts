import { LedgerState } from "../decision/state.ts";
import { RecentKeys } from "./key-index.ts";
import type { RecentRecords } from "./recent-records.ts";

/**
 * The shared state plus what only the SQLite ledger keeps: the keys of the transactions not yet in
 * transaction_keys, and the newest records. Rebuilt with the rest, so a failed transaction's keys and
 * records are forgotten with its rows.
 */
export class SqliteLedgerState extends LedgerState {
  recentKeys = new RecentKeys(0);

  constructor(readonly recentRecords: RecentRecords) {
    super();
  }
}
