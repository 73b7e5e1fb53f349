import { describe, expect, test } from "bun:test";
import { LedgerError } from "../../../src/ledger/ledger.ts";
import { testPan } from "../../support/requests.ts";
import { balances, cardholder, type OpenHarness } from "../harness.ts";
import { useHarness } from "./use-harness.ts";

async function expectLedgerError(promise: Promise<unknown>, code: LedgerError["code"]): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(LedgerError);
    expect((error as LedgerError).code).toBe(code);
    return;
  }
  throw new Error(`expected LedgerError ${code}, nothing was thrown`);
}

export function apiCases(name: string, open: OpenHarness): void {
  describe(`${name}: users, cards, top-ups`, () => {
    const fresh = useHarness(open);

    test("a new user has an account in JPY with zero balances; ids carry their type prefix", async () => {
      const { ledger } = await fresh();
      const user = await ledger.createUser({ externalId: "ext-1", name: "Hanako" });
      expect(user.id).toMatch(/^usr_/);
      const found = await ledger.getUser(user.id);
      expect(found!.user).toEqual(user);
      expect(found!.balances).toMatchObject({ currency: 392, ledgerBalance: 0, availableBalance: 0, heldAmount: 0 });
      expect(found!.balances.accountId).toMatch(/^acct_/);
      expect(await ledger.getUser("usr_missing")).toBeNull();
      await expectLedgerError(ledger.createUser({ externalId: "ext-1" }), "conflict");
    });

    test("a card keeps its PAN masked, last 4 and expiry; the same PAN twice is a conflict", async () => {
      const { ledger } = await fresh();
      const user = await ledger.createUser({});
      const pan = testPan(9001);
      const card = await ledger.issueCard(user.id, { pan, expiry: "2712" });
      expect(card).toMatchObject({ userId: user.id, last4: pan.slice(-4), expiry: "2712", status: "active" });
      expect(card.id).toMatch(/^crd_/);
      expect(card.panMasked).toBe(pan.slice(0, 6) + "******" + pan.slice(-4));
      expect(JSON.stringify(card)).not.toContain(pan);
      expect(await ledger.getCard(card.id)).toEqual(card);
      await expectLedgerError(ledger.issueCard(user.id, { pan, expiry: "2712" }), "conflict");
      await expectLedgerError(ledger.issueCard("usr_missing", { pan: testPan(9002), expiry: "2712" }), "not_found");
      await expectLedgerError(ledger.issueCard(user.id, { pan: "1234", expiry: "2712" }), "invalid_input");
      await expectLedgerError(ledger.issueCard(user.id, { pan: testPan(9003), expiry: "2713" }), "invalid_input");
    });

    test("limits default to the program's and can be set per card", async () => {
      const { ledger } = await fresh();
      const user = await ledger.createUser({});
      const card = await ledger.issueCard(user.id, { pan: testPan(9010), expiry: "2712", limits: { perDayCountMax: 7 } });
      expect(card.limits.perDayCountMax).toBe(7);
      expect(card.limits.perTransactionMax).toBeGreaterThan(0);
      const updated = await ledger.updateCard(card.id, { limits: { perTransactionMax: 500 } });
      expect(updated.limits).toMatchObject({ perTransactionMax: 500, perDayCountMax: 7 });
      await expectLedgerError(ledger.updateCard(card.id, { limits: { perTransactionMax: -1 } }), "invalid_input");
    });

    test("status changes; lost, stolen and closed are final", async () => {
      const { ledger } = await fresh();
      const { cardId } = await cardholder(ledger);
      expect((await ledger.updateCard(cardId, { status: "suspended" })).status).toBe("suspended");
      expect((await ledger.updateCard(cardId, { status: "active" })).status).toBe("active");
      expect((await ledger.updateCard(cardId, { status: "lost" })).status).toBe("lost");
      await expectLedgerError(ledger.updateCard(cardId, { status: "active" }), "invalid_state");
      expect((await ledger.updateCard(cardId, { status: "lost" })).status).toBe("lost");
      await expectLedgerError(ledger.updateCard("crd_missing", { status: "active" }), "not_found");
    });

    test("top-ups are idempotent per key: same fingerprint replays, another conflicts", async () => {
      const { ledger } = await fresh();
      const { userId } = await cardholder(ledger, { funds: 0 });
      const first = await ledger.topUp(userId, { amount: 5_000, idempotencyKey: "k-1", fingerprint: "f-1" });
      expect(first.replayed).toBe(false);
      expect(first.topUp.id).toMatch(/^top_/);
      const again = await ledger.topUp(userId, { amount: 5_000, idempotencyKey: "k-1", fingerprint: "f-1" });
      expect(again).toEqual({ topUp: first.topUp, replayed: true });
      await expectLedgerError(ledger.topUp(userId, { amount: 6_000, idempotencyKey: "k-1", fingerprint: "f-2" }), "idempotency_conflict");
      expect(await balances(ledger, userId)).toMatchObject({ ledgerBalance: 5_000, availableBalance: 5_000 });
    });

    test("top-ups refuse bad amounts, another currency and unknown users", async () => {
      const { ledger } = await fresh();
      const { userId } = await cardholder(ledger, { funds: 0 });
      await expectLedgerError(ledger.topUp(userId, { amount: 0, idempotencyKey: "a", fingerprint: "f" }), "invalid_amount");
      await expectLedgerError(ledger.topUp(userId, { amount: 1.5, idempotencyKey: "b", fingerprint: "f" }), "invalid_amount");
      await expectLedgerError(ledger.topUp(userId, { amount: 100, currency: 840, idempotencyKey: "c", fingerprint: "f" }), "currency_mismatch");
      await expectLedgerError(ledger.topUp("usr_missing", { amount: 100, idempotencyKey: "d", fingerprint: "f" }), "not_found");
      expect((await ledger.checkConsistency()).consistent).toBe(true);
    });
  });
}
