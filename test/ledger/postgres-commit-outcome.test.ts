import { describe, expect, test } from "bun:test";
import { SQL } from "bun";
import type { AuthorizationDecision, AuthorizationRequest } from "../../src/domain/authorization.ts";
import { CommitOutcomeUnknown } from "../../src/ledger/postgres/commit-check.ts";
import type { PostgresLedger, PostgresLedgerOptions } from "../../src/ledger/postgres/postgres-ledger.ts";
import { CommitCutProxy } from "../support/commit-cut-proxy.ts";
import { RequestFactory } from "../support/requests.ts";
import { balances, cardholder, type Cardholder } from "./harness.ts";
import { expectConsistent, targetOf, usePostgresInstances } from "./postgres-instances.ts";

/**
 * A batch whose connection fails around its COMMIT, on the real server, cut at a chosen point by a proxy
 * between the ledger and PostgreSQL: what the ledger answers must be exactly what it holds. The answer to
 * a COMMIT that committed is lost → the committed decisions; COMMIT never reached the server (its backend
 * left waiting in the transaction) → unavailable, nothing stored; cut before COMMIT was sent →
 * unavailable, nothing stored; the check itself cannot reach the server → the residual case, told apart.
 */
const pg = usePostgresInstances();

interface Setup {
  readonly ledger: PostgresLedger;
  readonly proxy: CommitCutProxy;
  /** Straight to the database, around the proxy. */
  readonly sql: SQL;
  readonly rich: Cardholder;
  readonly poor: Cardholder;
  readonly requests: RequestFactory;
}

async function setUp(extra: Partial<PostgresLedgerOptions> = {}): Promise<Setup> {
  const db = await pg.database();
  const proxy = new CommitCutProxy(targetOf(db.url)).start();
  pg.later(() => proxy.stop());
  const url = new URL(db.url);
  url.hostname = "127.0.0.1";
  url.port = String(proxy.port);
  const ledger = (await pg.instance(url.toString(), { statementTimeoutMs: 2000, ...extra })) as PostgresLedger;
  const sql = new SQL(db.url, { max: 1 });
  pg.later(() => sql.close());
  const rich = await cardholder(ledger, { funds: 10_000 });
  const poor = await cardholder(ledger, { funds: 500 });
  return { ledger, proxy, sql, rich, poor, requests: new RequestFactory(() => Date.now()) };
}

/** Two approvals and a decline (insufficient funds) in one batch. */
function batchOf(s: Setup): AuthorizationRequest[] {
  return [s.requests.make(s.rich.pan, { amount: 1000 }), s.requests.make(s.poor.pan, { amount: 1000 }), s.requests.make(s.rich.pan, { amount: 2000 })];
}

interface StoredRow {
  key: string;
  response_code: string;
  approval_code: string | null;
  hold_state: string | null;
}

async function storedRows(sql: SQL, batch: readonly AuthorizationRequest[]): Promise<StoredRow[]> {
  return sql<StoredRow[]>`SELECT key, response_code, approval_code, hold_state FROM transactions WHERE key = ANY(${batch.map((r) => r.key)}::text[]) ORDER BY seq`;
}

async function outcomeOf(promise: Promise<AuthorizationDecision[]>): Promise<AuthorizationDecision[] | Error> {
  return promise.then(
    (decisions) => decisions,
    (error: Error) => error,
  );
}

/** `call` again while it rejects `unavailable`, at most RETRIES_MAX times. */
const RETRIES_MAX = 5;
async function retried<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if ((error as { code?: string }).code !== "unavailable" || attempt >= RETRIES_MAX) throw error;
      await Bun.sleep(50);
    }
  }
}

describe("PostgreSQL ledger: a connection lost around COMMIT", () => {
  test("the answer to a COMMIT that committed is lost: the batch answers the decisions it stored, each hold once", async () => {
    const s = await setUp();
    const batch = batchOf(s);
    s.proxy.arm("commitLost");
    const decisions = await s.ledger.authorizeBatch(batch);
    expect(s.proxy.cuts).toBe(1);
    expect(s.ledger.commitChecks).toEqual({ committed: 1, rolledBack: 0, unknown: 0 });
    expect(decisions.map((d) => d.responseCode)).toEqual(["00", "51", "00"]);
    const rows = await storedRows(s.sql, batch);
    expect(rows.map((row) => row.key)).toEqual(batch.map((r) => r.key));
    for (let i = 0; i < batch.length; i++) {
      expect({ code: rows[i]!.response_code, approval: rows[i]!.approval_code }).toEqual({ code: decisions[i]!.responseCode, approval: decisions[i]!.approvalCode });
    }
    expect(rows.map((row) => row.hold_state)).toEqual(["pending", null, "pending"]);
    expect(decisions[0]!.approvalCode).toMatch(/^[0-9A-Z]{6}$/);
    expect(await balances(s.ledger, s.rich.userId)).toMatchObject({ heldAmount: 3000, availableBalance: 7000 });
    expect(await balances(s.ledger, s.poor.userId)).toMatchObject({ heldAmount: 0 });
    // The network's repeat replays the stored approval; the hold stays single.
    const [repeat] = await s.ledger.authorizeBatch([s.requests.again(batch[0]!, { mti: 101 })]);
    expect(repeat).toMatchObject({ responseCode: "00", approvalCode: decisions[0]!.approvalCode, replayed: true });
    expect(await balances(s.ledger, s.rich.userId)).toMatchObject({ heldAmount: 3000 });
    expectConsistent(await s.ledger.checkConsistency());
  });

  test("COMMIT never reaches the server, whose backend waits in the transaction: ended by the check, unavailable, nothing stored", async () => {
    const s = await setUp();
    const batch = batchOf(s);
    s.proxy.arm("commitSwallowed");
    const outcome = await outcomeOf(s.ledger.authorizeBatch(batch));
    expect(s.proxy.cuts).toBe(1);
    expect(outcome).toMatchObject({ name: "LedgerError", code: "unavailable" });
    expect(outcome instanceof CommitOutcomeUnknown).toBe(false);
    expect(s.ledger.commitChecks).toEqual({ committed: 0, rolledBack: 1, unknown: 0 });
    expect(await storedRows(s.sql, batch)).toEqual([]);
    expect(await balances(s.ledger, s.rich.userId)).toMatchObject({ heldAmount: 0, availableBalance: 10_000 });
    // The abandoned backend is gone (the check ended it), not left holding the accounts' locks.
    expect(await s.sql`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`).toEqual([]);
    expect((await s.ledger.authorizeBatch(batchOf(s))).map((d) => d.responseCode)).toEqual(["00", "51", "00"]);
    expectConsistent(await s.ledger.checkConsistency());
  });

  test("cut before COMMIT was sent, the database then refusing: unavailable, nothing stored, no check needed", async () => {
    const s = await setUp();
    const batch = batchOf(s);
    s.proxy.arm("beforeCommit");
    const outcome = await outcomeOf(s.ledger.authorizeBatch(batch));
    expect(s.proxy.cuts).toBe(1);
    expect(outcome).toMatchObject({ name: "LedgerError", code: "unavailable" });
    expect(s.ledger.commitChecks).toEqual({ committed: 0, rolledBack: 0, unknown: 0 });
    expect(await storedRows(s.sql, batch)).toEqual([]);
    expect(await s.sql`SELECT held_minor FROM accounts WHERE held_minor <> 0`).toEqual([]);
    s.proxy.up();
    // (The pool may still hand out a connection it was opening while the proxy refused: a call or two fails.)
    const next = await retried(() => s.ledger.authorizeBatch(batchOf(s)));
    expect(next.map((d) => d.responseCode)).toEqual(["00", "51", "00"]);
  });

  test("the check cannot reach the server within its bound: CommitOutcomeUnknown (unavailable), counted", async () => {
    const s = await setUp({ commitCheckTimeoutMs: 300 });
    const batch = batchOf(s);
    s.proxy.arm("commitSwallowed", { stallAfter: true });
    const outcome = await outcomeOf(s.ledger.authorizeBatch(batch));
    expect(s.proxy.cuts).toBe(1);
    expect(outcome instanceof CommitOutcomeUnknown).toBe(true);
    expect(outcome).toMatchObject({ code: "unavailable", message: expect.stringContaining("outcome is still unknown") });
    expect(s.ledger.commitChecks).toEqual({ committed: 0, rolledBack: 0, unknown: 1 });
  });
});
