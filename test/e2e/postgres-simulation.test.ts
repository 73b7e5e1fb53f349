import { describe, expect, test } from "bun:test";
import { benchReport } from "../../src/commands/bench-e2e.ts";
import { runEndToEnd } from "../../src/demo/end-to-end.ts";
import { MAIN } from "../support/cli.ts";
import { TEST_POSTGRES_URL } from "../support/postgres.ts";

/**
 * The simulator against two `sekisho run` processes sharing a PostgreSQL database (a throwaway one on the
 * test server), one link each: every answer checked against the simulator's model of the accounts, every
 * balance compared, the ledger's invariants checked, both processes shut down in order.
 */
describe("the simulator against two processors sharing PostgreSQL", () => {
  test("sekisho bench --db postgres://… --instances 2: every answer checked, every balance compared, consistent", async () => {
    const report = await runEndToEnd({
      durationSeconds: 2,
      profile: "iso87-ascii",
      links: 1,
      instances: 2,
      users: 200,
      windowMax: 32,
      db: TEST_POSTGRES_URL,
      processorCommand: [process.execPath, MAIN],
    });
    const failures = JSON.stringify(report.sim.failure_examples ?? []).slice(0, 2000);
    expect(report.sim.check_failures, failures).toBe(0);
    expect(report.sim.unanswered).toBe(0);
    expect(report.sim.sent).toBeGreaterThan(500);
    expect(report.ledger).toBe("postgres");
    expect(report.consistency?.consistent).toBe(true);
    expect(report.processors.map((p) => p.exitCode)).toEqual([0, 0]);
    expect(benchReport(report)).toMatchObject({ instances: 2, ledger: "postgres", ledger_consistent: true });
  }, 90_000);
});
