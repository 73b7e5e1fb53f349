import { describe, expect, test } from "bun:test";
import { balances, cardholder, requestsFor, type OpenHarness } from "../harness.ts";
import { useHarness } from "./use-harness.ts";

export function reversalAndAdviceCases(name: string, open: OpenHarness): void {
  describe(`${name}: reversals`, () => {
    const fresh = useHarness(open);

    test("a full reversal releases the hold; its repeat and a second reversal change nothing", async () => {
      const harness = await fresh();
      const requests = requestsFor(harness);
      const holder = await cardholder(harness.ledger);
      const original = requests.make(holder.pan, { amount: 3_000 });
      await harness.ledger.authorizeBatch([original]);
      const reversal = requests.reversal(original);
      const [acknowledged] = await harness.ledger.authorizeBatch([reversal]);
      expect(acknowledged!.responseCode).toBe("00");
      expect(await balances(harness.ledger, holder.userId)).toMatchObject({ heldAmount: 0, availableBalance: 10_000 });
      const [repeat, another] = await harness.ledger.authorizeBatch([requests.again(reversal, { mti: 401 }), requests.reversal(original, { mti: 420 })]);
      expect(repeat!.replayed).toBe(true);
      expect(another!.responseCode).toBe("00");
      expect(await balances(harness.ledger, holder.userId)).toMatchObject({ heldAmount: 0, availableBalance: 10_000 });
      const [item] = (await harness.ledger.listTransactions(holder.userId, { limit: 10 })).items.filter((t) => t.kind === "authorization");
      expect(item!.status).toBe("reversed");
    });

    test("a partial reversal releases down to DE 95's amount, once", async () => {
      const harness = await fresh();
      const requests = requestsFor(harness);
      const holder = await cardholder(harness.ledger);
      const original = requests.make(holder.pan, { amount: 3_000 });
      await harness.ledger.authorizeBatch([original]);
      await harness.ledger.authorizeBatch([requests.reversal(original, { replacementAmount: 1_200 })]);
      expect(await balances(harness.ledger, holder.userId)).toMatchObject({ heldAmount: 1_200, availableBalance: 8_800 });
      await harness.ledger.authorizeBatch([requests.reversal(original, { replacementAmount: 1_200 })]);
      expect(await balances(harness.ledger, holder.userId)).toMatchObject({ heldAmount: 1_200 });
      await harness.ledger.authorizeBatch([requests.reversal(original)]);
      expect(await balances(harness.ledger, holder.userId)).toMatchObject({ heldAmount: 0 });
    });

    test("a reversal of an 0200 credits the posted debit back", async () => {
      const harness = await fresh();
      const requests = requestsFor(harness);
      const holder = await cardholder(harness.ledger);
      const purchase = requests.make(holder.pan, { mti: 200, amount: 4_000 });
      await harness.ledger.authorizeBatch([purchase]);
      await harness.ledger.authorizeBatch([requests.reversal(purchase, { replacementAmount: 1_000 })]);
      expect(await balances(harness.ledger, holder.userId)).toMatchObject({ ledgerBalance: 9_000, heldAmount: 0 });
      await harness.ledger.authorizeBatch([requests.reversal(purchase)]);
      expect(await balances(harness.ledger, holder.userId)).toMatchObject({ ledgerBalance: 10_000 });
      expect((await harness.ledger.checkConsistency()).consistent).toBe(true);
    });

    test("a reversal before its original is recorded; the late original is declined (05) and holds nothing", async () => {
      const harness = await fresh();
      const requests = requestsFor(harness);
      const holder = await cardholder(harness.ledger);
      const original = requests.make(holder.pan, { amount: 3_000 });
      const [early] = await harness.ledger.authorizeBatch([requests.reversal(original)]);
      expect(early!.responseCode).toBe("00");
      const [late] = await harness.ledger.authorizeBatch([original]);
      expect(late!.responseCode).toBe("05");
      expect(await balances(harness.ledger, holder.userId)).toMatchObject({ heldAmount: 0, availableBalance: 10_000 });
      // Within one batch too.
      const other = requests.make(holder.pan, { amount: 1_000 });
      const [, lateInBatch] = await harness.ledger.authorizeBatch([requests.reversal(other), other]);
      expect(lateInBatch!.responseCode).toBe("05");
    });

    test("a reversal in the same batch as its original releases it", async () => {
      const harness = await fresh();
      const requests = requestsFor(harness);
      const holder = await cardholder(harness.ledger);
      const original = requests.make(holder.pan, { amount: 3_000 });
      const decisions = await harness.ledger.authorizeBatch([original, requests.reversal(original, { replacementAmount: 500 })]);
      expect(decisions.map((d) => d.responseCode)).toEqual(["00", "00"]);
      expect(await balances(harness.ledger, holder.userId)).toMatchObject({ heldAmount: 500 });
    });
  });

  describe(`${name}: advices`, () => {
    const fresh = useHarness(open);

    test("an approved advice applies the network's decision even into a negative balance", async () => {
      const harness = await fresh();
      const holder = await cardholder(harness.ledger, { funds: 1_000 });
      const advice = requestsFor(harness).make(holder.pan, { mti: 120, amount: 5_000, networkResponseCode: "00", networkApprovalCode: "STIP01" });
      const [acknowledged] = await harness.ledger.authorizeBatch([advice]);
      expect(acknowledged!.responseCode).toBe("00");
      expect(await balances(harness.ledger, holder.userId)).toMatchObject({ heldAmount: 5_000, availableBalance: -4_000 });
      const report = await harness.ledger.checkConsistency();
      expect(report).toMatchObject({ consistent: true, accountsNegativeWithoutAdvice: 0 });
      // Its repeat (0121) replays; an 0100 for the same transaction gets the network's answer.
      const [repeat, ours] = await harness.ledger.authorizeBatch([
        requestsFor(harness).again(advice, { mti: 121 }),
        requestsFor(harness).again(advice, { mti: 100, networkResponseCode: null }),
      ]);
      expect(repeat!.replayed).toBe(true);
      expect(ours).toMatchObject({ responseCode: "00", approvalCode: "STIP01", replayed: true });
      expect(await balances(harness.ledger, holder.userId)).toMatchObject({ heldAmount: 5_000 });
    });

    test("an advice for a transaction we approved reconciles our hold, never a second one", async () => {
      const harness = await fresh();
      const requests = requestsFor(harness);
      const holder = await cardholder(harness.ledger);
      const ours = requests.make(holder.pan, { amount: 2_000 });
      await harness.ledger.authorizeBatch([ours]);
      await harness.ledger.authorizeBatch([requests.again(ours, { mti: 120, amount: 2_600, networkResponseCode: "00" })]);
      expect(await balances(harness.ledger, holder.userId)).toMatchObject({ heldAmount: 2_600 });
      expect((await harness.ledger.checkConsistency()).keysWithSeveralHolds).toBe(0);
    });

    test("a declined advice releases the hold we placed", async () => {
      const harness = await fresh();
      const requests = requestsFor(harness);
      const holder = await cardholder(harness.ledger);
      const ours = requests.make(holder.pan, { amount: 2_000 });
      await harness.ledger.authorizeBatch([ours]);
      await harness.ledger.authorizeBatch([requests.again(ours, { mti: 120, networkResponseCode: "05" })]);
      expect(await balances(harness.ledger, holder.userId)).toMatchObject({ heldAmount: 0, availableBalance: 10_000 });
    });

    test("an advice for a transaction we declined holds once; its reversal releases it", async () => {
      const harness = await fresh();
      const requests = requestsFor(harness);
      const holder = await cardholder(harness.ledger, { funds: 500 });
      const ours = requests.make(holder.pan, { amount: 2_000 });
      const [declined] = await harness.ledger.authorizeBatch([ours]);
      expect(declined!.responseCode).toBe("51");
      await harness.ledger.authorizeBatch([requests.again(ours, { mti: 120, networkResponseCode: "00" })]);
      expect(await balances(harness.ledger, holder.userId)).toMatchObject({ heldAmount: 2_000, availableBalance: -1_500 });
      await harness.ledger.authorizeBatch([requests.reversal(ours)]);
      expect(await balances(harness.ledger, holder.userId)).toMatchObject({ heldAmount: 0, availableBalance: 500 });
      expect((await harness.ledger.checkConsistency()).consistent).toBe(true);
    });
  });
}
