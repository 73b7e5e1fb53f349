import { describe, expect, test } from "bun:test";
import type { CheckKind } from "../../src/sim/checker.ts";
import type { FakeFaults, FaultKind } from "../support/fake-processor.ts";
import { runAgainstFake } from "../support/sim-harness.ts";

/**
 * The simulator's checks themselves: a processor that answers wrongly now and then is caught, by the
 * right kind of check, exactly as often as it erred — and nothing else is reported.
 */
const CASES: ReadonlyArray<{ name: string; faults: FakeFaults; injected: FaultKind; kind: CheckKind; links?: number }> = [
  { name: "a wrong response MTI", faults: { wrongMtiEvery: 50 }, injected: "wrong_mti", kind: "mti" },
  { name: "an echoed field left out (DE 37)", faults: { dropField: { field: 37, every: 40 } }, injected: "drop_field", kind: "echo_missing" },
  { name: "an answer without DE 11 (still found by its lane's DE 32)", faults: { dropField: { field: 11, every: 40 } }, injected: "drop_field", kind: "echo_missing" },
  { name: "a second answer to the same request", faults: { answerTwiceEvery: 50 }, injected: "answer_twice", kind: "unmatched" },
  { name: "an approval without DE 38", faults: { approvalWithoutDe38Every: 30 }, injected: "no_de38", kind: "approval_code" },
  { name: "an answer on the wrong link", faults: { wrongLinkEvery: 60 }, injected: "wrong_link", kind: "wrong_link", links: 2 },
  { name: "a late answer", faults: { late: { every: 400, delayMs: 700 } }, injected: "late", kind: "late" },
];

describe("faults in the processor's answers are caught", () => {
  for (const { name, faults, injected, kind, links } of CASES) {
    test(name, async () => {
      // Only the late answers (700 ms) may cross the stand-in timeout, even on a busy machine.
      const { report, processor } = await runAgainstFake({ faults, links, sim: { standinMs: kind === "late" ? 300 : 2000 } });
      expect(processor.faultsInjected[injected]).toBeGreaterThan(0);
      expect(report.failures).toEqual({ [kind]: processor.faultsInjected[injected] });
      expect(report.check_failures).toBe(processor.faultsInjected[injected]);
      expect(report.ok).toBe(false);
      expect(report.unanswered).toBe(0);
      expect(report.ledger_consistent).toBe(true); // the answers were wrong in form, not in substance
      const example = report.failure_examples[0]!;
      expect(example.kind).toBe(kind);
      if (example.pan_masked !== null) expect(example.pan_masked).toMatch(/^\d{6}\*+\d{4}$/);
      if (kind === "late") expect(report.standin).toBe(report.failures.late!);
    });
  }

  test("approvals that hold nothing: answers the model did not predict, and the ledger cross-check fails", async () => {
    const { report, processor } = await runAgainstFake({ faults: { forgetHoldEvery: 25 } });
    expect(processor.faultsInjected.forget_hold).toBeGreaterThan(0);
    expect(report.ledger_consistent).toBe(false);
    expect(report.ledger!.mismatch_count).toBeGreaterThan(0);
    const mismatch = report.ledger!.mismatches[0]!;
    expect(mismatch.pan_masked).toMatch(/^\d{6}\*+\d{4}$/);
    expect(mismatch.expected).not.toBe(mismatch.actual);
    expect(report.ok).toBe(false);
  });
});
