import { writeSync } from "node:fs";
import { openSqliteLedger } from "../../src/ledger/sqlite/sqlite-ledger.ts";
import { crashBatch, crashLedgerOptions } from "./crash-workload.ts";

/**
 * Applies crash-workload batches to a SQLite ledger, one after another, and prints a line per committed
 * batch: {"batch": i, "decisions": [[responseCode, approvalCode], ...]}. It runs until it is killed.
 * Arguments: database path, PAN key (hex), seed, first batch index, checkpoint interval, PANs (comma-separated),
 * and optionally the recent keys that start a key merge and the keys a transaction writes of one (the
 * ledger's defaults when absent).
 */
const [path, panKeyHex, seedText, firstText, checkpointText, pansText, keyMergeText, sliceText] = process.argv.slice(2);
if (!path || !panKeyHex || !seedText || !firstText || !checkpointText || !pansText) {
  console.error("usage: crash-child.ts PATH PAN_KEY SEED FIRST_BATCH CHECKPOINT_TRANSACTIONS PANS");
  process.exit(2);
}
const pans = pansText.split(",");
const ledger = await openSqliteLedger({
  ...crashLedgerOptions(path, panKeyHex),
  checkpointTransactions: Number(checkpointText),
  ...(keyMergeText === undefined ? {} : { keyMergeKeysMax: Number(keyMergeText) }),
  ...(sliceText === undefined ? {} : { keyMergeSliceKeysMax: Number(sliceText) }),
});
for (let index = Number(firstText); ; index++) {
  const decisions = await ledger.authorizeBatch(crashBatch(Number(seedText), index, pans));
  // Written straight to the pipe, after the commit: a line seen by the parent is a committed batch.
  writeSync(1, JSON.stringify({ batch: index, decisions: decisions.map((d) => [d.responseCode, d.approvalCode]) }) + "\n");
}
