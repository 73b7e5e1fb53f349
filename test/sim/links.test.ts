import { describe, expect, test } from "bun:test";
import { startSimulation } from "../../src/sim/run.ts";
import { FakeProcessor } from "../support/fake-processor.ts";
import { runAgainstFake } from "../support/sim-harness.ts";
import { fakeLedgerCheck, testCards } from "../support/sim-cards.ts";

async function waitFor(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(5);
  }
}

describe("links", () => {
  test("extra connections are refused; sign-on, echo and sign-off are answered; traffic only on signed-on links", async () => {
    const { seeds, fake } = testCards(200, 7);
    const processor = new FakeProcessor({ profile: "iso87-ascii", cards: fake });
    const handle = startSimulation({
      port: 0,
      cards: seeds,
      links: 1,
      connectionsMax: 3,
      durationSeconds: 1,
      windowMax: 8,
      echoIntervalMs: 50,
      seed: 1,
      ledgerCheck: fakeLedgerCheck(processor),
    });
    try {
      const { port } = await handle.listening;
      const idle = await processor.dial(port); // connected, never signed on
      const active = await processor.dial(port);
      const extra = await processor.dial(port);
      const refused = await processor.dial(port); // one more than connectionsMax
      await waitFor(() => !processor.links.includes(refused));
      expect(processor.links).toHaveLength(3);
      expect(active.requests).toBe(0);

      expect(await processor.control(active, "001")).toBe("00");
      await waitFor(() => active.requests > 100 && active.networkRequests > 0);
      expect(await processor.control(active, "301")).toBe("00");
      expect(await processor.control(active, "002")).toBe("00");
      await Bun.sleep(100); // what was already on the wire when the sign-off was answered
      const afterSignOff = active.requests;
      const echoesAfterSignOff = active.networkRequests;
      await Bun.sleep(250);
      expect(active.requests).toBe(afterSignOff);
      expect(active.networkRequests).toBe(echoesAfterSignOff);
      expect(idle.requests + idle.networkRequests + extra.requests + extra.networkRequests).toBe(0);

      const report = await handle.report;
      expect(report.connections).toEqual({ accepted: 3, refused: 1 });
      expect(report.network_management).toEqual({ sign_ons: 1, sign_offs: 1, echoes: 1, other: 0 });
      expect(report.echoes.answered).toBeGreaterThan(0);
      expect(report.echoes.answered).toBe(report.echoes.sent);
      expect(report.sent).toBe(afterSignOff);
      expect(report.unanswered).toBe(0);
      expect(report.ok).toBe(true);
    } finally {
      processor.close();
    }
  });

  test("a signed-on link beyond --links waits as standby and takes over when the driving link signs off", async () => {
    const { seeds, fake } = testCards(200, 7);
    const processor = new FakeProcessor({ profile: "visa-base1", cards: fake });
    const handle = startSimulation({
      port: 0,
      profile: "visa-base1",
      cards: seeds,
      links: 1,
      durationSeconds: 0.8,
      windowMax: 8,
      seed: 2,
      ledgerCheck: fakeLedgerCheck(processor),
    });
    try {
      const { port } = await handle.listening;
      await processor.connect(port, 2);
      const [driving, standby] = processor.links as [(typeof processor.links)[0], (typeof processor.links)[0]];
      await waitFor(() => driving.requests > 100);
      expect(standby.requests).toBe(0);
      expect(await processor.control(driving, "002")).toBe("00");
      await waitFor(() => standby.requests > 100);
      const report = await handle.report;
      expect(report.sent).toBe(driving.requests + standby.requests);
      expect(report.unanswered).toBe(0);
      expect(report.ok).toBe(true);
    } finally {
      processor.close();
    }
  });

  test("a link that drops mid-run: its requests in flight are unanswered, their accounts leave the cross-check", async () => {
    const { seeds, fake } = testCards(200, 7);
    const processor = new FakeProcessor({ profile: "iso87-ascii", cards: fake });
    const handle = startSimulation({ port: 0, cards: seeds, links: 1, durationSeconds: 0.6, windowMax: 16, seed: 4, ledgerCheck: fakeLedgerCheck(processor) });
    try {
      const { port } = await handle.listening;
      await processor.connect(port, 2);
      const driving = processor.links[0]!;
      await waitFor(() => driving.requests > 100);
      driving.socket.terminate(); // no orderly close: whatever was in flight is lost
      const report = await handle.report;
      expect(report.unanswered).toBeGreaterThan(0);
      expect(report.unanswered).toBeLessThanOrEqual(16);
      expect(report.accounts.uncertain).toBeLessThanOrEqual(report.unanswered);
      expect(report.ledger!.accounts_skipped).toBe(report.accounts.uncertain);
      expect(report.ledger_consistent).toBe(true);
      expect(report.check_failures).toBe(0);
      expect(report.ok).toBe(false);
      expect(processor.links[0]!.requests).toBeGreaterThan(0); // the standby link carried on
    } finally {
      processor.close();
    }
  });

  test("the run does not start until enough links are signed on, and gives up after its wait", async () => {
    const { seeds } = testCards(50, 7);
    const handle = startSimulation({ port: 0, cards: seeds, links: 2, waitLinksMs: 200, durationSeconds: 1 });
    const processor = new FakeProcessor({ profile: "iso87-ascii", cards: [] });
    try {
      const { port } = await handle.listening;
      await processor.connect(port, 1);
      const error = await handle.report.then(
        () => null,
        (e: unknown) => e as { code: string; message: string },
      );
      expect(error?.code).toBe("links_not_ready");
      expect(error?.message).toContain("only 1 of 2 links");
      expect(processor.links[0]?.requests ?? 0).toBe(0);
    } finally {
      processor.close();
    }
  });
});

describe("seed replay", () => {
  const run = async (seed: number) => {
    const { report, processor } = await runAgainstFake({
      capturePerAcquirer: 24,
      sim: { seed, durationSeconds: 0.4, digestRequestsMax: 24 },
    });
    expect(report.ok).toBe(true);
    const seen = Object.fromEntries([...processor.seen.entries()].sort(([a], [b]) => a.localeCompare(b)));
    expect(Object.values(seen).every((requests) => requests.length === 24)).toBe(true);
    return { digest: report.sequence_digest, seen };
  };

  test("the same seed sends the same requests, lane by lane; another seed does not", async () => {
    const first = await run(99);
    const again = await run(99);
    const other = await run(100);
    expect(again.seen).toEqual(first.seen);
    expect(again.digest).toBe(first.digest);
    expect(other.seen).not.toEqual(first.seen);
    expect(other.digest).not.toBe(first.digest);
  });
});
