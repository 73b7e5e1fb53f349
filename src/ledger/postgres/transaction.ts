import type { ReservedSQL, SQL } from "bun";
import { LedgerError } from "../ledger.ts";
import { checkCommit, CommitOutcomeUnknown, TRANSACTION_REF_SELECT, transactionRefOf, type CommitCheckCounts, type TransactionRef } from "./commit-check.ts";
import { isConflict, isUnavailable, ledgerErrorOf } from "./connection.ts";
import { AssertionFailure, rethrowAssertionFailure } from "../../ops/assert.ts";

/**
 * One ledger transaction on a connection reserved from the pool, with BEGIN and COMMIT sent by the ledger
 * itself so that they travel with the statements around them: a batch is two round trips — BEGIN and its
 * reads, then its writes and COMMIT — each a pipeline the server runs in order.
 *
 * Bounds: the whole call (waiting for a connection, every attempt) has `timeoutMs`; when it runs out the
 * connection is closed, which fails whatever is in flight at once, and the call rejects `unavailable`.
 * The server rolls an abandoned transaction back when it sees the connection gone.
 *
 * Retries, each from the start with fresh reads: a conflict (another instance stored the same key first,
 * or a deadlock the server broke) and a connection found dead before COMMIT was sent (a pool keeps
 * connections the server closed until it tries them).
 *
 * After COMMIT was sent, a failure other than a conflict the server reported (the connection lost, the
 * backend terminated, the client's bound run out) leaves the outcome unknown: the server may have
 * committed. A body that commits with commitWith(), handing over its result, has that settled before the
 * call returns (commit-check.ts): BEGIN's round trip read the transaction's id, and a fresh connection
 * asks the server what became of it, within `commitCheckTimeoutMs`. Committed: the call resolves with the
 * result, which is exactly what was written (a transaction is atomic). Rolled back: it rejects as before.
 * Still unknown at the bound: it rejects with CommitOutcomeUnknown, and the caller must treat the work as
 * possibly done (the residual case, docs/operating.md "When the database goes away"). A body that commits with
 * commit() is not settled: it rejects `unavailable`. Never retried after COMMIT was sent.
 */
export const ATTEMPTS_MAX = 4;

type Results<Q extends readonly unknown[]> = { -readonly [K in keyof Q]: Awaited<Q[K]> };

export class Session<T = unknown> {
  commitSent = false;
  /** The transaction's id and backend, read with BEGIN: what a commit check asks about. */
  ref: TransactionRef | null = null;
  /** What commitWith() resolves with, kept for a commit check that finds the transaction committed. */
  pending: { readonly result: T } | null = null;
  constructor(readonly sql: ReservedSQL) {}

  /** BEGIN and the first statements, sent together; resolves with the statements' results. */
  async begin<const Q extends readonly PromiseLike<unknown>[]>(statements: Q): Promise<Results<Q>> {
    const [, ref, ...results] = await Promise.all([this.sql`BEGIN`, this.sql.unsafe<Array<Record<string, unknown>>>(TRANSACTION_REF_SELECT), ...statements]);
    this.ref = transactionRefOf(ref);
    return results as Results<Q>;
  }

  /**
   * commit(), resolving with `result`: if the answer to COMMIT is lost, run() checks what the server did
   * and still resolves with `result` when it committed. `result` must be exactly what the statements write.
   */
  async commitWith(statements: readonly PromiseLike<unknown>[], result: T): Promise<T> {
    this.pending = { result };
    await this.commit(statements);
    return result;
  }

  /** The last statements and COMMIT, sent together; rejects unless the server committed. */
  async commit(statements: readonly PromiseLike<unknown>[]): Promise<void> {
    const commit = this.sql`COMMIT`;
    this.commitSent = true;
    const results = await Promise.all([...statements, commit]);
    const tag = (results[results.length - 1] as { command?: string }).command;
    if (tag !== "COMMIT") throw new AssertionFailure(`COMMIT answered ${tag} without an error before it`);
  }
}

export class Transactions {
  /** Commit checks since opening, by outcome (the "unknown" ones are the residual case). */
  readonly commitChecks: CommitCheckCounts = { committed: 0, rolledBack: 0, unknown: 0 };

  constructor(
    private readonly pool: SQL,
    private readonly timeoutMs: number,
    /** Bound on settling one transaction whose answer to COMMIT was lost (postgresCommitCheckTimeoutMs). */
    private readonly commitCheckTimeoutMs: number,
  ) {}

  /**
   * Runs `body` (which calls session.begin() … session.commit() or commitWith()) in one transaction,
   * bounded and retried; a lost answer to commitWith()'s COMMIT is settled before it returns.
   */
  async run<T>(what: string, body: (session: Session<T>) => Promise<T>): Promise<T> {
    const deadlineMs = performance.now() + this.timeoutMs;
    for (let attempt = 1; ; attempt++) {
      const remainingMs = deadlineMs - performance.now();
      if (remainingMs <= 0) throw new LedgerError("unavailable", `PostgreSQL unavailable (${what}): no answer within ${this.timeoutMs} ms`);
      const outcome = await this.attempt(what, body, remainingMs);
      if (outcome.ok) return outcome.value;
      const { error, timedOut, session } = outcome;
      // A broken invariant is no database failure: never retried, never settled as if COMMIT's answer were
      // lost. attempt() rolled the transaction back (or closed its connection once COMMIT was sent).
      rethrowAssertionFailure(error);
      const commitSent = session?.commitSent === true;
      // A conflict is the server's own word that the transaction was rolled back; anything else may not be.
      if (session !== null && commitSent && session.pending !== null && !isConflict(error)) return this.settle(what, session, outcome);
      if (timedOut) throw new LedgerError("unavailable", `PostgreSQL unavailable (${what}): no answer within ${this.timeoutMs} ms`, { cause: error });
      const retryable = isConflict(error) || (isUnavailable(error) && !commitSent);
      if (!retryable || attempt >= ATTEMPTS_MAX) throw ledgerErrorOf(error, what);
    }
  }

  /**
   * One statement outside any ledger transaction (a read, an outbox update) on a connection of its own,
   * bounded like a transaction: a connection that stops answering is closed, not left in the pool for the
   * next caller. Not retried: the caller (the API's client, the notifier's next turn) asks again.
   */
  async statement<T>(what: string, make: (sql: ReservedSQL) => PromiseLike<T>): Promise<T> {
    const outcome = await this.withConnection(this.timeoutMs, async (connection) => make(connection));
    if (outcome.ok) return outcome.value;
    rethrowAssertionFailure(outcome.error);
    if (outcome.timedOut) throw new LedgerError("unavailable", `PostgreSQL unavailable (${what}): no answer within ${this.timeoutMs} ms`, { cause: outcome.error });
    throw ledgerErrorOf(outcome.error, what);
  }

  /**
   * The outcome of a transaction whose answer to COMMIT was lost: its result when the server committed it,
   * the failure when it rolled back, CommitOutcomeUnknown when the check ran out of time.
   */
  private async settle<T>(what: string, session: Session<T>, failed: { error: unknown; timedOut: boolean }): Promise<T> {
    if (session.ref === null || session.pending === null) throw new AssertionFailure("COMMIT was sent before BEGIN's round trip answered");
    const outcome = await checkCommit((remainingMs, body) => this.withConnection(remainingMs, body), session.ref, this.commitCheckTimeoutMs);
    this.commitChecks[outcome] += 1;
    if (outcome === "committed") return session.pending.result;
    if (outcome === "unknown") throw new CommitOutcomeUnknown(what, this.commitCheckTimeoutMs, { cause: failed.error });
    if (failed.timedOut) throw new LedgerError("unavailable", `PostgreSQL unavailable (${what}): no answer within ${this.timeoutMs} ms`, { cause: failed.error });
    throw ledgerErrorOf(failed.error, what);
  }

  private async attempt<T>(
    what: string,
    body: (session: Session<T>) => Promise<T>,
    remainingMs: number,
  ): Promise<Outcome<T> & { session: Session<T> | null }> {
    let session: Session<T> | null = null;
    const outcome = await this.withConnection(remainingMs, async (connection) => {
      const current = new Session<T>(connection);
      session = current;
      try {
        return await body(current);
      } catch (error) {
        // After COMMIT was sent the connection is not reused (but after a conflict, which the server
        // rolled back): its backend may still be in the transaction a commit check is about to ask
        // after. Closing it ends that transaction either way.
        if (current.commitSent && !isConflict(error)) connection.close().then(noop, noop);
        // A transaction the server aborted is ended by COMMIT already; otherwise end it here, unless the
        // connection is gone (the server ends it then).
        else if (!isUnavailable(error)) await connection`ROLLBACK`.then(noop, noop);
        throw error;
      }
    });
    return { ...outcome, session };
  }

  /** Reserves a connection within `remainingMs`, runs `body`, and closes the connection if time runs out. */
  private async withConnection<T>(remainingMs: number, body: (connection: ReservedSQL) => Promise<T>): Promise<Outcome<T>> {
    let connection: ReservedSQL;
    try {
      connection = await this.pool.reserve({ signal: AbortSignal.timeout(Math.max(1, Math.floor(remainingMs))) });
    } catch (error) {
      return { ok: false, error, timedOut: (error as Error | null)?.name === "TimeoutError" };
    }
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      connection.close();
    }, remainingMs);
    try {
      return { ok: true, value: await body(connection) };
    } catch (error) {
      return { ok: false, error, timedOut };
    } finally {
      clearTimeout(timer);
      await connection.release().then(noop, noop);
    }
  }
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown; timedOut: boolean };

function noop(): void {}

/** A single statement on the pool, bounded: only for opening, before the ledger exists. */
export async function bounded<T>(what: string, timeoutMs: number, query: PromiseLike<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LedgerError("unavailable", `PostgreSQL unavailable (${what}): no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([query, timeout]);
  } catch (error) {
    throw ledgerErrorOf(error, what);
  } finally {
    clearTimeout(timer);
  }
}
