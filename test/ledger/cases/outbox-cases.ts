import { describe, expect, test } from "bun:test";
import { cardholder, requestsFor, TEST_NOW_MS, type OpenHarness } from "../harness.ts";
import { useHarness } from "./use-harness.ts";

export function outboxCases(name: string, open: OpenHarness): void {
  describe(`${name}: outbox`, () => {
    const fresh = useHarness(open);
    const claim = (limit = 100, nowMs = TEST_NOW_MS, owner = "notifier-1") => ({ limit, leaseMs: 30_000, owner, nowMs });

    test("every change writes its event; data carries the masked PAN, never the PAN", async () => {
      const harness = await fresh();
      const holder = await cardholder(harness.ledger);
      const requests = requestsFor(harness);
      const purchase = requests.make(holder.pan, { amount: 700 });
      await harness.ledger.authorizeBatch([purchase, requests.make(holder.pan, { amount: 999_999 })]);
      await harness.ledger.authorizeBatch([requests.reversal(purchase)]);
      // issued card, top-up, approval, decline, reversal
      expect(await harness.ledger.outboxBacklog()).toBe(5);
      const types: string[] = [];
      for (;;) {
        const [event] = await harness.ledger.claimOutbox(claim());
        if (event === undefined) break;
        types.push(event.type);
        expect(event.id).toMatch(/^evt_/);
        expect(event.attempts).toBe(1);
        expect(JSON.stringify(event)).not.toContain(holder.pan);
        if (event.type.startsWith("authorization")) {
          expect(event.data).toMatchObject({ user_id: holder.userId, card_id: holder.cardId, currency: 392 });
          expect(event.data.pan_masked).toBe(holder.pan.slice(0, 6) + "******" + holder.pan.slice(-4));
        }
        await harness.ledger.completeOutbox(event.id, "notifier-1");
      }
      expect(types).toEqual(["card.updated", "topup", "authorization.approved", "authorization.declined", "reversal"]);
      expect(await harness.ledger.outboxBacklog()).toBe(0);
    });

    test("only the oldest undelivered event of an account is claimable; accounts do not wait for each other", async () => {
      const harness = await fresh();
      const a = await cardholder(harness.ledger);
      const b = await cardholder(harness.ledger);
      const claimed = await harness.ledger.claimOutbox(claim());
      expect(claimed.map((event) => event.data.user_id)).toEqual([a.userId, b.userId]);
      expect(claimed.every((event) => event.type === "card.updated")).toBe(true);
      // Leased: nothing more for either account, by anyone.
      expect(await harness.ledger.claimOutbox(claim(100, TEST_NOW_MS, "notifier-2"))).toEqual([]);
      await harness.ledger.completeOutbox(claimed[0]!.id, "notifier-1");
      const next = await harness.ledger.claimOutbox(claim());
      expect(next.map((event) => [event.type, event.data.user_id])).toEqual([["topup", a.userId]]);
    });

    test("a lease that runs out is claimable again; the old owner can no longer complete it", async () => {
      const harness = await fresh();
      await cardholder(harness.ledger, { funds: 0 });
      const [event] = await harness.ledger.claimOutbox(claim());
      expect(await harness.ledger.claimOutbox(claim(100, TEST_NOW_MS + 29_999, "notifier-2"))).toEqual([]);
      const [again] = await harness.ledger.claimOutbox(claim(100, TEST_NOW_MS + 30_000, "notifier-2"));
      expect(again!.id).toBe(event!.id);
      expect(again!.attempts).toBe(2);
      await expect(harness.ledger.completeOutbox(event!.id, "notifier-1")).rejects.toMatchObject({ code: "conflict" });
      await harness.ledger.completeOutbox(again!.id, "notifier-2");
      await expect(harness.ledger.completeOutbox(again!.id, "notifier-2")).rejects.toMatchObject({ code: "not_found" });
    });

    test("a retry waits until its next attempt and keeps the account's later events behind it", async () => {
      const harness = await fresh();
      const holder = await cardholder(harness.ledger, { funds: 0 });
      await harness.ledger.topUp(holder.userId, { amount: 100, idempotencyKey: "t", fingerprint: "t" });
      const [event] = await harness.ledger.claimOutbox(claim());
      await harness.ledger.retryOutbox(event!.id, "notifier-1", TEST_NOW_MS + 5_000, "HTTP 503 from the webhook");
      expect(await harness.ledger.claimOutbox(claim(100, TEST_NOW_MS + 4_999))).toEqual([]);
      const [retried] = await harness.ledger.claimOutbox(claim(100, TEST_NOW_MS + 5_000));
      expect(retried!.id).toBe(event!.id);
      expect(await harness.ledger.outboxBacklog()).toBe(2);
    });

    test("events of an approval and of its commit are written together: none without the other", async () => {
      const harness = await fresh();
      const holder = await cardholder(harness.ledger);
      const before = await harness.ledger.outboxBacklog();
      const requests = requestsFor(harness);
      const decisions = await harness.ledger.authorizeBatch(Array.from({ length: 5 }, () => requests.make(holder.pan, { amount: 10 })));
      expect(decisions).toHaveLength(5);
      expect(await harness.ledger.outboxBacklog()).toBe(before + 5);
    });
  });
}
