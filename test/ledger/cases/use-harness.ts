import { afterEach } from "bun:test";
import type { HarnessOptions, LedgerHarness, OpenHarness } from "../harness.ts";
import { TEST_NOW_MS } from "../harness.ts";

/** Opens a fresh harness per test and disposes of every one opened, pass or fail. */
export function useHarness(open: OpenHarness): (options?: HarnessOptions) => Promise<LedgerHarness> {
  const opened: LedgerHarness[] = [];
  afterEach(async () => {
    for (const harness of opened.splice(0)) await harness.dispose();
  });
  return async (options = {}) => {
    const harness = await open(options);
    harness.nowMs = TEST_NOW_MS;
    opened.push(harness);
    return harness;
  };
}
