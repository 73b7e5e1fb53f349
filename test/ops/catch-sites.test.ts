import { afterEach, describe, expect, test } from "bun:test";
import { startApiServer } from "../../src/api/server.ts";
import type { AuthorizationRequest } from "../../src/domain/authorization.ts";
import { Authorizer } from "../../src/ledger/decision/authorizer.ts";
import { LedgerError, type Ledger } from "../../src/ledger/ledger.ts";
import { EventPruner } from "../../src/notify/event-pruner.ts";
import { Notifier } from "../../src/notify/notifier.ts";
import { AssertionFailure } from "../../src/ops/assert.ts";
import { createLogger } from "../../src/ops/log.ts";
import { MetricsRegistry } from "../../src/ops/metrics.ts";
import { openTestLedger, type TestLedger } from "../support/test-ledger.ts";

/** Every catch site that turns errors into a decline, a rebuild, a retry or a 5xx lets a broken invariant through. */
const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const broken = () => new AssertionFailure("held amount below zero");
const quietLogger = (lines: string[] = []) => createLogger({ level: "debug", format: "json", write: (line) => lines.push(line) });

async function testLedger(): Promise<TestLedger> {
  const handle = await openTestLedger();
  cleanups.push(() => handle.cleanup());
  return handle;
}

describe("catch sites pass a broken invariant on", () => {
  test("SqliteLedger: the batch rolls back, nothing is rebuilt, the failure goes on up and the ledger refuses later work", async () => {
    const { ledger } = await testLedger();
    const decide = Authorizer.prototype.run;
    Authorizer.prototype.run = () => {
      throw broken();
    };
    cleanups.push(() => {
      Authorizer.prototype.run = decide;
    });
    const error = await ledger.authorizeBatch([{ key: "k" } as AuthorizationRequest]).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(AssertionFailure);
    const later = await ledger.createUser({ name: "after" }).catch((thrown: unknown) => thrown);
    expect(later).toBeInstanceOf(LedgerError);
    expect((later as LedgerError).code).toBe("unavailable");
    expect((later as LedgerError).cause).toBe(error);
  });

  test("the API: no 500 handled as a request failure — the server hands it to the fatal handler, the client gets a plain 500", async () => {
    const { ledger } = await testLedger();
    const user = await ledger.createUser({ name: "someone" });
    const failing: Ledger = new Proxy(ledger, {
      get: (target, name) => (name === "getUser" ? async () => Promise.reject(broken()) : Reflect.get(target, name)),
    });
    const reported: AssertionFailure[] = [];
    const lines: string[] = [];
    const token = "catch-sites-token-0123456789";
    const api = startApiServer({
      ledger: failing,
      hostname: "127.0.0.1",
      port: 0,
      token,
      bodyBytesMax: 65536,
      currency: 392,
      cardBin: "400000",
      cardExpiryYears: 3,
      readiness: () => ({ ready: true }),
      metrics: new MetricsRegistry(),
      logger: quietLogger(lines),
      onAssertionFailure: (failure) => reported.push(failure),
    });
    cleanups.push(() => api.stop({ graceMs: 0 }));
    const response = await fetch(`${api.url}/v1/users/${user.id}`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(500);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("internal_error");
    expect(reported.map((failure) => failure.message)).toEqual(["held amount below zero"]);
    expect(lines.some((line) => line.includes("api.request_failed"))).toBe(false);
  });

  test("the notifier stops claiming and hands it over instead of retrying", async () => {
    let claims = 0;
    const ledger = {
      outboxBacklog: async () => 0,
      claimOutbox: async () => {
        claims++;
        throw broken();
      },
    } as unknown as Ledger;
    const reported: AssertionFailure[] = [];
    const notifier = new Notifier({
      ledger,
      url: "http://127.0.0.1:9/",
      secret: "s",
      timeoutMs: 500,
      retryDelayMinMs: 10,
      retryDelayMaxMs: 20,
      batchSizeMax: 8,
      concurrency: 2,
      pollMs: 5,
      metrics: new MetricsRegistry(),
      logger: quietLogger(),
      onAssertionFailure: (failure) => reported.push(failure),
    });
    notifier.start();
    await Bun.sleep(60);
    await notifier.stop();
    expect(claims).toBe(1);
    expect(reported.length).toBe(1);
  });

  test("the event pruner hands it over and takes no more turns", async () => {
    let prunes = 0;
    const ledger = {
      pruneEvents: async () => {
        prunes++;
        throw broken();
      },
    } as unknown as Ledger;
    const reported: AssertionFailure[] = [];
    const lines: string[] = [];
    const pruner = new EventPruner({ ledger, retentionMs: 1000, logger: quietLogger(lines), onAssertionFailure: (failure) => reported.push(failure) });
    await pruner.turn();
    await pruner.turn();
    expect(prunes).toBe(1);
    expect(reported.length).toBe(1);
    expect(lines.some((line) => line.includes("notify.prune_failed"))).toBe(false);
  });
});
