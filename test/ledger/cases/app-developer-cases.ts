import { describe, expect, test } from "bun:test";
import { LedgerError, type Ledger, type OutboxEvent } from "../../../src/ledger/ledger.ts";
import { testPan } from "../../support/requests.ts";
import { cardholder, requestsFor, type OpenHarness } from "../harness.ts";
import { useHarness } from "./use-harness.ts";

/**
 * What an app built on the Processor API reads from the ledger: lists of users and of a user's cards,
 * the top-up's own id in history and events, balance inquiries told apart from authorizations, and each
 * event's balances as its change left them.
 */
async function allEvents(ledger: Ledger): Promise<OutboxEvent[]> {
  const events: OutboxEvent[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: OutboxEvent[]; nextCursor: string | null } = await ledger.listEvents({ limit: 500, cursor });
    events.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return events;
}

async function expectLedgerError(promise: Promise<unknown>, code: LedgerError["code"]): Promise<void> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(LedgerError);
  expect((error as LedgerError).code).toBe(code);
}

export function appDeveloperCases(name: string, open: OpenHarness): void {
  describe(`${name}: lists, top-up ids, balance inquiries, balances in events`, () => {
    const fresh = useHarness(open);

    test("users are listed newest first, a page at a time, with their balances; external_id finds one", async () => {
      const { ledger } = await fresh();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await ledger.createUser({ externalId: `ext-${i}`, name: `User ${i}` })).id);
      await ledger.topUp(ids[2]!, { amount: 700, idempotencyKey: "k", fingerprint: "f" });
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: Awaited<ReturnType<Ledger["listUsers"]>> = await ledger.listUsers({ limit: 2, cursor });
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((item) => item.user.id));
        cursor = page.nextCursor;
        pages += 1;
      } while (cursor !== null);
      expect(pages).toBe(3);
      expect(seen).toEqual([...ids].reverse());
      const found = await ledger.listUsers({ limit: 10, externalId: "ext-2" });
      expect(found.items.map((item) => item.user)).toEqual([(await ledger.getUser(ids[2]!))!.user]);
      expect(found.items[0]!.balances).toMatchObject({ ledgerBalance: 700, availableBalance: 700, heldAmount: 0 });
      expect(found.nextCursor).toBeNull();
      expect((await ledger.listUsers({ limit: 10, externalId: "ext-none" })).items).toEqual([]);
      await expectLedgerError(ledger.listUsers({ limit: 10, cursor: "not-a-cursor" }), "invalid_input");
    });

    test("a user's cards are listed newest first with masked PANs and their current status; an unknown user is not_found", async () => {
      const { ledger } = await fresh();
      const user = await ledger.createUser({});
      const other = await ledger.createUser({});
      const pans = [testPan(7101), testPan(7102), testPan(7103)];
      const cards = [];
      for (const pan of pans) cards.push(await ledger.issueCard(user.id, { pan, expiry: "2712" }));
      await ledger.issueCard(other.id, { pan: testPan(7104), expiry: "2712" });
      const suspended = await ledger.updateCard(cards[0]!.id, { status: "suspended" });
      const first = await ledger.listCards(user.id, { limit: 2 });
      expect(first.items).toEqual([cards[2]!, cards[1]!]);
      expect(first.nextCursor).not.toBeNull();
      const second = await ledger.listCards(user.id, { limit: 2, cursor: first.nextCursor });
      expect(second.items).toEqual([suspended]);
      expect(second.nextCursor).toBeNull();
      const text = JSON.stringify([first, second]);
      for (const pan of pans) expect(text).not.toContain(pan);
      expect((await ledger.listCards((await ledger.createUser({})).id, { limit: 5 })).items).toEqual([]);
      await expectLedgerError(ledger.listCards("usr_missing", { limit: 5 }), "not_found");
    });

    test("a top-up's own id is in its history entry and its event; the top-up names its history entry", async () => {
      const harness = await fresh();
      const { ledger } = harness;
      const user = await ledger.createUser({});
      const { topUp } = await ledger.topUp(user.id, { amount: 1234, idempotencyKey: "once", fingerprint: "f" });
      expect(topUp.id).toMatch(/^top_/);
      const [entry] = (await ledger.listTransactions(user.id, { limit: 10 })).items;
      expect(entry).toMatchObject({ kind: "topup", topUpId: topUp.id, id: topUp.transactionId });
      const replay = await ledger.topUp(user.id, { amount: 1234, idempotencyKey: "once", fingerprint: "f" });
      expect(replay.topUp).toEqual(topUp);
      const event = (await allEvents(ledger)).find((e) => e.type === "topup")!;
      expect(event.data).toMatchObject({ topup_id: topUp.id, transaction_id: topUp.transactionId });
      // Entries that are not top-ups name none.
      const holder = await cardholder(ledger);
      await ledger.authorizeBatch([requestsFor(harness).make(holder.pan, { amount: 100 })]);
      const [authorization] = (await ledger.listTransactions(holder.userId, { limit: 1 })).items;
      expect(authorization).toMatchObject({ kind: "authorization", topUpId: null });
    });

    test("a balance inquiry is its own type in history and events, not an authorization of 0", async () => {
      const harness = await fresh();
      const { ledger } = harness;
      const holder = await cardholder(ledger, { funds: 5000 });
      const requests = requestsFor(harness);
      await ledger.authorizeBatch([requests.make(holder.pan, { processingCode: "310000", amount: 0 })]);
      await ledger.authorizeBatch([requests.make(holder.pan, { amount: 300 })]);
      const kinds = (await ledger.listTransactions(holder.userId, { limit: 10 })).items.map((item) => item.kind);
      expect(kinds).toEqual(["authorization", "balance_inquiry", "topup"]);
      const approved = (await allEvents(ledger)).filter((e) => e.type === "authorization.approved").map((e) => e.data.kind);
      expect(approved).toEqual(["balance_inquiry", "authorization"]);
    });

    test("every event carries the account's balances right after its own change, not as they are later", async () => {
      const harness = await fresh();
      const { ledger } = harness;
      const holder = await cardholder(ledger, { funds: 10_000 });
      const requests = requestsFor(harness);
      // Two holds of one account in one batch: each event shows the balance its own hold left.
      const [first] = [requests.make(holder.pan, { amount: 1000 })];
      await ledger.authorizeBatch([first, requests.make(holder.pan, { amount: 2000 })]);
      await ledger.authorizeBatch([requests.reversal(first)]);
      await ledger.updateCard(holder.cardId, { status: "suspended" });
      await ledger.topUp(holder.userId, { amount: 500, idempotencyKey: "more", fingerprint: "more" });
      const accountId = (await ledger.getUser(holder.userId))!.balances.accountId;
      const shown = (await allEvents(ledger)).map((event) => [event.type, event.data.account]);
      const account = (ledger_balance: number, held_amount: number) => ({
        id: accountId,
        currency: 392,
        ledger_balance,
        available_balance: ledger_balance - held_amount,
        held_amount,
      });
      expect(shown).toEqual([
        ["card.updated", account(0, 0)],
        ["topup", account(10_000, 0)],
        ["authorization.approved", account(10_000, 1000)],
        ["authorization.approved", account(10_000, 3000)],
        ["reversal", account(10_000, 2000)],
        ["card.updated", account(10_000, 2000)],
        ["topup", account(10_500, 2000)],
      ]);
    });
  });
}
