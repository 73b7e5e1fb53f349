import { afterEach, describe, expect, test } from "bun:test";
import type { Ledger } from "../../src/ledger/ledger.ts";
import { Notifier, type NotifierOptions } from "../../src/notify/notifier.ts";
import { createLogger } from "../../src/ops/log.ts";
import { MetricsRegistry } from "../../src/ops/metrics.ts";
import { authorization } from "../support/authorizations.ts";
import { parseExposition, sampleValue } from "../support/prometheus.ts";
import { openTestLedger, type TestLedger } from "../support/test-ledger.ts";
import { WebhookReceiver } from "../support/webhook-receiver.ts";

const SECRET = "whsec-test-0123456789abcdef";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(): Promise<{ store: TestLedger; receiver: WebhookReceiver }> {
  const store = await openTestLedger();
  const receiver = new WebhookReceiver(SECRET);
  cleanups.push(() => store.cleanup(), () => receiver.stop());
  return { store, receiver };
}

interface Running {
  notifier: Notifier;
  registry: MetricsRegistry;
  logLines: string[];
}

function startNotifier(ledger: Ledger, url: string, overrides: Partial<NotifierOptions> = {}): Running {
  const registry = new MetricsRegistry();
  const logLines: string[] = [];
  const notifier = new Notifier({
    ledger,
    url,
    secret: SECRET,
    timeoutMs: 1000,
    retryDelayMinMs: 20,
    retryDelayMaxMs: 80,
    batchSizeMax: 8,
    concurrency: 4,
    pollMs: 10,
    metrics: registry,
    logger: createLogger({ level: "debug", format: "json", write: (line) => logLines.push(line) }),
    ...overrides,
  });
  notifier.start();
  cleanups.push(() => notifier.stop(200).then(() => {}));
  return { notifier, registry, logLines };
}

/** A user with a funded account and a card, made on the ledger directly: what the API would do. */
async function fundedCard(ledger: Ledger, amount: number, pan: string): Promise<{ userId: string; cardId: string }> {
  const user = await ledger.createUser({ name: "Webhook Test", currency: 392 });
  await ledger.topUp(user.id, { amount, currency: 392, idempotencyKey: crypto.randomUUID(), fingerprint: crypto.randomUUID() });
  const card = await ledger.issueCard(user.id, { pan, expiry: "3012" });
  return { userId: user.id, cardId: card.id };
}

async function topUps(ledger: Ledger, userId: string, amounts: number[]): Promise<void> {
  for (const amount of amounts) {
    await ledger.topUp(userId, { amount, currency: 392, idempotencyKey: crypto.randomUUID(), fingerprint: crypto.randomUUID() });
  }
}

/**
 * The backlog once the notifier has marked what the receiver got: a receiver sees an event before the
 * notifier records its delivery, so this waits (up to `waitMs`) for the backlog to reach zero.
 */
async function backlogAfterDelivery(ledger: Ledger, waitMs = 5000): Promise<number> {
  const deadline = Date.now() + waitMs;
  let backlog = await ledger.outboxBacklog();
  while (backlog > 0 && Date.now() < deadline) {
    await Bun.sleep(10);
    backlog = await ledger.outboxBacklog();
  }
  return backlog;
}

describe("notifier", () => {
  test("delivers every kind of event, signed, as { id, type, created_at, data }, and empties the backlog", async () => {
    const { store, receiver } = await setup();
    const ledger = store.ledger;
    const pan = "4900001111111118";
    const { cardId } = await fundedCard(ledger, 5000, pan);
    const approved = authorization(pan, { amount: 1000 });
    await ledger.authorizeBatch([approved, authorization(pan, { amount: 999_999 })]);
    await ledger.authorizeBatch([authorization(pan, { mti: 400, amount: 1000, originalKey: approved.key })]);
    await ledger.updateCard(cardId, { status: "suspended" });
    const running = startNotifier(ledger, receiver.url);

    await receiver.until(() => receiver.unique().length >= 6, 5000, "six events");
    const types = receiver.unique().map((event) => event.type);
    // Issuing the card is a card.updated event too; then the authorizations, the reversal, the suspension.
    expect(types).toEqual(["topup", "card.updated", "authorization.approved", "authorization.declined", "reversal", "card.updated"]);
    expect(receiver.badSignatures).toBe(0);
    for (const event of receiver.unique()) {
      expect(Object.keys(event).sort()).toEqual(["attemptHeader", "created_at", "data", "id", "type"]);
      expect(typeof event.id).toBe("string");
      expect(Number.isNaN(Date.parse(event.created_at))).toBe(false);
      expect(typeof event.data).toBe("object");
    }
    const topUp = receiver.unique()[0]!;
    expect(topUp.data.amount).toBe(5000);
    expect(topUp.data.currency).toBe("JPY");
    // Each body carries the account as its own change left it, though all were delivered after the reversal.
    const accounts = receiver.unique().map((event) => [event.type, event.data.account?.available_balance, event.data.account?.currency]);
    expect(accounts).toEqual([
      ["topup", 5000, "JPY"],
      ["card.updated", 5000, "JPY"],
      ["authorization.approved", 4000, "JPY"],
      ["authorization.declined", 4000, "JPY"],
      ["reversal", 5000, "JPY"],
      ["card.updated", 5000, "JPY"],
    ]);
    for (const body of receiver.rawBodies) expect(body).not.toContain(pan);

    expect(await backlogAfterDelivery(store.ledger)).toBe(0);
    await running.notifier.stop();
    for (const line of running.logLines) expect(line).not.toContain(pan);
  });

  test("a receiver failing a few times gets the event again with backoff, and events of one account stay in order", async () => {
    const { store, receiver } = await setup();
    const ledger = store.ledger;
    const a = await ledger.createUser({ currency: 392 });
    const b = await ledger.createUser({ currency: 392 });
    receiver.failNext = 3;
    const running = startNotifier(ledger, receiver.url, { concurrency: 2 });
    await topUps(ledger, a.id, [1, 2, 3]);
    await topUps(ledger, b.id, [101, 102, 103]);
    await topUps(ledger, a.id, [4, 5]);

    await receiver.until(() => receiver.unique().length >= 8, 5000, "eight events");
    // The receiver counts an event when it answers; the notifier, when the answer is back and the event
    // completed. Stopping waits for the deliveries in flight, so both counts are final below.
    await running.notifier.stop();
    const amounts = receiver.unique().map((event) => event.data.amount as number);
    expect(amounts.filter((amount) => amount < 100)).toEqual([1, 2, 3, 4, 5]);
    expect(amounts.filter((amount) => amount > 100)).toEqual([101, 102, 103]);
    // Three answers were 500: those events came back, with a higher attempt number.
    expect(receiver.attempts.length).toBe(receiver.accepted.length + 3);
    expect(receiver.accepted.some((event) => Number(event.attemptHeader) >= 2)).toBe(true);

    const exposition = parseExposition(running.registry.render());
    expect(sampleValue(exposition, "sekisho_webhook_failures_total", { reason: "http_5xx" })).toBe(3);
    expect(sampleValue(exposition, "sekisho_webhook_deliveries_total", { outcome: "delivered" })).toBe(receiver.accepted.length);
    expect(exposition.types.get("sekisho_webhook_backlog")).toBe("gauge");
    expect(running.logLines.filter((line) => line.includes("notify.delivery_failed")).length).toBe(3);
  });

  test("an answer slower than the timeout is a failed attempt, retried", async () => {
    const { store, receiver } = await setup();
    const user = await store.ledger.createUser({ currency: 392 });
    await topUps(store.ledger, user.id, [7]);
    receiver.delayMs = 300;
    const running = startNotifier(store.ledger, receiver.url, { timeoutMs: 100 });
    await receiver.until(() => receiver.attempts.length >= 1, 3000, "a first attempt");
    receiver.delayMs = 0;
    await receiver.until(() => receiver.accepted.length >= 1, 3000, "delivery after the timeout");
    const exposition = parseExposition(running.registry.render());
    expect(sampleValue(exposition, "sekisho_webhook_failures_total", { reason: "timeout" })).toBeGreaterThanOrEqual(1);
  });

  test("events left undelivered at shutdown are delivered after a restart, from the same ledger file", async () => {
    const { store, receiver } = await setup();
    const user = await store.ledger.createUser({ currency: 392 });
    // The receiver is down (every attempt fails) while the first process runs.
    receiver.failNext = 1_000_000;
    const first = startNotifier(store.ledger, receiver.url);
    await topUps(store.ledger, user.id, [10, 20, 30]);
    await receiver.until(() => receiver.attempts.length >= 2, 3000, "failing attempts");
    await first.notifier.stop();
    expect(receiver.accepted.length).toBe(0);
    // Events written while no notifier runs wait in the outbox too.
    await topUps(store.ledger, user.id, [40]);

    const reopened = await store.reopen();
    expect(await reopened.outboxBacklog()).toBe(4);
    receiver.failNext = 0;
    startNotifier(reopened, receiver.url);
    await receiver.until(() => receiver.unique().length >= 4, 5000, "all four after the restart");
    expect(receiver.unique().map((event) => event.data.amount)).toEqual([10, 20, 30, 40]);
    expect(await backlogAfterDelivery(reopened)).toBe(0);
  });

  test("stop() waits a bounded time for a delivery in flight, then hands the event back for the next start", async () => {
    const { store, receiver } = await setup();
    const user = await store.ledger.createUser({ currency: 392 });
    await topUps(store.ledger, user.id, [55]);
    receiver.delayMs = 2000;
    const running = startNotifier(store.ledger, receiver.url, { timeoutMs: 5000 });
    await receiver.until(() => receiver.attempts.length >= 1, 3000, "the attempt in flight");
    const startedMs = performance.now();
    const result = await running.notifier.stop(100);
    expect(performance.now() - startedMs).toBeLessThan(1000);
    expect(result.aborted).toBe(1);
    expect(await store.ledger.outboxBacklog()).toBe(1);

    receiver.delayMs = 0;
    startNotifier(store.ledger, receiver.url);
    await receiver.until(() => receiver.accepted.length >= 1, 3000, "delivery by the next notifier");
    expect(receiver.accepted[0]!.data.amount).toBe(55);
  });

  test("a hanging receiver does not slow authorizations", async () => {
    const { store, receiver } = await setup();
    const pan = "4900002222222226";
    await fundedCard(store.ledger, 1_000_000, pan);
    receiver.delayMs = 1500;
    startNotifier(store.ledger, receiver.url, { timeoutMs: 3000 });
    await receiver.until(() => receiver.attempts.length >= 1, 3000, "a delivery in flight");
    const latenciesMs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const startedMs = performance.now();
      const [decision] = await store.ledger.authorizeBatch([authorization(pan, { amount: 10 })]);
      latenciesMs.push(performance.now() - startedMs);
      expect(decision!.responseCode).toBe("00");
    }
    expect(Math.max(...latenciesMs)).toBeLessThan(250);
  });
});
