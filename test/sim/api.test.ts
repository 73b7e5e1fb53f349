import { describe, expect, test } from "bun:test";
import { renderHtmlReport } from "../../src/sim/report-html.ts";
import { formatSummary } from "../../src/sim/report-text.ts";
import { startSimulation } from "../../src/sim/run.ts";
import { startFakeApi } from "../support/fake-api.ts";
import { FakeProcessor } from "../support/fake-processor.ts";

const TOKEN = "test-token-0123456789";

async function runThroughApi(options: { lie?: boolean; seed: number; failReads?: { count: number; which: "history" | "all" }; readRetriesMax?: number }) {
  const processor = new FakeProcessor({ profile: "iso87-ascii", cards: [] });
  const api = startFakeApi(processor, TOKEN);
  const retries = options.readRetriesMax === undefined ? {} : { readRetriesMax: options.readRetriesMax, readBackoffMsMin: 1 };
  const handle = startSimulation({
    port: 0,
    seed: options.seed,
    cards: { api: { baseUrl: api.url, token: TOKEN, ...retries }, users: 40 },
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
    if (options.failReads !== undefined) {
      // Once traffic runs, the reads that follow it (balances, then histories) meet a ledger cut off.
      while (processor.answered === 0) await Bun.sleep(5);
      api.failReads(options.failReads.count, options.failReads.which);
    }
    return { report: await handle.report, api, liedAbout: options.lie ? api.userIds[3]! : null };
  } finally {
    processor.close();
    api.stop();
  }
}

function count(api: { calls: readonly string[] }, call: string): number {
  return api.calls.filter((c) => c === call).length;
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

  test("a history read answered 503 is asked again: every account is reconciled", async () => {
    // Three 503s from GET /v1/users/:id/transactions: retried within the bound, with a short backoff.
    const { report, api } = await runThroughApi({ seed: 7, failReads: { count: 3, which: "history" } });
    expect(api.readsFailed).toBe(3);
    expect(report.ledger_consistent).toBe(true);
    expect(report.ledger!.accounts_checked).toBe(40);
    expect(report.reconciliation!.error).toBeUndefined();
    expect(report.reconciliation!.accounts_checked).toBe(40);
    expect(report.reconciliation!.accounts_unavailable).toBe(0);
    expect(count(api, "GET /v1/users/:id/transactions")).toBe(40 + 3);
    expect(report.ok).toBe(true);
  });

  test("a history still unavailable after every retry is not checked, not inconsistent", async () => {
    // Every read fails: one retry each (readRetriesMax 1), then the account is left unchecked.
    const { report, api } = await runThroughApi({ seed: 8, failReads: { count: 1_000_000, which: "all" }, readRetriesMax: 1 });
    expect(api.readsFailed).toBe(2 * 40 + 2 * 40);
    expect(report.ledger_consistent).toBeNull();
    expect(report.ledger!.accounts_unavailable).toBe(40);
    expect(report.ledger!.mismatch_count).toBe(0);
    expect(report.reconciliation!.error).toBeUndefined();
    expect(report.reconciliation!.accounts_unavailable).toBe(40);
    expect([report.lost, report.mismatched]).toEqual([0, 0]);
    expect(formatSummary(report)).toContain("40 not checked: the API stayed unavailable");
    // Neither check says yes or NO of accounts it never read: not checked, with the reason, everywhere.
    expect(report.reconciled).toBeNull();
    expect(report.ledger_not_checked_reason).toBe("40 account(s) not read: the API stayed unavailable");
    expect(report.reconciliation_not_checked_reason).toBe("40 account(s) not read: the API stayed unavailable");
    const text = formatSummary(report);
    expect(text).toMatch(/ledger consistent +not checked \(0 accounts checked, 40 not checked/);
    expect(text).toMatch(/reconciliation +not checked: lost 0/);
    expect(text).not.toMatch(/\bNO\b/);
    const html = renderHtmlReport(report);
    expect(html).toContain("ledger not checked, reconciliation not checked");
    expect(html).not.toMatch(/INCONSISTENT|>NO</);
  });
});
