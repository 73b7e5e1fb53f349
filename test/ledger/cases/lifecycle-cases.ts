import { describe, expect, test } from "bun:test";
import type { TransactionRecord } from "../../../src/ledger/ledger.ts";
import { balances, cardholder, requestsFor, TEST_NOW_MS, type OpenHarness } from "../harness.ts";
import { useHarness } from "./use-harness.ts";

const HOUR_SECONDS = 3600;

export function lifecycleCases(name: string, open: OpenHarness): void {
  describe(`${name}: hold expiry`, () => {
    const fresh = useHarness(open);

    test("a hold expires exactly at the hold timeout, not a millisecond before, and frees its funds", async () => {
      const harness = await fresh({ holdTimeoutSeconds: HOUR_SECONDS });
      const holder = await cardholder(harness.ledger);
      const requests = requestsFor(harness);
      await harness.ledger.authorizeBatch([requests.make(holder.pan, { amount: 3_000 })]);
      harness.nowMs = TEST_NOW_MS + 10 * 60_000;
      const [later] = await harness.ledger.authorizeBatch([requests.make(holder.pan, { amount: 1_000 })]);
      expect(later!.responseCode).toBe("00");
      expect(await harness.ledger.expireHolds(TEST_NOW_MS + HOUR_SECONDS * 1000 - 1)).toBe(0);
      expect(await harness.ledger.expireHolds(TEST_NOW_MS + HOUR_SECONDS * 1000)).toBe(1);
      expect(await balances(harness.ledger, holder.userId)).toMatchObject({ heldAmount: 1_000, availableBalance: 9_000 });
      expect(await harness.ledger.expireHolds(TEST_NOW_MS + HOUR_SECONDS * 1000)).toBe(0);
      expect(await harness.ledger.expireHolds(TEST_NOW_MS + 2 * HOUR_SECONDS * 1000)).toBe(1);
      expect(await balances(harness.ledger, holder.userId)).toMatchObject({ heldAmount: 0, availableBalance: 10_000 });
      const history = (await harness.ledger.listTransactions(holder.userId, { limit: 10 })).items;
      expect(history.filter((item) => item.kind === "expiry").map((item) => item.amount)).toEqual([1_000, 3_000]);
      expect(history.filter((item) => item.kind === "authorization").every((item) => item.status === "expired")).toBe(true);
    });

    test("released and reversed holds do not expire again; a later reversal of an expired hold changes nothing", async () => {
      const harness = await fresh({ holdTimeoutSeconds: HOUR_SECONDS });
      const holder = await cardholder(harness.ledger);
      const requests = requestsFor(harness);
      const reversed = requests.make(holder.pan, { amount: 1_000 });
      const kept = requests.make(holder.pan, { amount: 2_000 });
      await harness.ledger.authorizeBatch([reversed, kept, requests.reversal(reversed)]);
      expect(await harness.ledger.expireHolds(TEST_NOW_MS + HOUR_SECONDS * 1000)).toBe(1);
      await harness.ledger.authorizeBatch([requests.reversal(kept)]);
      expect(await balances(harness.ledger, holder.userId)).toMatchObject({ heldAmount: 0, availableBalance: 10_000 });
      expect((await harness.ledger.checkConsistency()).consistent).toBe(true);
    });
  });

  describe(`${name}: history`, () => {
    const fresh = useHarness(open);

    test("newest first, every kind, declines with their reason; cursor pages are stable while new rows arrive", async () => {
      const harness = await fresh();
      const holder = await cardholder(harness.ledger, { funds: 5_000 });
      const requests = requestsFor(harness);
      const purchase = requests.make(holder.pan, { amount: 1_000 });
      await harness.ledger.authorizeBatch([purchase, requests.make(holder.pan, { amount: 99_999 })]);
      await harness.ledger.authorizeBatch([requests.reversal(purchase, { replacementAmount: 400 })]);
      await harness.ledger.authorizeBatch([requests.make(holder.pan, { mti: 200, amount: 300 })]);
      await harness.ledger.authorizeBatch([requests.make(holder.pan, { mti: 120, amount: 50, networkResponseCode: "00" })]);

      const all = await harness.ledger.listTransactions(holder.userId, { limit: 100 });
      expect(all.nextCursor).toBeNull();
      expect(all.items.map((item: TransactionRecord) => item.kind)).toEqual(["advice", "financial", "reversal", "authorization", "authorization", "topup"]);
      const declined = all.items[3]!;
      expect(declined).toMatchObject({ status: "declined", responseCode: "51", reason: "insufficient_funds", approvalCode: null });
      expect(all.items[4]).toMatchObject({ status: "partially_reversed", responseCode: "00", amount: 1_000, merchantCategory: "5411" });
      expect(all.items[4]!.panMasked).toBe(holder.pan.slice(0, 6) + "******" + holder.pan.slice(-4));
      expect(all.items[5]).toMatchObject({ kind: "topup", amount: 5_000, status: "posted" });
      expect(JSON.stringify(all)).not.toContain(holder.pan);

      const first = await harness.ledger.listTransactions(holder.userId, { limit: 2 });
      expect(first.items.map((item) => item.id)).toEqual(all.items.slice(0, 2).map((item) => item.id));
      await harness.ledger.authorizeBatch([requests.make(holder.pan, { amount: 10 })]);
      const second = await harness.ledger.listTransactions(holder.userId, { limit: 3, cursor: first.nextCursor });
      expect(second.items.map((item) => item.id)).toEqual(all.items.slice(2, 5).map((item) => item.id));
      const third = await harness.ledger.listTransactions(holder.userId, { limit: 3, cursor: second.nextCursor });
      expect(third.items.map((item) => item.id)).toEqual(all.items.slice(5).map((item) => item.id));
      expect(third.nextCursor).toBeNull();
    });

    test("another user's history is their own; a foreign cursor is refused", async () => {
      const harness = await fresh();
      const a = await cardholder(harness.ledger);
      const b = await cardholder(harness.ledger);
      const requests = requestsFor(harness);
      await harness.ledger.authorizeBatch([requests.make(a.pan, { amount: 1 }), requests.make(b.pan, { amount: 2 }), requests.make(a.pan, { amount: 3 })]);
      const ofA = await harness.ledger.listTransactions(a.userId, { limit: 1 });
      expect(ofA.items[0]!.amount).toBe(3);
      const ofB = await harness.ledger.listTransactions(b.userId, { limit: 10 });
      expect(ofB.items.map((item) => item.amount)).toEqual([2, 10_000]);
      await expect(harness.ledger.listTransactions(b.userId, { limit: 1, cursor: ofA.nextCursor })).rejects.toMatchObject({ code: "invalid_input" });
    });
  });

  describe(`${name}: restart`, () => {
    const fresh = useHarness(open);

    test("after a restart: balances, replays, limits and history are as they were", async () => {
      const harness = await fresh();
      const holder = await cardholder(harness.ledger, { limits: { perDayCountMax: 2 } });
      const requests = requestsFor(harness);
      const first = requests.make(holder.pan, { amount: 1_500 });
      const [answer] = await harness.ledger.authorizeBatch([first, requests.make(holder.pan, { mti: 200, amount: 700 })]);
      const before = await harness.ledger.listTransactions(holder.userId, { limit: 10 });
      await harness.reopen();
      expect(await balances(harness.ledger, holder.userId)).toMatchObject({ ledgerBalance: 9_300, heldAmount: 1_500, availableBalance: 7_800 });
      const [replayed, overCount] = await harness.ledger.authorizeBatch([first, requests.make(holder.pan, { amount: 1 })]);
      expect(replayed).toEqual({ ...answer!, replayed: true });
      expect(overCount!.responseCode).toBe("65");
      const after = await harness.ledger.listTransactions(holder.userId, { limit: 10 });
      expect(after.items.slice(1)).toEqual(before.items);
      expect((await harness.ledger.checkConsistency()).consistent).toBe(true);
    });
  });
}
