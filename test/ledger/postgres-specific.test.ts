import { describe, expect, test } from "bun:test";
import { SQL } from "bun";
import type { AuthorizationDecision } from "../../src/domain/authorization.ts";
import type { Ledger } from "../../src/ledger/ledger.ts";
import { openLedger } from "../../src/ledger/open.ts";
import { MIGRATIONS, SCHEMA_VERSION } from "../../src/ledger/postgres/schema.ts";
import { cutConnections, TEST_POSTGRES_URL } from "../support/postgres.ts";
import { RequestFactory } from "../support/requests.ts";
import { TcpProxy } from "../support/tcp-proxy.ts";
import { balances, cardholder, TEST_PAN_KEY_HEX } from "./harness.ts";
import { expectConsistent, openPostgresLedgerError, targetOf, usePostgresInstances, viaProxy } from "./postgres-instances.ts";

/**
 * What only the shared ledger has to show on its own: opening (migrations, refusals, bounds) and a
 * database that goes away and comes back. Several instances together: postgres-instances.test.ts.
 */
const pg = usePostgresInstances();

describe("PostgreSQL ledger: opening", () => {
  test("openLedger takes a postgres:// URL; instances starting together migrate once; another PAN key is refused", async () => {
    const db = await pg.database();
    const config = { db: db.url, sqliteSynchronous: "full" as const, sqliteBusyTimeoutMs: 100, holdTimeoutSeconds: 3600, currency: 392, panKey: TEST_PAN_KEY_HEX };
    const opened = await Promise.all([openLedger(config), openLedger(config), openLedger(config)]);
    pg.later(() => Promise.all(opened.map((ledger) => ledger.close())));
    const sql = new SQL(db.url, { max: 1 });
    pg.later(() => sql.close());
    expect(await sql`SELECT version FROM schema_migrations ORDER BY version`).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
    expect(MIGRATIONS[MIGRATIONS.length - 1]!.version).toBe(SCHEMA_VERSION);
    await expect(openLedger({ ...config, panKey: "22".repeat(32) })).rejects.toMatchObject({
      code: "unavailable",
      message: expect.stringContaining("SEKISHO_PAN_KEY is not the key"),
    });
  });

  test("a schema-1 database migrates: its undelivered events stay queued; a delivered one is kept, listed, no longer counted", async () => {
    const db = await pg.database();
    const sql = new SQL(db.url, { max: 1 });
    pg.later(() => sql.close());
    await sql.unsafe(MIGRATIONS[0]!.sql);
    await sql`CREATE TABLE schema_migrations (version integer PRIMARY KEY, description text NOT NULL, applied_at_ms bigint NOT NULL)`;
    await sql`INSERT INTO schema_migrations VALUES (1, ${MIGRATIONS[0]!.description}, 0)`;
    const [account] = await sql`INSERT INTO accounts (id, kind, currency, created_at_ms) VALUES ('acct_old', 'funding', 392, 0) RETURNING seq`;
    for (const seq of [4097, 4098]) {
      await sql`INSERT INTO outbox (seq, type, account_seq, data, created_at_ms) VALUES (${seq}, 'card.updated', ${account.seq}, '{"action":"updated"}', 0)`;
    }
    const ledger = await pg.instance(db.url);
    pg.later(() => ledger.close());
    expect(await sql`SELECT version FROM schema_migrations ORDER BY version`).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
    expect(await ledger.outboxBacklog()).toBe(2);
    const [first] = await ledger.claimOutbox({ limit: 10, leaseMs: 30_000, owner: "n", nowMs: Date.now() });
    await ledger.completeOutbox(first!.id, "n");
    expect(await ledger.outboxBacklog()).toBe(1);
    expect((await ledger.listEvents({ limit: 10 })).items.map((event) => event.id)).toEqual([first!.id, expect.stringMatching(/^evt_/)]);
  });

  test("a schema-3 database migrates to 4: events written before show no balances, those after do", async () => {
    const db = await pg.database();
    const sql = new SQL(db.url, { max: 1 });
    pg.later(() => sql.close());
    await sql`CREATE TABLE schema_migrations (version integer PRIMARY KEY, description text NOT NULL, applied_at_ms bigint NOT NULL)`;
    for (const migration of MIGRATIONS.filter((m) => m.version <= 3)) {
      await sql.unsafe(migration.sql);
      await sql`INSERT INTO schema_migrations VALUES (${migration.version}, ${migration.description}, 0)`;
    }
    const [account] = await sql`INSERT INTO accounts (id, kind, currency, created_at_ms) VALUES ('acct_old', 'funding', 392, 0) RETURNING seq`;
    // Numbered as a writer of schema 3 numbered it: from the block sequence, so that later events follow it.
    await sql`INSERT INTO outbox (seq, type, account_seq, data, created_at_ms)
      VALUES (nextval('outbox_blocks'), 'card.updated', ${account.seq}, '{"action":"updated"}', 0)`;
    const ledger = await pg.instance(db.url);
    pg.later(() => ledger.close());
    expect(await sql`SELECT version FROM schema_migrations ORDER BY version`).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
    expect(await sql`SELECT indexname FROM pg_indexes WHERE indexname = 'topups_txn'`).toEqual([{ indexname: "topups_txn" }]);
    const user = await ledger.createUser({});
    const { topUp } = await ledger.topUp(user.id, { amount: 700, idempotencyKey: "k", fingerprint: "f" });
    const events = (await ledger.listEvents({ limit: 10 })).items;
    expect(events.map((event) => [event.type, event.data.account === null])).toEqual([
      ["card.updated", true],
      ["topup", false],
    ]);
    expect(events[1]!.data).toMatchObject({ topup_id: topUp.id, account: { ledger_balance: 700, available_balance: 700, held_amount: 0 } });
  });

  test("a missing database, or nothing listening, fails at once with a clear line and no password in it", async () => {
    const missing = new URL(TEST_POSTGRES_URL);
    missing.pathname = "/sekisho_no_such_database";
    missing.password = "s3cret";
    const started = performance.now();
    const error = await openPostgresLedgerError(pg, missing.toString());
    // (Read the message before toMatchObject: Bun's asymmetric matchers leave an Error's message unusable.)
    expect(error.message.includes("s3cret")).toBe(false);
    expect(error).toMatchObject({ code: "unavailable", message: expect.stringContaining('database "sekisho_no_such_database" does not exist') });
    const refused = await openPostgresLedgerError(pg, "postgres://sekisho:s3cret@127.0.0.1:1/sekisho");
    expect(refused.message.includes("s3cret")).toBe(false);
    expect(refused).toMatchObject({ code: "unavailable", message: expect.stringContaining("127.0.0.1:1") });
    expect(performance.now() - started).toBeLessThan(4000);
  });

  test("a database that answers nothing fails opening within the connect and statement bounds", async () => {
    const db = await pg.database();
    const proxy = new TcpProxy(targetOf(db.url)).start();
    pg.later(() => proxy.stop());
    proxy.stall();
    const started = performance.now();
    const error = await openPostgresLedgerError(pg, viaProxy(db.url, proxy), { connectTimeoutMs: 300, statementTimeoutMs: 300 });
    expect(error.code).toBe("unavailable");
    expect(performance.now() - started).toBeLessThan(3000);
  });
});

describe("PostgreSQL ledger: the database going away", () => {
  test("connections cut under load: failed batches are `unavailable` and stored nothing, later ones succeed, every answered approval is stored", async () => {
    const [a, b, db] = await pg.twoInstances();
    const holders = await Promise.all(Array.from({ length: 8 }, () => cardholder(a, { funds: 10_000_000, limits: { perDayCountMax: 100_000 } })));
    const requests = new RequestFactory(() => Date.now());
    const answered: AuthorizationDecision[] = [];
    const failures: unknown[] = [];
    const failedKeys: string[] = [];
    let stop = false;
    const drive = async (ledger: Ledger, acquirer: string) => {
      while (!stop) {
        const batch = holders.map((h) => requests.make(h.pan, { amount: 100, acquirer }));
        await ledger.authorizeBatch(batch).then(
          (d) => answered.push(...d),
          (error) => {
            failures.push(error);
            failedKeys.push(...batch.map((r) => r.key));
          },
        );
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
    // A batch cut after its COMMIT was sent was looked up: had it committed, it would have been answered.
    const sql = new SQL(db.url, { max: 1 });
    pg.later(() => sql.close());
    expect(await sql`SELECT key FROM transactions WHERE key = ANY(${failedKeys}::text[])`).toEqual([]);
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
    const db = await pg.database();
    const proxy = new TcpProxy(targetOf(db.url)).start();
    pg.later(() => proxy.stop());
    const ledger = await pg.instance(viaProxy(db.url, proxy), { statementTimeoutMs: 800, connectTimeoutMs: 500 });
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
    const db = await pg.database();
    const ledger = await pg.instance(db.url);
    await ledger.close();
    await expect(ledger.createUser({})).rejects.toMatchObject({ code: "unavailable" });
    await expect(ledger.authorizeBatch([])).resolves.toEqual([]);
  });
});

