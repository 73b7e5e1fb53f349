import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Ledger } from "../../src/ledger/ledger.ts";
import { openLedger } from "../../src/ledger/open.ts";
import { EventPruner } from "../../src/notify/event-pruner.ts";
import { Notifier } from "../../src/notify/notifier.ts";
import { createLogger } from "../../src/ops/log.ts";
import { MetricsRegistry } from "../../src/ops/metrics.ts";
import { openTestLedger } from "../support/test-ledger.ts";
import { WebhookReceiver } from "../support/webhook-receiver.ts";

const SECRET = "whsec-test-0123456789abcdef";
const HOUR_MS = 3_600_000;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function jsonLogger(): { logger: ReturnType<typeof createLogger>; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  return { logger: createLogger({ level: "debug", format: "json", write: (line) => lines.push(JSON.parse(line)) }), lines };
}

async function topUps(ledger: Ledger, userId: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await ledger.topUp(userId, { amount: 100 + i, currency: 392, idempotencyKey: crypto.randomUUID(), fingerprint: crypto.randomUUID() });
  }
}

describe("event retention", () => {
  test("the pruner deletes events past the retention, delivered or not, in bounded steps, and says when undelivered ones went", async () => {
    const store = await openTestLedger();
    cleanups.push(() => store.cleanup());
    const ledger = store.ledger;
    const user = await ledger.createUser({ currency: 392 });
    await topUps(ledger, user.id, 5);
    const [delivered] = await ledger.claimOutbox({ limit: 1, leaseMs: 1000, owner: "test", nowMs: Date.now() });
    await ledger.completeOutbox(delivered!.id, "test");
    const { logger, lines } = jsonLogger();
    let nowMs = Date.now();
    const pruner = new EventPruner({ ledger, retentionMs: HOUR_MS, logger, stepRowsMax: 2, stepsPerTurnMax: 2, clock: () => nowMs });

    expect(await pruner.turn()).toEqual({ pruned: 0, undelivered: 0 });
    nowMs += HOUR_MS + 1;
    // Two steps of two rows: four go in this turn, the fifth in the next.
    expect(await pruner.turn()).toEqual({ pruned: 4, undelivered: 3 });
    expect(await pruner.turn()).toEqual({ pruned: 1, undelivered: 1 });
    expect(await pruner.turn()).toEqual({ pruned: 0, undelivered: 0 });
    expect((await ledger.listEvents({ limit: 10 })).items).toEqual([]);
    expect(await ledger.outboxBacklog()).toBe(0);
    expect(lines.filter((line) => line.event === "notify.undelivered_events_pruned")).toEqual([
      expect.objectContaining({ level: "warn", events: 3, retention_hours: 1 }),
      expect.objectContaining({ level: "warn", events: 1, retention_hours: 1 }),
    ]);
  });

  test("events written while no webhook was configured are kept but never sent: a receiver configured later gets what follows", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sekisho-retention-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const config = {
      db: join(dir, "ledger.db"),
      sqliteSynchronous: "normal" as const,
      sqliteBusyTimeoutMs: 5000,
      holdTimeoutSeconds: 86_400,
      currency: 392,
      panKey: "5a".repeat(32),
    };
    let ledger = await openLedger(config);
    const user = await ledger.createUser({ currency: 392 });
    await topUps(ledger, user.id, 3);
    expect(await ledger.outboxBacklog()).toBe(0);
    const before = (await ledger.listEvents({ limit: 10 })).items.map((event) => event.id);
    expect(before).toHaveLength(3);
    await ledger.close();

    const receiver = new WebhookReceiver(SECRET);
    cleanups.push(() => receiver.stop());
    ledger = await openLedger({ ...config, webhookUrl: receiver.url });
    cleanups.push(() => ledger.close());
    const notifier = new Notifier({
      ledger,
      url: receiver.url,
      secret: SECRET,
      timeoutMs: 1000,
      retryDelayMinMs: 20,
      retryDelayMaxMs: 80,
      batchSizeMax: 8,
      concurrency: 4,
      pollMs: 10,
      metrics: new MetricsRegistry(),
      logger: jsonLogger().logger,
    });
    notifier.start();
    cleanups.push(() => notifier.stop(200).then(() => {}));
    await topUps(ledger, user.id, 1);
    // Same account: had the earlier events been queued, they would have had to arrive first.
    await receiver.until(() => receiver.unique().length >= 1, 5000, "the new event");
    await notifier.stop(200);
    expect(receiver.unique().map((event) => event.type)).toEqual(["topup"]);
    expect(before).not.toContain(receiver.unique()[0]!.id);
    expect(await ledger.outboxBacklog()).toBe(0);
    // The earlier ones are still there to read.
    expect((await ledger.listEvents({ limit: 10 })).items.map((event) => event.id)).toEqual([...before, receiver.unique()[0]!.id]);
  });
});
