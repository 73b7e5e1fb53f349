import { describe, expect, test } from "bun:test";
import { runEndToEnd, type EndToEndReport } from "../../src/demo/end-to-end.ts";
import type { FaultKind } from "../../src/sim/faults.ts";
import { MAIN } from "../support/cli.ts";

/**
 * Each fault kind against the real processor (a `sekisho run` child on a fresh SQLite ledger), a few seconds
 * each, so that every kind is checked on every run of the suite, not once: the faults are injected, every
 * answer that arrives is checked, what a fault took down is stood in for (not failed), the network's view
 * reconciles with the ledger, the balances and the ledger's invariants hold, and the processor shuts down
 * in order at the end. A failing run prints its seed.
 */
const SEED = 20_261_203;

function runWithFault(kind: FaultKind): Promise<EndToEndReport> {
  return runEndToEnd({
    durationSeconds: 3,
    profile: "iso87-ascii",
    links: 2,
    instances: 1,
    users: 300,
    windowMax: 16,
    seed: SEED,
    faults: [kind],
    faultSpacingMs: 700,
    // Quick re-dials, so that a closed link comes back within the run.
    processorArgs: ["--reconnect-delay-min-ms", "20", "--reconnect-delay-max-ms", "200"],
    processorCommand: [process.execPath, MAIN],
  });
}

function expectClean(report: EndToEndReport, kind: FaultKind): void {
  const sim = report.sim;
  const context = `seed ${sim.seed}: ${JSON.stringify({ failures: sim.failure_examples, reconciliation: sim.reconciliation?.examples }).slice(0, 2000)}`;
  expect(sim.faults[kind] ?? 0, context).toBeGreaterThanOrEqual(2);
  expect(sim.check_failures, context).toBe(0);
  expect(sim.unanswered, context).toBe(0);
  expect(sim.reconciliation?.error, context).toBeUndefined();
  expect(sim.lost, context).toBe(0);
  expect(sim.mismatched, context).toBe(0);
  expect(sim.ledger_consistent, context).toBe(true);
  expect(report.consistency?.consistent, context).toBe(true);
  expect(report.processors.map((p) => p.exitCode), context).toEqual([0]);
  expect(sim.ok, context).toBe(true);
}

describe("faults against the real processor", () => {
  for (const kind of ["close_fin", "close_rst", "garbage_frame"] as const) {
    test(`${kind}: the link goes, the processor re-dials and signs on again, the rest is answered and reconciled`, async () => {
      const report = await runWithFault(kind);
      expectClean(report, kind);
      expect(report.sim.connections.accepted).toBeGreaterThan(2); // the two links, and at least one re-dial
      expect(report.sim.network_management.sign_ons).toBeGreaterThan(2);
    }, 60_000);
  }

  for (const kind of ["pause", "duplicate", "late_reversal"] as const) {
    test(`${kind}: injected, every answer checked, nothing lost or mismatched`, async () => {
      expectClean(await runWithFault(kind), kind);
    }, 60_000);
  }

  test("sigkill: the processor killed mid-run and started again on the same ledger; what it answered is there", async () => {
    const report = await runWithFault("sigkill");
    expectClean(report, "sigkill");
    expect(report.restarts.length).toBeGreaterThanOrEqual(2);
    expect(report.restarts.every((r) => r.kind === "sigkill")).toBe(true);
  }, 60_000);

  test("truncated_frame: the processor drops the link within the grace period and re-dials", async () => {
    const report = await runWithFault("truncated_frame");
    expectClean(report, "truncated_frame");
  }, 60_000);

  test("sigterm: the ordered shutdown answers only what it committed; the restarted processor takes over", async () => {
    const report = await runWithFault("sigterm");
    expectClean(report, "sigterm");
    expect(report.restarts.every((r) => r.exitCode === 0)).toBe(true);
  }, 60_000);
});
