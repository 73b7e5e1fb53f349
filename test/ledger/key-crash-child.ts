import { statSync, writeSync } from "node:fs";
import { DEFAULT_CARD_LIMITS } from "../../src/ledger/card-limits.ts";
import type { SqliteContext } from "../../src/ledger/sqlite/context.ts";
import { openDatabase } from "../../src/ledger/sqlite/database.ts";
import { KeyMerger } from "../../src/ledger/sqlite/key-merger.ts";
import { openSqliteLedger } from "../../src/ledger/sqlite/sqlite-ledger.ts";
import { loadState } from "../../src/ledger/sqlite/load-state.ts";
import { SqliteTransactionWriter } from "../../src/ledger/sqlite/transaction-writer.ts";
import { CRASH_NOW_MS, crashBatch, crashLedgerOptions } from "./crash-workload.ts";

/**
 * Applies `batches` crash-workload batches with key merges held off (a line per committed batch, as
 * crash-child.ts prints), then stops where the parent kills it, printing {"hanging": …} first:
 * - "after-commit": right after the last commit; every key of the run is still only in memory;
 * - "mid-merge": inside a key merge's transaction, its rows inserted and not committed. The page cache is
 *   made tiny so that the merge spills pages into the WAL before its commit; walBytes says how far it got.
 * Arguments: database path, PAN key (hex), seed, batches, PANs (comma-separated), mode.
 */
const [path, panKeyHex, seedText, batchesText, pansText, mode] = process.argv.slice(2);
if (!path || !panKeyHex || !seedText || !batchesText || !pansText || (mode !== "after-commit" && mode !== "mid-merge")) {
  console.error("usage: key-crash-child.ts PATH PAN_KEY SEED BATCHES PANS after-commit|mid-merge");
  process.exit(2);
}
const pans = pansText.split(",");
const options = crashLedgerOptions(path, panKeyHex);
const ledger = await openSqliteLedger({ ...options, keyMergeKeysMax: 1_000_000_000 });
for (let index = 0; index < Number(batchesText); index++) {
  const decisions = await ledger.authorizeBatch(crashBatch(Number(seedText), index, pans));
  writeSync(1, JSON.stringify({ batch: index, decisions: decisions.map((d) => [d.responseCode, d.approvalCode]) }) + "\n");
}
if (mode === "mid-merge") {
  await ledger.close(); // it does not merge: the keys stay recent, to be reloaded from the transactions
  const db = openDatabase(options);
  const state = loadState(db, DEFAULT_CARD_LIMITS, CRASH_NOW_MS);
  db.run("PRAGMA cache_size = 10");
  db.run("BEGIN IMMEDIATE");
  const ctx = { db, state, writer: new SqliteTransactionWriter(db, () => state, { queueEvents: true }) } as unknown as SqliteContext;
  const merged = new KeyMerger(db, 1).step(ctx, { wholeRun: true }).keys;
  writeSync(1, JSON.stringify({ hanging: mode, merged, walBytes: statSync(`${path}-wal`).size }) + "\n");
} else {
  writeSync(1, JSON.stringify({ hanging: mode }) + "\n");
}
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // until killed
