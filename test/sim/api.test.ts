import { describe, expect, test } from "bun:test";
import { startSimulation } from "../../src/sim/run.ts";
import { startFakeApi } from "../support/fake-api.ts";
import { FakeProcessor } from "../support/fake-processor.ts";

const TOKEN = "test-token-0123456789";

async function runThroughApi(options: { lie?: boolean; seed: number }) {
  const processor = new FakeProcessor({ profile: "iso87-ascii", cards: [] });
  const api = startFakeApi(processor, TOKEN);
  const handle = startSimulation({
    port: 0,
    seed: options.seed,
    cards: { api: { baseUrl: api.url, token: TOKEN }, users: 40 },
    durationSeconds: 0.5,
    windowMax: 8,
  });
  try {
    const { port } = await handle.listening;
    await processor.connect(port, 1);
    if (options.lie) {
      // Once the cards exist and traffic runs, one user's balance as the API reports it drifts.
      while (api.userIds.length < 40 || processor.answered === 0) await Bun.sleep(5);
      api.lieAbout(api.userIds[3]!, 1);
    }
    return { report: await handle.report, api, liedAbout: options.lie ? api.userIds[3]! : null };
  } finally {
    processor.close();
    api.stop();
  }
}

describe("cards through the Processor API", () => {
  test("users, cards, top-ups and statuses are created, traffic runs on them, balances are read back", async () => {
    const { report, api } = await runThroughApi({ seed: 5 });
    expect(report.failure_examples).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.ledger_consistent).toBe(true);
    expect(report.ledger!.accounts_checked).toBe(40);
    expect(report.accounts.total).toBe(40);
    const count = (call: string) => api.calls.filter((c) => c === call).length;
    expect(count("POST /v1/users")).toBe(40);
    expect(count("POST /v1/users/:id/cards")).toBe(40);
    expect(count("POST /v1/users/:id/topups")).toBe(40);
    expect(count("PATCH /v1/cards/:id")).toBe(4); // one each: suspended, lost, stolen, closed
    expect(count("GET /v1/users/:id")).toBe(40);
    expect(report.by_response_code["62"]).toBeGreaterThan(0);
  });

  test("a balance the API reports differently from the answers makes the ledger inconsistent", async () => {
    const { report, liedAbout } = await runThroughApi({ seed: 6, lie: true });
    expect(report.check_failures).toBe(0);
    expect(report.ledger_consistent).toBe(false);
    expect(report.ledger!.mismatches.map((m) => m.field).sort()).toEqual(["available_balance", "held_amount"]);
    expect(report.ledger!.mismatches[0]!.user_id).toBe(liedAbout!);
    expect(report.ok).toBe(false);
  });
});
