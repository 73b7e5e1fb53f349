import { describe, expect, test } from "bun:test";
import { runEndToEnd } from "../../src/demo/end-to-end.ts";
import { benchReport } from "../../src/commands/bench-e2e.ts";
import { MAIN } from "../support/cli.ts";

/**
 * The simulator against the real processor (a `sekisho run` child process with a fresh SQLite ledger),
 * for a couple of seconds per profile: every answer checked, every balance compared, and the processor's
 * ordered shutdown on SIGTERM.
 */
describe("simulator against the real processor", () => {
  for (const profile of ["iso87-ascii", "visa-base1"] as const) {
    test(`${profile}: zero unanswered, zero check failures, consistent ledger, clean shutdown`, async () => {
      const report = await runEndToEnd({
        durationSeconds: 2,
        profile,
        links: 2,
        instances: 1,
        users: 300,
        windowMax: 32,
        processorCommand: [process.execPath, MAIN],
      });
      const failures = JSON.stringify(report.sim.failure_examples ?? []).slice(0, 2000);
      expect(report.sim.check_failures, failures).toBe(0);
      expect(report.sim.unanswered).toBe(0);
      expect(report.sim.sent).toBeGreaterThan(1000);
      expect(report.sim.ledger_consistent).toBe(true);
      expect(report.consistency?.consistent).toBe(true);
      expect(report.processors.map((p) => p.exitCode)).toEqual([0]);
      // Every scenario of the mix happened at least once, so every rule was exercised against the real ledger.
      for (const [scenario, count] of Object.entries(report.sim.by_scenario)) expect([scenario, count]).not.toEqual([scenario, 0]);
      const json = benchReport(report);
      for (const key of ["sent", "answered", "unanswered", "approved", "declined", "tps", "latency_ms", "ledger_consistent"]) {
        expect(json).toHaveProperty(key);
      }
    }, 60_000);
  }
});
