import { describe, expect, test } from "bun:test";
import { CardBook } from "../../src/sim/card-book.ts";
import { FAULT_KINDS, FaultListError, LINK_FAULT_KINDS, parseFaults, planFaults } from "../../src/sim/faults.ts";
import type { NetworkEntry } from "../../src/sim/network-log.ts";
import { reconcileAccount, type LedgerEntry, type Tally } from "../../src/sim/reconcile.ts";

/** The fault list, the seeded schedule, and the reconciliation's matching rules, without any socket. */
describe("fault lists", () => {
  test("all is every kind the command allows, in the canonical order; hyphens are accepted", () => {
    expect(parseFaults("all", LINK_FAULT_KINDS)).toEqual([...LINK_FAULT_KINDS]);
    expect(parseFaults("all", FAULT_KINDS)).toEqual([...FAULT_KINDS]);
    expect(parseFaults("pause, close-fin,pause", LINK_FAULT_KINDS)).toEqual(["close_fin", "pause"]);
  });

  test("an unknown kind, an empty list, and a process fault where nobody owns the processor are refused", () => {
    expect(() => parseFaults("close_fin,meteor", LINK_FAULT_KINDS)).toThrow(FaultListError);
    expect(() => parseFaults(" , ", LINK_FAULT_KINDS)).toThrow("empty");
    expect(() => parseFaults("sigkill", LINK_FAULT_KINDS)).toThrow("sekisho demo");
  });
});

describe("the fault schedule", () => {
  const options = { kinds: [...FAULT_KINDS], seed: 1234, durationMs: 60_000, spacingMs: 2_000 };

  test("the seed fixes it: the same seed, the same faults at the same times on the same targets", () => {
    expect(planFaults(options)).toEqual(planFaults(options));
    expect(planFaults({ ...options, seed: 1235 })).not.toEqual(planFaults(options));
  });

  test("every kind at least once, in time order, inside the fault window of the driving time", () => {
    for (const durationMs of [1_000, 3_000, 60_000]) {
      const events = planFaults({ ...options, durationMs });
      for (const kind of FAULT_KINDS) expect(events.some((event) => event.kind === kind)).toBe(true);
      for (let i = 1; i < events.length; i++) expect(events[i]!.atMs).toBeGreaterThanOrEqual(events[i - 1]!.atMs);
      expect(events[0]!.atMs).toBeGreaterThanOrEqual(durationMs * 0.1 - 1);
      expect(events[events.length - 1]!.atMs).toBeLessThanOrEqual(durationMs * 0.8 + 1);
    }
    expect(planFaults({ ...options, durationMs: 60_000 }).length).toBe(21); // 42 s of window / 2 s
    expect(planFaults({ ...options, kinds: [] })).toEqual([]);
  });
});

describe("reconciling one account", () => {
  const book = new CardBook([{ pan: "4111111111111111", expiry: "3012", availableBalance: 100_000, userId: "usr_1" }]);
  const card = book.cards[0]!;
  const at = new Date().toISOString();
  const entry = (kind: NetworkEntry["kind"], amount: number, code: string, approvalCode: string | null = null, delivered = true): NetworkEntry => ({
    kind,
    amount,
    delivered,
    code,
    approvalCode,
    stan: 1,
  });
  const row = (type: string, amount: number, code: string, approvalCode: string | null = null): LedgerEntry => ({
    type,
    amount,
    response_code: code,
    approval_code: approvalCode,
    created_at: at,
  });
  const run = (entries: NetworkEntry[], rows: LedgerEntry[]) => {
    const tally: Tally = { lost: 0, mismatched: 0, undelivered: 0, unrecorded_declines: 0, examples: [] };
    reconcileAccount(card, entries, rows, tally);
    return tally;
  };

  test("what agrees leaves nothing: approvals by DE 38, the rest by kind, amount and DE 39", () => {
    const tally = run(
      [entry("authorization", 500, "00", "A1B2C3"), entry("authorization", 700, "51"), entry("advice", 300, "00"), entry("reversal", 500, "00")],
      [row("reversal", 500, "00"), row("advice", 300, "00"), row("authorization", 700, "51"), row("authorization", 500, "00", "A1B2C3")],
    );
    expect(tally).toMatchObject({ lost: 0, mismatched: 0, undelivered: 0, unrecorded_declines: 0 });
  });

  test("an approval the ledger lacks is lost; a decision it holds otherwise is mismatched", () => {
    const tally = run(
      [entry("authorization", 500, "00", "A1B2C3"), entry("authorization", 700, "51"), entry("financial", 900, "00", "ZZZZZZ")],
      [row("authorization", 700, "00", "QQQQQQ"), row("financial", 901, "00", "ZZZZZZ")],
    );
    expect(tally.lost).toBe(1);
    expect(tally.mismatched).toBe(2); // 51 answered, 00 held; and the financial's amount
    expect(tally.examples.map((example) => example.kind).sort()).toEqual(["lost", "mismatched", "mismatched"]);
    expect(tally.examples[0]!.pan_masked).toBe("411111******1111");
  });

  test("a ledger entry nothing accounts for (a retransmission recorded twice) is mismatched", () => {
    const tally = run([entry("authorization", 500, "00", "A1B2C3")], [row("authorization", 500, "00", "A1B2C3"), row("authorization", 500, "00", "D4E5F6")]);
    expect(tally).toMatchObject({ lost: 0, mismatched: 1 });
  });

  test("a decision committed for a request never answered is undelivered, not a failure; a decline with no entry is reported", () => {
    const tally = run([entry("authorization", 500, "", null, false), entry("authorization", 800, "", null, false), entry("authorization", 600, "51")], [row("authorization", 500, "00", "A1B2C3")]);
    expect(tally).toMatchObject({ lost: 0, mismatched: 0, undelivered: 1, unrecorded_declines: 1 });
  });

  test("a 91 is no decision: no entry for it is expected; an entry the ledger holds for it is mismatched", () => {
    // The 91 is matched last, so it cannot take the row of the decline of the same amount.
    const nothing = run([entry("authorization", 600, "91"), entry("authorization", 600, "51")], [row("authorization", 600, "51")]);
    expect(nothing).toMatchObject({ lost: 0, mismatched: 0, undelivered: 0, unrecorded_declines: 0 });
    const held = run([entry("authorization", 600, "91")], [row("authorization", 600, "00", "A1B2C3")]);
    expect(held).toMatchObject({ lost: 0, mismatched: 1 });
    expect(held.examples[0]!.detail).toContain("answered 91; the ledger holds 00");
  });
});
