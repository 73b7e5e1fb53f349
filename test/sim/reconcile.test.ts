import { describe, expect, test } from "bun:test";
import { renderHtmlReport } from "../../src/sim/report-html.ts";
import { formatSummary } from "../../src/sim/report-text.ts";
import { runAgainstFake } from "../support/sim-harness.ts";
import type { SimCard } from "../../src/sim/card-book.ts";
import type { NetworkEntry } from "../../src/sim/network-log.ts";
import { reconcileAccount, type LedgerEntry, type Tally } from "../../src/sim/reconcile.ts";

/**
 * The reconciliation of what the network saw with the ledger's history, against the fake processor: a
 * ledger that forgets an approval it gave is caught as `lost`, one that records a decision other than the one
 * it answered as `mismatched` — and a correct one, with faults on its links, leaves nothing.
 */
describe("reconciliation with the ledger", () => {
  test("a correct processor: every account read, nothing lost, mismatched or undelivered", async () => {
    const { report } = await runAgainstFake({ sim: { seed: 21 } });
    expect(report.reconciliation).not.toBeNull();
    expect(report.reconciliation!.accounts_checked).toBe(report.accounts.total);
    expect(report.reconciliation!.error).toBeUndefined();
    expect([report.lost, report.mismatched, report.undelivered]).toEqual([0, 0, 0]);
    expect(report.faults).toEqual({});
    expect(report.ok).toBe(true);
  });

  test("a ledger that forgets approvals it gave: lost, and the run fails", async () => {
    const { report, processor } = await runAgainstFake({ faults: { forgetApprovalEvery: 20 }, sim: { seed: 22 } });
    expect(processor.faultsInjected.forget_approval).toBeGreaterThan(0);
    // Each forgotten approval is lost; a reversal of one the ledger never held may add its own.
    expect(report.lost!).toBeGreaterThanOrEqual(processor.faultsInjected.forget_approval);
    const example = report.reconciliation!.examples.find((e) => e.kind === "lost")!;
    expect(example.detail).toContain("not in the ledger");
    expect(example.pan_masked).toMatch(/^\d{6}\*+\d{4}$/);
    expect(report.ok).toBe(false);
    // The text summary and the HTML page say so too.
    expect(formatSummary(report)).toContain(`reconciliation       NO: lost ${report.lost}`);
    expect(renderHtmlReport(report)).toContain("<h2>Reconciliation</h2>");
  });

  test("a ledger that records another decision than it answered: mismatched, though every balance agrees", async () => {
    const { report, processor } = await runAgainstFake({ faults: { misrecordDeclineEvery: 15 }, sim: { seed: 23 } });
    expect(processor.faultsInjected.misrecord_decline).toBeGreaterThan(0);
    expect(report.check_failures).toBe(0);
    expect(report.ledger_consistent).toBe(true);
    expect(report.lost).toBe(0);
    expect(report.mismatched).toBe(processor.faultsInjected.misrecord_decline);
    expect(report.ok).toBe(false);
  });

  test("an unreadable history makes the run fail, saying why", async () => {
    const { report } = await runAgainstFake({
      sim: {
        seed: 24,
        historyReader: async () => {
          throw new Error("GET /v1/users/x/transactions: unreachable");
        },
      },
    });
    expect(report.reconciliation!.error).toContain("unreachable");
    expect(report.ok).toBe(false);
  });
});

describe("a 91 decides nothing", () => {
  // The fake answers every 7th new request 91 and stores nothing, as a processor whose batch failed does:
  // the repeat (0101), the resent 0100 and the network's retransmission of that key are decided afresh.
  test("repeats and retransmissions of a 91 are new decisions: the model follows them, the ledger reconciles", async () => {
    const { report, processor } = await runAgainstFake({
      faults: { unavailableEvery: 7 },
      sim: {
        seed: 41,
        durationSeconds: 1.2,
        mix: { duplicate: 20, repeat: 20 },
        faults: ["duplicate", "late_reversal"],
        faultSpacingMs: 100,
      },
    });
    const failures = JSON.stringify(report.failure_examples).slice(0, 1500);
    expect(processor.faultsInjected.unavailable).toBeGreaterThan(0);
    expect(processor.decidedAfterUnavailable.size).toBeGreaterThan(0);
    // Only the 91s themselves are failures: every answer after them is the one the model predicts.
    expect(Object.keys(report.failures), failures).toEqual(["issuer_unavailable"]);
    expect(report.unanswered).toBe(0);
    expect(report.ledger_consistent).toBe(true);
    expect(report.reconciliation!.error).toBeUndefined();
    expect([report.lost, report.mismatched], JSON.stringify(report.reconciliation!.examples)).toEqual([0, 0]);
  });
});

describe("network faults against the fake processor (which never re-dials)", () => {
  // The fake answers replays from its store and reversals by DE 90: retransmissions, late reversals and a
  // link left unread are all it needs to get right.
  for (const kind of ["duplicate", "late_reversal", "pause"] as const) {
    test(`${kind}: injected, every answer checked, nothing failed, the ledger reconciled`, async () => {
      const { report } = await runAgainstFake({
        sim: { seed: 31, faults: [kind], durationSeconds: 1.5, faultSpacingMs: 200, pauseMs: 300 },
      });
      const failures = JSON.stringify(report.failure_examples).slice(0, 1500);
      expect(report.faults[kind] ?? 0).toBeGreaterThanOrEqual(2);
      expect(report.check_failures, failures).toBe(0);
      expect(report.unanswered).toBe(0);
      expect(report.ledger_consistent).toBe(true);
      expect([report.lost, report.mismatched]).toEqual([0, 0]);
      expect(report.ok).toBe(true);
    });
  }

  test("the same seed injects the same faults", async () => {
    const run = () => runAgainstFake({ sim: { seed: 33, faults: ["duplicate", "late_reversal"], durationSeconds: 1, faultSpacingMs: 150 } });
    const [a, b] = [await run(), await run()];
    expect(a.report.faults).toEqual(b.report.faults);
    expect(a.report.sequence_digest).toBe(b.report.sequence_digest);
  });
});

describe("balance inquiries in the history", () => {
  test("the history's own type for a balance inquiry matches the 0100 of 0 the network saw, approved or declined", () => {
    const card = { userId: "usr_1", pan: "4111111111111111" } as SimCard;
    const at = new Date().toISOString();
    const entries: NetworkEntry[] = [
      { kind: "authorization", amount: 0, delivered: true, code: "00", approvalCode: "A1B2C3", stan: 1 },
      { kind: "authorization", amount: 0, delivered: true, code: "62", approvalCode: null, stan: 2 },
    ];
    const rows: LedgerEntry[] = [
      { type: "balance_inquiry", amount: 0, response_code: "00", approval_code: "A1B2C3", created_at: at },
      { type: "balance_inquiry", amount: 0, response_code: "62", approval_code: null, created_at: at },
    ];
    const tally: Tally = { lost: 0, mismatched: 0, undelivered: 0, unrecorded_declines: 0, examples: [] };
    reconcileAccount(card, entries, rows, tally);
    expect(tally).toEqual({ lost: 0, mismatched: 0, undelivered: 0, unrecorded_declines: 0, examples: [] });
  });
});
