import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteLedger, type SqliteLedgerOptions } from "../../src/ledger/sqlite/sqlite-ledger.ts";
import { SeededRandom } from "../../src/sim/random.ts";
import { TEST_PAN_KEY_HEX, type HarnessOptions, type LedgerHarness } from "./harness.ts";
import { ledgerCases } from "./ledger.cases.ts";

/** A SQLite ledger on a fresh temp file, its clock and randomness under the test's control. */
export async function openSqliteHarness(options: HarnessOptions, extra: Partial<SqliteLedgerOptions> = {}): Promise<LedgerHarness> {
  const dir = mkdtempSync(join(tmpdir(), "sekisho-ledger-test-"));
  const random = new SeededRandom(options.seed ?? 1);
  const harness: LedgerHarness = {
    ledger: undefined as never,
    nowMs: 0,
    async reopen() {
      await harness.ledger.close();
      harness.ledger = await open();
    },
    async dispose() {
      await harness.ledger.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const open = () =>
    openSqliteLedger({
      path: join(dir, "ledger.db"),
      synchronous: "full",
      busyTimeoutMs: 1000,
      holdTimeoutSeconds: options.holdTimeoutSeconds ?? 7 * 86_400,
      currency: 392,
      panKeyHex: TEST_PAN_KEY_HEX,
      clock: () => harness.nowMs,
      randomBytes: (buffer) => buffer.set(random.bytes(buffer.length)),
      ...(options.queueEvents === undefined ? {} : { queueEvents: options.queueEvents }),
      ...extra,
    });
  harness.ledger = await open();
  return harness;
}

ledgerCases("sqlite", (options) => openSqliteHarness(options));

// The same cases with every key merged to disk before the next batch: each original is found in transaction_keys.
ledgerCases("sqlite, keys merged before each batch", (options) => openSqliteHarness(options, { keyMergeKeysMax: 1 }));

// The recent records at their edges: none (every record read from its row), and two (most evicted at once).
ledgerCases("sqlite, no recent records", (options) => openSqliteHarness(options, { recentRecordsMax: 0 }));
ledgerCases("sqlite, two recent records", (options) => openSqliteHarness(options, { recentRecordsMax: 2 }));
