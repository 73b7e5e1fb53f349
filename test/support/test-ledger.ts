import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Ledger } from "../../src/ledger/ledger.ts";
import { MemoryLedger } from "./memory-ledger.ts";

/**
 * The ledger the API and notifier suites run against, in a temporary directory removed by cleanup().
 * `reopen()` closes it and opens the same file again: a restart.
 */
export interface TestLedger {
  ledger: Ledger;
  readonly path: string;
  reopen(): Promise<Ledger>;
  cleanup(): Promise<void>;
}

function open(path: string): Ledger {
  return new MemoryLedger(path);
}

export async function openTestLedger(): Promise<TestLedger> {
  const dir = mkdtempSync(join(tmpdir(), "sekisho-api-"));
  const path = join(dir, "ledger.db");
  const handle: TestLedger = {
    ledger: open(path),
    path,
    async reopen() {
      await handle.ledger.close();
      handle.ledger = open(path);
      return handle.ledger;
    },
    async cleanup() {
      await handle.ledger.close();
      MemoryLedger.forget(path);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
}
