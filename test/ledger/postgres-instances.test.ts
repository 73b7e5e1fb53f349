import { describe, expect, test } from "bun:test";
import { SQL } from "bun";
import type { AuthorizationDecision, AuthorizationRequest } from "../../src/domain/authorization.ts";
import type { Ledger, OutboxEvent } from "../../src/ledger/ledger.ts";
import { RequestFactory, testPan } from "../support/requests.ts";
import { balances, cardholder, type Cardholder } from "./harness.ts";
import { expectConsistent, usePostgresInstances } from "./postgres-instances.ts";

/**
 * Several instances (each its own pool, as separate processes would have) on one database deciding on the
 * same cards at the same moment, duplicates across instances, and the outbox and expiry shared by all.
 */
const pg = usePostgresInstances();

describe("PostgreSQL ledger: two instances on one database", () => {
  test("concurrent authorizations on one card over both instances never approve more than its balance", async () => {
    const [a, b] = await pg.twoInstances();
    const holder = await cardholder(a, { funds: 10_000, limits: { perDayCountMax: 10_000 } });
    const requests = new RequestFactory(() => Date.now());
    const drive = async (ledger: Ledger, acquirer: string) => {
      const decisions: AuthorizationDecision[] = [];
      for (let round = 0; round < 10; round++) decisions.push(...(await ledger.authorizeBatch(Array.from({ length: 8 }, () => requests.make(holder.pan, { amount: 100, acquirer })))));
      return decisions;
    };
    const results = await Promise.all([a, a, a, b, b, b].map((ledger, i) => drive(ledger, String(10_000_000 + i))));
    const approved = results.flat().filter((d) => d.responseCode === "00").length;
    expect(approved).toBe(100); // 10,000 / 100: every unit of the balance, and not one more
    expect(results.flat().filter((d) => d.responseCode === "51").length).toBe(6 * 80 - 100);
    expect(await balances(b, holder.userId)).toMatchObject({ ledgerBalance: 10_000, heldAmount: 10_000, availableBalance: 0 });
    expectConsistent(await a.checkConsistency());
  });

  test("the same requests sent to both instances at once: one answer per key, the first, and one hold", async () => {
    const [a, b] = await pg.twoInstances();
    const holders = await Promise.all(Array.from({ length: 4 }, () => cardholder(a, { funds: 50_000 })));
    const requests = new RequestFactory(() => Date.now());
    const sent: AuthorizationRequest[] = [];
    for (let i = 0; i < 160; i++) {
      const unknownCard = i % 5 === 4;
      sent.push(requests.make(unknownCard ? testPan(900_000 + i) : holders[i % holders.length]!.pan, { amount: 100 + i }));
    }
    const batches = (list: AuthorizationRequest[]) => Array.from({ length: list.length / 16 }, (_, i) => list.slice(i * 16, i * 16 + 16));
    const run = async (ledger: Ledger, list: AuthorizationRequest[]) => (await Promise.all(batches(list).map((batch) => ledger.authorizeBatch(batch)))).flat();
    // Both get the same batches at the same moment: each key is in flight on both instances at once.
    const [fromA, fromB] = await Promise.all([run(a, sent), run(b, sent)]);
    for (let i = 0; i < sent.length; i++) {
      const [x, y] = [fromA[i]!, fromB[i]!];
      expect({ code: y.responseCode, approval: y.approvalCode }).toEqual({ code: x.responseCode, approval: x.approvalCode });
      expect([x.replayed, y.replayed].sort()).toEqual([false, true]);
    }
    const report = await b.checkConsistency();
    expectConsistent(report);
    expect(report.keysWithSeveralHolds).toBe(0);
    const held = (await Promise.all(holders.map((h) => balances(a, h.userId)))).reduce((sum, x) => sum + x.heldAmount, 0);
    const approvedAmount = sent.reduce((sum, request, i) => sum + (fromA[i]!.responseCode === "00" ? request.amount : 0), 0);
    expect(held).toBe(approvedAmount);
  });

  test("requests naming no card, decided on both instances at once: the unique key index lets one through, the other replays it", async () => {
    // No account to lock: both transactions read no record and both insert; the slower one fails on the
    // key's unique index, runs again and finds the first answer.
    const [a, b, db] = await pg.twoInstances();
    const requests = new RequestFactory(() => Date.now());
    for (let round = 0; round < 20; round++) {
      const batch = Array.from({ length: 8 }, (_, i) => requests.make(testPan(800_000 + round * 10 + i)));
      const [x, y] = await Promise.all([a.authorizeBatch(batch), b.authorizeBatch(batch)]);
      for (let i = 0; i < batch.length; i++) {
        expect([x[i]!.responseCode, y[i]!.responseCode]).toEqual(["14", "14"]);
        expect([x[i]!.replayed, y[i]!.replayed].sort()).toEqual([false, true]);
      }
    }
    const sql = new SQL(db.url, { max: 1 });
    pg.later(() => sql.close());
    expect(await sql`SELECT count(*)::int AS records, count(DISTINCT key)::int AS keys FROM transactions`).toEqual([{ records: 160, keys: 160 }]);
  });

  test("a reversal on one instance, carrying another card's PAN, releases the hold decided on the other", async () => {
    const [a, b] = await pg.twoInstances();
    const [first, second] = [await cardholder(a), await cardholder(a)];
    const requests = new RequestFactory(() => Date.now());
    const original = requests.make(first.pan, { amount: 3_000 });
    expect((await a.authorizeBatch([original]))[0]!.responseCode).toBe("00");
    // The original's account is not the one the reversal's PAN names: the batch locks it too.
    const [reversal] = await b.authorizeBatch([requests.reversal(original, { pan: second.pan })]);
    expect(reversal!.responseCode).toBe("00");
    expect(await balances(a, first.userId)).toMatchObject({ heldAmount: 0, availableBalance: 10_000 });
    expect(await balances(a, second.userId)).toMatchObject({ heldAmount: 0, availableBalance: 10_000 });
    expectConsistent(await b.checkConsistency());
  });

  test("two notifiers claiming at once: every event is claimed by one of them only, and each account's in order", async () => {
    const [a, b] = await pg.twoInstances();
    const holders: Cardholder[] = [];
    for (let i = 0; i < 6; i++) holders.push(await cardholder(a, { funds: 100_000 }));
    const requests = new RequestFactory(() => Date.now());
    for (let round = 0; round < 10; round++) await b.authorizeBatch(holders.map((h) => requests.make(h.pan, { amount: 10 })));
    const total = await a.outboxBacklog();
    expect(total).toBe(6 * 12); // card issued, top-up, ten authorizations
    const delivered: OutboxEvent[] = [];
    const notifier = async (ledger: Ledger, owner: string) => {
      for (let idle = 0; idle < 20; ) {
        const events = await ledger.claimOutbox({ limit: 4, leaseMs: 60_000, owner, nowMs: Date.now() });
        if (events.length === 0) {
          idle++;
          await Bun.sleep(2);
          continue;
        }
        idle = 0;
        for (const event of events) {
          delivered.push(event);
          await ledger.completeOutbox(event.id, owner);
        }
      }
    };
    await Promise.all([notifier(a, "a-1"), notifier(a, "a-2"), notifier(b, "b-1"), notifier(b, "b-2")]);
    expect(delivered).toHaveLength(total);
    expect(new Set(delivered.map((event) => event.id)).size).toBe(total);
    for (const holder of holders) {
      const ids = delivered.filter((event) => event.data.user_id === holder.userId).map((event) => event.id);
      expect(ids).toEqual([...ids].sort());
    }
    expect(await b.outboxBacklog()).toBe(0);
  });

  test("expiry run by both instances at once releases each hold once", async () => {
    const [a, b] = await pg.twoInstances();
    const holders = await Promise.all(Array.from({ length: 5 }, () => cardholder(a)));
    const requests = new RequestFactory(() => Date.now());
    await a.authorizeBatch(holders.flatMap((h) => [requests.make(h.pan, { amount: 1_000 }), requests.make(h.pan, { amount: 2_000 })]));
    const later = Date.now() + 3600_000;
    const counts = await Promise.all([a.expireHolds(later), b.expireHolds(later), a.expireHolds(later)]);
    expect(counts.reduce((x, y) => x + y, 0)).toBe(10);
    for (const holder of holders) expect(await balances(b, holder.userId)).toMatchObject({ heldAmount: 0, availableBalance: 10_000 });
    expectConsistent(await b.checkConsistency());
  });
});

