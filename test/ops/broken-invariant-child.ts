/**
 * `sekisho run` (src/main.ts) with a broken invariant injected into the real SQLite ledger, for
 * test/ops/broken-invariant.test.ts: the SEKISHO_TEST_BREAK_BATCH-th authorization batch is decided and its
 * rows queued in the open transaction as usual, then the ledger's bookkeeping asserts — as when a journal
 * entry does not balance — before anything commits.
 */
import { Authorizer } from "../../src/ledger/decision/authorizer.ts";
import { AssertionFailure } from "../../src/ops/assert.ts";

const breakAt = Number(process.env.SEKISHO_TEST_BREAK_BATCH ?? "0");
let batches = 0;
const decide = Authorizer.prototype.run;
Authorizer.prototype.run = function (this: Authorizer, ...args: Parameters<Authorizer["run"]>) {
  const decisions = decide.apply(this, args);
  batches++;
  if (batches === breakAt) throw new AssertionFailure(`journal entry ${batches} does not balance (1)`);
  return decisions;
};

await import("../../src/main.ts");
