import { describe, expect, test } from "bun:test";
import { balances, cardholder, requestsFor, TEST_NOW_MS, type OpenHarness } from "../harness.ts";
import { useHarness } from "./use-harness.ts";

export function authorizationCases(name: string, open: OpenHarness): void {
  describe(`${name}: authorizations`, () => {
    const fresh = useHarness(open);

    test("an approval holds the amount: available drops, the ledger balance does not", async () => {
      const harness = await fresh();
      const holder = await cardholder(harness.ledger);
      const [decision] = await harness.ledger.authorizeBatch([requestsFor(harness).make(holder.pan, { amount: 3_000 })]);
      expect(decision).toMatchObject({ responseCode: "00", accountCurrency: 392, replayed: false });
      expect(decision!.approvalCode).toMatch(/^[0-9A-Z]{6}$/);
      expect(await balances(harness.ledger, holder.userId)).toMatchObject({ ledgerBalance: 10_000, heldAmount: 3_000, availableBalance: 7_000 });
    });

    test("the balance exactly equal to the amount is approved; one unit more is 51", async () => {
      const harness = await fresh();
      const holder = await cardholder(harness.ledger);
      const requests = requestsFor(harness);
      const [exact, more] = await harness.ledger.authorizeBatch([
        requests.make(holder.pan, { amount: 10_000 }),
        requests.make(holder.pan, { amount: 1 }),
      ]);
      expect(exact!.responseCode).toBe("00");
      expect(more!.responseCode).toBe("51");
      expect(more!.approvalCode).toBeNull();
      expect(await balances(harness.ledger, holder.userId)).toMatchObject({ availableBalance: 0, heldAmount: 10_000 });
    });

    test("partial approval (10) holds what is available when the request allows it", async () => {
      const harness = await fresh();
      const holder = await cardholder(harness.ledger, { funds: 4_000 });
      const [decision] = await harness.ledger.authorizeBatch([requestsFor(harness).make(holder.pan, { amount: 6_000, partialAllowed: true })]);
      expect(decision).toMatchObject({ responseCode: "10", approvedAmount: 4_000 });
      expect(await balances(harness.ledger, holder.userId)).toMatchObject({ heldAmount: 4_000, availableBalance: 0 });
    });

    test("a duplicate and an 0101 repeat get the first answer back, with no second hold", async () => {
      const harness = await fresh();
      const holder = await cardholder(harness.ledger);
      const requests = requestsFor(harness);
      const original = requests.make(holder.pan, { amount: 2_500 });
      const [first] = await harness.ledger.authorizeBatch([original]);
      const [duplicate, repeat] = await harness.ledger.authorizeBatch([original, requests.again(original, { mti: 101 })]);
      for (const replay of [duplicate, repeat]) {
        expect(replay).toEqual({ ...first!, replayed: true });
      }
      expect(await balances(harness.ledger, holder.userId)).toMatchObject({ heldAmount: 2_500 });
      // A declined first answer stays declined, even once funds are there.
      const declined = requests.make(holder.pan, { amount: 9_000 });
      const [no] = await harness.ledger.authorizeBatch([declined]);
      expect(no!.responseCode).toBe("51");
      await harness.ledger.topUp(holder.userId, { amount: 50_000, idempotencyKey: "more", fingerprint: "more" });
      const [stillNo] = await harness.ledger.authorizeBatch([declined]);
      expect(stillNo).toMatchObject({ responseCode: "51", replayed: true });
    });

    test("a duplicate inside the same batch replays the first one of the batch", async () => {
      const harness = await fresh();
      const holder = await cardholder(harness.ledger);
      const request = requestsFor(harness).make(holder.pan, { amount: 1_000 });
      const [first, second] = await harness.ledger.authorizeBatch([request, request]);
      expect(second).toEqual({ ...first!, replayed: true });
      expect(await balances(harness.ledger, holder.userId)).toMatchObject({ heldAmount: 1_000 });
    });

    test("requests of one account in one batch see each other's effects, in order", async () => {
      const harness = await fresh();
      const holder = await cardholder(harness.ledger);
      const requests = requestsFor(harness);
      const decisions = await harness.ledger.authorizeBatch([
        requests.make(holder.pan, { amount: 6_000 }),
        requests.make(holder.pan, { amount: 6_000 }),
        requests.make(holder.pan, { amount: 4_000 }),
      ]);
      expect(decisions.map((d) => d.responseCode)).toEqual(["00", "51", "00"]);
    });

    test("a balance inquiry answers the available balance and holds nothing", async () => {
      const harness = await fresh();
      const holder = await cardholder(harness.ledger);
      const requests = requestsFor(harness);
      await harness.ledger.authorizeBatch([requests.make(holder.pan, { amount: 1_234 })]);
      const [inquiry] = await harness.ledger.authorizeBatch([requests.make(holder.pan, { processingCode: "310000", amount: 0 })]);
      expect(inquiry).toMatchObject({ responseCode: "00", availableBalance: 8_766 });
      expect(await balances(harness.ledger, holder.userId)).toMatchObject({ heldAmount: 1_234 });
    });

    test("0200 debits at once: the ledger balance drops, nothing is held", async () => {
      const harness = await fresh();
      const holder = await cardholder(harness.ledger);
      const [decision] = await harness.ledger.authorizeBatch([requestsFor(harness).make(holder.pan, { mti: 200, amount: 4_000 })]);
      expect(decision!.responseCode).toBe("00");
      expect(await balances(harness.ledger, holder.userId)).toMatchObject({ ledgerBalance: 6_000, heldAmount: 0, availableBalance: 6_000 });
      expect((await harness.ledger.checkConsistency()).journalSum).toBe(0);
    });

    test("declines for card, status, expiry, processing code, currency and amount, each recorded", async () => {
      const harness = await fresh();
      const { ledger } = harness;
      const requests = requestsFor(harness);
      const active = await cardholder(ledger, { expiry: "2611" });
      const expired = await cardholder(ledger, { expiry: "2610" });
      const suspended = await cardholder(ledger);
      await ledger.updateCard(suspended.cardId, { status: "suspended" });
      const stolen = await cardholder(ledger);
      await ledger.updateCard(stolen.cardId, { status: "stolen" });
      const decisions = await ledger.authorizeBatch([
        requests.make(active.pan), // expiring this month: still valid
        requests.make(expired.pan),
        requests.make(active.pan, { expiry: "2711" }),
        requests.make(suspended.pan),
        requests.make(stolen.pan),
        requests.make("4999999999999999"),
        requests.make(active.pan, { processingCode: "200000" }),
        requests.make(active.pan, { currency: 840 }),
        requests.make(active.pan, { amount: 0 }),
        requests.make(active.pan, { processingCode: "12" }),
      ]);
      expect(decisions.map((d) => d.responseCode)).toEqual(["00", "54", "54", "62", "43", "14", "57", "12", "13", "30"]);
      const history = await ledger.listTransactions(active.userId, { limit: 50 });
      const reasons = history.items.filter((item) => item.status === "declined").map((item) => item.reason);
      expect(reasons).toEqual(expect.arrayContaining(["expiry_mismatch", "processing_code_not_permitted", "currency_not_supported", "invalid_amount", "format_error"]));
    });

    test("per-transaction and daily limits: exactly at the limit is approved, past it is 61 or 65", async () => {
      const harness = await fresh();
      const requests = requestsFor(harness);
      const holder = await cardholder(harness.ledger, { funds: 100_000, limits: { perTransactionMax: 5_000, perDayAmountMax: 8_000, perDayCountMax: 3 } });
      const decisions = await harness.ledger.authorizeBatch([
        requests.make(holder.pan, { amount: 5_001 }),
        requests.make(holder.pan, { amount: 5_000 }),
        requests.make(holder.pan, { amount: 3_001 }),
        requests.make(holder.pan, { amount: 3_000 }),
        requests.make(holder.pan, { amount: 0 + 1 }),
      ]);
      // 5,000 + 3,000 = 8,000 exhausts the day's amount; the count (2 so far) would allow a third.
      expect(decisions.map((d) => d.responseCode)).toEqual(["61", "00", "61", "00", "61"]);
      const countHolder = await cardholder(harness.ledger, { funds: 100_000, limits: { perDayCountMax: 2 } });
      const counted = await harness.ledger.authorizeBatch([1, 2, 3].map(() => requests.make(countHolder.pan, { amount: 10 })));
      expect(counted.map((d) => d.responseCode)).toEqual(["00", "00", "65"]);
      // The next UTC day starts a fresh count.
      harness.nowMs = TEST_NOW_MS + 86_400_000;
      const [nextDay] = await harness.ledger.authorizeBatch([requests.make(countHolder.pan, { amount: 10 })]);
      expect(nextDay!.responseCode).toBe("00");
    });

    test("a batch that fails part-way leaves no trace: nothing held, nothing recorded, still consistent", async () => {
      const harness = await fresh();
      const requests = requestsFor(harness);
      const holder = await cardholder(harness.ledger);
      const good = requests.make(holder.pan, { amount: 2_000 });
      const poisoned = requests.make(holder.pan, { amount: 500 });
      Object.defineProperty(poisoned, "amount", {
        get() {
          throw new Error("poisoned request");
        },
      });
      await expect(harness.ledger.authorizeBatch([good, poisoned])).rejects.toThrow("poisoned request");
      expect(await balances(harness.ledger, holder.userId)).toMatchObject({ heldAmount: 0, availableBalance: 10_000 });
      expect((await harness.ledger.checkConsistency()).consistent).toBe(true);
      const [fresh2] = await harness.ledger.authorizeBatch([good]);
      expect(fresh2).toMatchObject({ responseCode: "00", replayed: false });
      // A PAN too long to be one is a format error, not a failure of the batch.
      const [tooLong] = await harness.ledger.authorizeBatch([requests.make("4".repeat(24))]);
      expect(tooLong!.responseCode).toBe("30");
    });

    test("the engine may call from several tasks at once: every batch commits, none interleave", async () => {
      const harness = await fresh();
      const requests = requestsFor(harness);
      const holder = await cardholder(harness.ledger, { funds: 1_000 });
      const batches = Array.from({ length: 8 }, () => [requests.make(holder.pan, { amount: 100 }), requests.make(holder.pan, { amount: 100 })]);
      const results = await Promise.all(batches.map((batch) => harness.ledger.authorizeBatch(batch)));
      const approved = results.flat().filter((d) => d.responseCode === "00").length;
      expect(approved).toBe(10);
      expect(await balances(harness.ledger, holder.userId)).toMatchObject({ availableBalance: 0, heldAmount: 1_000 });
      expect((await harness.ledger.checkConsistency()).consistent).toBe(true);
    });
  });
}
