import { describe, expect, test } from "bun:test";
import type { Ledger } from "../../../src/ledger/ledger.ts";
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

/** Every event id the outbox has ever shown, through claims and listings. */
async function allEventIds(ledger: Ledger): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: Array<{ id: string }>; nextCursor: string | null } = await ledger.listEvents({ limit: 2, cursor });
    ids.push(...page.items.map((event) => event.id));
    cursor = page.nextCursor;
  } while (cursor !== null);
  return ids;
}

/** Claims and completes every deliverable event, as a notifier would. */
async function deliverAll(ledger: Ledger, nowMs: number): Promise<string[]> {
  const delivered: string[] = [];
  for (;;) {
    const events = await ledger.claimOutbox({ limit: 100, leaseMs: 30_000, owner: "notifier-1", nowMs });
    if (events.length === 0) return delivered;
    for (const event of events) {
      await ledger.completeOutbox(event.id, "notifier-1");
      delivered.push(event.id);
    }
  }
}

const HOUR_MS = 3_600_000;

export function eventRetentionCases(name: string, open: OpenHarness): void {
  describe(`${name}: event ids and retention`, () => {
    const fresh = useHarness(open);

    test("an event id is never reused: not after the outbox drained and the ledger restarted", async () => {
      const harness = await fresh();
      const holder = await cardholder(harness.ledger, { funds: 111 });
      const first = await deliverAll(harness.ledger, harness.nowMs);
      expect(first).toHaveLength(2); // card issued, top-up
      expect(await harness.ledger.outboxBacklog()).toBe(0);
      await harness.reopen();
      await harness.ledger.topUp(holder.userId, { amount: 333, idempotencyKey: "after-restart", fingerprint: "333" });
      const [later] = await deliverAll(harness.ledger, harness.nowMs);
      expect(first).not.toContain(later!);
      expect(later! > first[first.length - 1]!).toBe(true);
    });

    test("an event id is never reused: not after every event was delivered and pruned, and a restart", async () => {
      const harness = await fresh();
      const holder = await cardholder(harness.ledger, { funds: 111 });
      const first = await deliverAll(harness.ledger, harness.nowMs);
      harness.nowMs += 2 * HOUR_MS;
      const pruned = await harness.ledger.pruneEvents({ createdBeforeMs: harness.nowMs - HOUR_MS, nowMs: harness.nowMs, rowsMax: 100 });
      expect(pruned).toEqual({ pruned: 2, undelivered: 0 });
      expect(await allEventIds(harness.ledger)).toEqual([]);
      await harness.reopen();
      await harness.ledger.topUp(holder.userId, { amount: 333, idempotencyKey: "after-prune", fingerprint: "333" });
      const [later] = await allEventIds(harness.ledger);
      expect(first).not.toContain(later!);
      expect(later! > first[first.length - 1]!).toBe(true);
    });

    test("a delivered event leaves the backlog and stays listed, oldest first, page by page", async () => {
      const harness = await fresh();
      const holder = await cardholder(harness.ledger, { funds: 100 });
      const requests = requestsFor(harness);
      await harness.ledger.authorizeBatch([requests.make(holder.pan, { amount: 10 }), requests.make(holder.pan, { amount: 20 })]);
      const [claimed] = await harness.ledger.claimOutbox({ limit: 1, leaseMs: 30_000, owner: "notifier-1", nowMs: harness.nowMs });
      await harness.ledger.completeOutbox(claimed!.id, "notifier-1");
      expect(await harness.ledger.outboxBacklog()).toBe(3);
      const ids = await allEventIds(harness.ledger);
      expect(ids).toHaveLength(4);
      expect(ids[0]).toBe(claimed!.id);
      expect([...ids].sort()).toEqual(ids);
      const { items } = await harness.ledger.listEvents({ limit: 10 });
      expect(items.map((event) => event.type)).toEqual(["card.updated", "topup", "authorization.approved", "authorization.approved"]);
      expect(items[2]!.data).toMatchObject({ user_id: holder.userId, amount: 10 });
      await expect(harness.ledger.listEvents({ limit: 10, cursor: "not-a-cursor" })).rejects.toMatchObject({ code: "invalid_input" });
    });

    test("pruning takes events past the cutoff, delivered or not, a bounded step at a time; a leased one waits", async () => {
      const harness = await fresh();
      const a = await cardholder(harness.ledger, { funds: 100 }); // events 1, 2
      await cardholder(harness.ledger, { funds: 100 }); // events 3, 4
      const [delivered] = await harness.ledger.claimOutbox({ limit: 1, leaseMs: 30_000, owner: "notifier-1", nowMs: harness.nowMs });
      await harness.ledger.completeOutbox(delivered!.id, "notifier-1");
      harness.nowMs += HOUR_MS;
      await harness.ledger.topUp(a.userId, { amount: 5, idempotencyKey: "young", fingerprint: "5" }); // event 5, young
      // b's first event is leased now: its delivery is under way.
      const leased = await harness.ledger.claimOutbox({ limit: 10, leaseMs: 30_000, owner: "notifier-2", nowMs: harness.nowMs });
      expect(leased.map((event) => event.data.user_id)).toEqual([a.userId, expect.any(String)]);
      const cutoff = { createdBeforeMs: harness.nowMs - HOUR_MS / 2, nowMs: harness.nowMs };
      await expect(harness.ledger.pruneEvents({ ...cutoff, rowsMax: 0 })).rejects.toMatchObject({ code: "invalid_input" });
      // Two rows looked at: the delivered one goes; a's top-up (leased) stays.
      expect(await harness.ledger.pruneEvents({ ...cutoff, rowsMax: 2 })).toEqual({ pruned: 1, undelivered: 0 });
      // The rest of the old ones but the two leased; the young one stays.
      expect(await harness.ledger.pruneEvents({ ...cutoff, rowsMax: 100 })).toEqual({ pruned: 1, undelivered: 1 });
      expect((await harness.ledger.listEvents({ limit: 10 })).items.map((event) => event.id)).toEqual([leased[0]!.id, leased[1]!.id, expect.any(String)]);
      // Once the leases ran out, the old undelivered ones go too, counted as undelivered.
      const later = { createdBeforeMs: cutoff.createdBeforeMs, nowMs: harness.nowMs + 30_000 };
      expect(await harness.ledger.pruneEvents({ ...later, rowsMax: 100 })).toEqual({ pruned: 2, undelivered: 2 });
      expect(await harness.ledger.outboxBacklog()).toBe(1);
    });

    test("events written unqueued (no webhook configured) are kept and listed but never claimed", async () => {
      const harness = await fresh({ queueEvents: false });
      const holder = await cardholder(harness.ledger, { funds: 100 });
      await harness.ledger.authorizeBatch([requestsFor(harness).make(holder.pan, { amount: 10 })]);
      expect(await harness.ledger.outboxBacklog()).toBe(0);
      expect(await harness.ledger.claimOutbox({ limit: 100, leaseMs: 30_000, owner: "notifier-1", nowMs: harness.nowMs })).toEqual([]);
      expect((await harness.ledger.listEvents({ limit: 10 })).items.map((event) => event.type)).toEqual(["card.updated", "topup", "authorization.approved"]);
      harness.nowMs += 2 * HOUR_MS;
      expect(await harness.ledger.pruneEvents({ createdBeforeMs: harness.nowMs - HOUR_MS, nowMs: harness.nowMs, rowsMax: 100 })).toEqual({ pruned: 3, undelivered: 0 });
    });
  });
}
