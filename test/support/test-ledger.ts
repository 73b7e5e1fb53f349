import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Ledger } from "../../src/ledger/ledger.ts";
import { openSqliteLedger } from "../../src/ledger/sqlite/sqlite-ledger.ts";

/**
 * The ledger the API and notifier suites run against: the real SQLite ledger in a temporary directory,
 * removed by cleanup(). `reopen()` closes it and opens the same file again with the same PAN key: a restart.
 */
export interface TestLedger {
  ledger: Ledger;
  readonly path: string;
  reopen(): Promise<Ledger>;
  cleanup(): Promise<void>;
}

export async function openTestLedger(): Promise<TestLedger> {
  const dir = mkdtempSync(join(tmpdir(), "sekisho-api-"));
  const path = join(dir, "ledger.db");
  const panKeyHex = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex");
  // synchronous=normal: these suites test behaviour, not power-loss durability, and must stay light.
  const open = () =>
    openSqliteLedger({ path, synchronous: "normal", busyTimeoutMs: 5000, holdTimeoutSeconds: 86_400, currency: 392, panKeyHex });
  const handle: TestLedger = {
    ledger: await open(),
    path,
    async reopen() {
      await handle.ledger.close();
      handle.ledger = await open();
      return handle.ledger;
    },
    async cleanup() {
      await handle.ledger.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
}
