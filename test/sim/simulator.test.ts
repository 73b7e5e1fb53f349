import { describe, expect, test } from "bun:test";
import { SCENARIOS } from "../../src/sim/mix.ts";
import { startSimulation } from "../../src/sim/run.ts";
import { FakeProcessor } from "../support/fake-processor.ts";
import { fakeLedgerCheck, testCards } from "../support/sim-cards.ts";
import { runAgainstFake } from "../support/sim-harness.ts";

describe("a run against a correct processor", () => {
  for (const profile of ["iso87-ascii", "visa-base1"] as const) {
    test(`${profile}: every scenario, two links, no failure, nothing unanswered, ledger consistent`, async () => {
      const { report, processor } = await runAgainstFake({
        profile,
        links: 2,
        sim: { durationSeconds: 1.2, windowMax: 16, echoIntervalMs: 300 },
      });
      expect(report.failure_examples).toEqual([]);
      expect(report.check_failures).toBe(0);
      expect(report.unanswered).toBe(0);
      expect(report.ledger_consistent).toBe(true);
      expect(report.ledger!.accounts_checked).toBe(200);
      expect(report.ok).toBe(true);
      expect(report.sent).toBeGreaterThan(5_000);
      expect(report.answered).toBe(report.sent);
      expect(processor.answered).toBe(report.sent);
      expect(report.lanes).toBe(32);
      for (const scenario of SCENARIOS) expect(report.by_scenario[scenario]).toBeGreaterThan(0);
      for (const code of ["00", "14", "25", "41", "43", "46", "51", "54", "61", "62", "65"]) {
        expect(report.by_response_code[code] ?? 0).toBeGreaterThan(0);
      }
      expect(report.approved + report.declined + report.reversals).toBe(report.answered);
      expect(report.echoes.sent).toBeGreaterThanOrEqual(2);
      expect(report.echoes.answered).toBe(report.echoes.sent);
      expect(report.network_management.sign_ons).toBe(2);
      expect(report.latency_ms.p50).toBeGreaterThan(0);
      expect(report.latency_ms.p99).toBeGreaterThanOrEqual(report.latency_ms.p50);
      expect(report.latency_ms.max).toBeGreaterThanOrEqual(report.latency_ms.p999);
      expect(report.timeline.length).toBeGreaterThanOrEqual(1);
      expect(JSON.stringify(report)).not.toContain(processor.cards.keys().next().value!);
    });
  }

  test("iso87-ascii-hex at a target rate: paced to it, not flat out", async () => {
    const { report } = await runAgainstFake({
      profile: "iso87-ascii-hex",
      sim: { durationSeconds: 1, ratePerSecond: 2_000, windowMax: 32 },
    });
    expect(report.ok).toBe(true);
    expect(report.rate_target).toBe(2_000);
    expect(report.sent).toBeGreaterThan(1_000); // a busy machine delays the pacer's timer: fewer, never more
    expect(report.sent).toBeLessThan(2_500); // flat out this would be tens of thousands
  });
});

describe("the library handle", () => {
  test("stop() ends driving early; the answers still outstanding are awaited and checked", async () => {
    const { seeds, fake } = testCards(100, 9);
    const processor = new FakeProcessor({ profile: "iso87-ascii", cards: fake });
    const handle = startSimulation({ port: 0, cards: seeds, durationSeconds: 60, ledgerCheck: fakeLedgerCheck(processor) });
    try {
      const { port } = await handle.listening;
      expect(port).toBeGreaterThan(0);
      await processor.connect(port, 1);
      await Bun.sleep(300);
      handle.stop();
      const report = await handle.report;
      expect(report.duration_s).toBeLessThan(2);
      expect(report.sent).toBeGreaterThan(0);
      expect(report.ok).toBe(true);
      expect(report.ledger_consistent).toBe(true);
    } finally {
      processor.close();
    }
  });
});
