import { afterEach, describe, expect, test } from "bun:test";
import { SQL } from "bun";
import type { AuthorizationDecision, AuthorizationRequest, Ledger, OutboxEvent } from "../../src/ledger/ledger.ts";
import { openLedger } from "../../src/ledger/open.ts";
import { openPostgresLedger, type PostgresLedgerOptions } from "../../src/ledger/postgres/postgres-ledger.ts";
import { SCHEMA_VERSION } from "../../src/ledger/postgres/schema.ts";
import { createTestDatabase, cutConnections, TEST_POSTGRES_URL, type TestDatabase } from "../support/postgres.ts";
import { RequestFactory, testPan } from "../support/requests.ts";
import { TcpProxy } from "../support/tcp-proxy.ts";
import { balances, cardholder, TEST_PAN_KEY_HEX, type Cardholder } from "./harness.ts";

/**
 * What only the shared ledger has to show: several instances (each its own pool, as separate processes
 * would have) on one database deciding on the same cards at the same moment, duplicates across
 * instances, the outbox and expiry shared by all, and a database that goes away and comes back.
 */
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function database(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  cleanups.push(() => db.drop());
  return db;
}

async function instance(url: string, extra: Partial<PostgresLedgerOptions> = {}): Promise<Ledger> {
  const ledger = await openPostgresLedger({
    url,
    poolMax: 6,
    connectTimeoutMs: 2000,
    statementTimeoutMs: 5000,
    holdTimeoutSeconds: 3600,
    currency: 392,
    panKeyHex: TEST_PAN_KEY_HEX,
    ...extra,
  });
  cleanups.push(() => ledger.close());
  return ledger;
}

async function twoInstances(): Promise<[Ledger, Ledger, TestDatabase]> {
  const db = await database();
  const [a, b] = await Promise.all([instance(db.url), instance(db.url)]);
  return [a, b, db];
}

function expectConsistent(report: { consistent: boolean }): void {
  expect(report).toMatchObject({ consistent: true, journalSum: 0 });
}

describe("PostgreSQL ledger: opening", () => {
  test("openLedger takes a postgres:// URL; instances starting together migrate once; another PAN key is refused", async () => {
    const db = await database();
    const config = { db: db.url, sqliteSynchronous: "full" as const, sqliteBusyTimeoutMs: 100, holdTimeoutSeconds: 3600, currency: 392, panKey: TEST_PAN_KEY_HEX };
    const opened = await Promise.all([openLedger(config), openLedger(config), openLedger(config)]);
    cleanups.push(() => Promise.all(opened.map((ledger) => ledger.close())));
    const sql = new SQL(db.url, { max: 1 });
    cleanups.push(() => sql.close());
    expect(await sql`SELECT version FROM schema_migrations ORDER BY version`).toEqual([{ version: SCHEMA_VERSION }]);
    await expect(openLedger({ ...config, panKey: "22".repeat(32) })).rejects.toMatchObject({
      code: "unavailable",
      message: expect.stringContaining("SEKISHO_PAN_KEY is not the key"),
    });
  });

  test("a missing database, or nothing listening, fails at once with a clear line and no password in it", async () => {
    const missing = new URL(TEST_POSTGRES_URL);
    missing.pathname = "/sekisho_no_such_database";
    missing.password = "s3cret";
    const started = performance.now();
    const error = await openPostgresLedgerError(missing.toString());
    // (Read the message before toMatchObject: Bun's asymmetric matchers leave an Error's message unusable.)
    expect(error.message.includes("s3cret")).toBe(false);
    expect(error).toMatchObject({ code: "unavailable", message: expect.stringContaining('database "sekisho_no_such_database" does not exist') });
    const refused = await openPostgresLedgerError("postgres://sekisho:s3cret@127.0.0.1:1/sekisho");
    expect(refused.message.includes("s3cret")).toBe(false);
    expect(refused).toMatchObject({ code: "unavailable", message: expect.stringContaining("127.0.0.1:1") });
    expect(performance.now() - started).toBeLessThan(4000);
  });

  test("a database that answers nothing fails opening within the connect and statement bounds", async () => {
    const db = await database();
    const proxy = new TcpProxy(targetOf(db.url)).start();
    cleanups.push(() => proxy.stop());
    proxy.stall();
    const started = performance.now();
    const error = await openPostgresLedgerError(viaProxy(db.url, proxy), { connectTimeoutMs: 300, statementTimeoutMs: 300 });
    expect(error.code).toBe("unavailable");
    expect(performance.now() - started).toBeLessThan(3000);
  });
});

describe("PostgreSQL ledger: two instances on one database", () => {
  test("concurrent authorizations on one card over both instances never approve more than its balance", async () => {
    const [a, b] = await twoInstances();
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
    const [a, b] = await twoInstances();
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
    const [a, b, db] = await twoInstances();
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
    cleanups.push(() => sql.close());
    expect(await sql`SELECT count(*)::int AS records, count(DISTINCT key)::int AS keys FROM transactions`).toEqual([{ records: 160, keys: 160 }]);
  });

  test("a reversal on one instance, carrying another card's PAN, releases the hold decided on the other", async () => {
    const [a, b] = await twoInstances();
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
    const [a, b] = await twoInstances();
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
    const [a, b] = await twoInstances();
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

describe("PostgreSQL ledger: the database going away", () => {
  test("connections cut under load: failed batches are `unavailable`, later ones succeed, every answered approval is stored", async () => {
    const [a, b, db] = await twoInstances();
    const holders = await Promise.all(Array.from({ length: 8 }, () => cardholder(a, { funds: 10_000_000, limits: { perDayCountMax: 100_000 } })));
    const requests = new RequestFactory(() => Date.now());
    const answered: AuthorizationDecision[] = [];
    const failures: unknown[] = [];
    let stop = false;
    const drive = async (ledger: Ledger, acquirer: string) => {
      while (!stop) {
        const batch = holders.map((h) => requests.make(h.pan, { amount: 100, acquirer }));
        await ledger.authorizeBatch(batch).then((d) => answered.push(...d), (error) => failures.push(error));
      }
    };
    const drivers = [a, a, b, b].map((ledger, i) => drive(ledger, String(20_000_000 + i)));
    for (let cut = 0; cut < 3; cut++) {
      await Bun.sleep(150);
      expect(await cutConnections(db.name)).toBeGreaterThan(0);
    }
    await Bun.sleep(150);
    const before = answered.length;
    await Bun.sleep(300);
    stop = true;
    await Promise.all(drivers);
    expect(answered.length).toBeGreaterThan(before); // recovered without anyone's help
    for (const failure of failures) expect(failure).toMatchObject({ name: "LedgerError", code: "unavailable" });
    expectConsistent(await a.checkConsistency());
    const stored = new Set<string>();
    for (const holder of holders) {
      for (let cursor: string | null = null; ; ) {
        const page: Awaited<ReturnType<Ledger["listTransactions"]>> = await b.listTransactions(holder.userId, { limit: 500, cursor });
        for (const item of page.items) if (item.approvalCode !== null) stored.add(item.approvalCode);
        cursor = page.nextCursor;
        if (cursor === null) break;
      }
    }
    for (const decision of answered) if (decision.responseCode === "00") expect(stored.has(decision.approvalCode!)).toBe(true);
  });

  test("a database that is down answers `unavailable` at once; one that stalls, within the statement bound; both recover", async () => {
    const db = await database();
    const proxy = new TcpProxy(targetOf(db.url)).start();
    cleanups.push(() => proxy.stop());
    const ledger = await instance(viaProxy(db.url, proxy), { statementTimeoutMs: 800, connectTimeoutMs: 500 });
    const holder = await cardholder(ledger);
    const requests = new RequestFactory(() => Date.now());
    const attempt = async () => {
      const started = performance.now();
      const outcome = await ledger.authorizeBatch([requests.make(holder.pan, { amount: 10 })]).then(
        (decisions) => decisions[0]!.responseCode,
        (error: { code?: string }) => error.code ?? "thrown",
      );
      return { outcome, ms: performance.now() - started };
    };
    proxy.down();
    const down = await attempt();
    expect(down.outcome).toBe("unavailable");
    expect(down.ms).toBeLessThan(1500);
    proxy.up();
    expect((await attempt()).outcome).toBe("00");
    proxy.stall();
    const stalled = await attempt();
    expect(stalled.outcome).toBe("unavailable");
    expect(stalled.ms).toBeLessThan(1500);
    // A plain read too: bounded, and its stuck connection closed rather than handed to the next caller.
    const readStarted = performance.now();
    await expect(ledger.getUser(holder.userId)).rejects.toMatchObject({ code: "unavailable" });
    expect(performance.now() - readStarted).toBeLessThan(1500);
    proxy.up();
    expect((await attempt()).outcome).toBe("00");
    expect(await balances(ledger, holder.userId)).toMatchObject({ heldAmount: 20 });
    expectConsistent(await ledger.checkConsistency());
  });

  test("a closed ledger refuses work", async () => {
    const db = await database();
    const ledger = await instance(db.url);
    await ledger.close();
    await expect(ledger.createUser({})).rejects.toMatchObject({ code: "unavailable" });
    await expect(ledger.authorizeBatch([])).resolves.toEqual([]);
  });
});

async function openPostgresLedgerError(url: string, extra: Partial<PostgresLedgerOptions> = {}): Promise<{ code: string; message: string }> {
  try {
    const ledger = await instance(url, extra);
    await ledger.close();
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error("the ledger opened");
}

function targetOf(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || 5432) };
}

function viaProxy(url: string, proxy: TcpProxy): string {
  const parsed = new URL(url);
  parsed.hostname = "127.0.0.1";
  parsed.port = String(proxy.port);
  return parsed.toString();
}
