import type { ReservedSQL, SQL } from "bun";
import { LedgerError } from "../ledger.ts";
import { isConflict, isUnavailable, ledgerErrorOf } from "./connection.ts";

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
 * connections the server closed until it tries them). After COMMIT was sent, a lost connection leaves
 * the outcome unknown: never retried, reported `unavailable`; a repeat of the same request replays
 * whatever was committed.
 */
export const ATTEMPTS_MAX = 4;

type Results<Q extends readonly unknown[]> = { -readonly [K in keyof Q]: Awaited<Q[K]> };

export class Session {
  commitSent = false;
  constructor(readonly sql: ReservedSQL) {}

  /** BEGIN and the first statements, sent together; resolves with the statements' results. */
  async begin<const Q extends readonly PromiseLike<unknown>[]>(statements: Q): Promise<Results<Q>> {
    const [, ...results] = await Promise.all([this.sql`BEGIN`, ...statements]);
    return results as Results<Q>;
  }

  /** The last statements and COMMIT, sent together; rejects unless the server committed. */
  async commit(statements: readonly PromiseLike<unknown>[]): Promise<void> {
    const commit = this.sql`COMMIT`;
    this.commitSent = true;
    const results = await Promise.all([...statements, commit]);
    const tag = (results[results.length - 1] as { command?: string }).command;
    if (tag !== "COMMIT") throw new Error(`assertion: COMMIT answered ${tag} without an error before it`);
  }
}

export class Transactions {
  constructor(
    private readonly pool: SQL,
    private readonly timeoutMs: number,
  ) {}

  /** Runs `body` (which calls session.begin() … session.commit()) in one transaction, bounded and retried. */
  async run<T>(what: string, body: (session: Session) => Promise<T>): Promise<T> {
    const deadlineMs = performance.now() + this.timeoutMs;
    for (let attempt = 1; ; attempt++) {
      const remainingMs = deadlineMs - performance.now();
      if (remainingMs <= 0) throw new LedgerError("unavailable", `PostgreSQL unavailable (${what}): no answer within ${this.timeoutMs} ms`);
      const outcome = await this.attempt(what, body, remainingMs);
      if (outcome.ok) return outcome.value;
      const { error, timedOut } = outcome;
      const commitSent = outcome.commitSent === true;
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
    if (outcome.timedOut) throw new LedgerError("unavailable", `PostgreSQL unavailable (${what}): no answer within ${this.timeoutMs} ms`, { cause: outcome.error });
    throw ledgerErrorOf(outcome.error, what);
  }

  private async attempt<T>(
    what: string,
    body: (session: Session) => Promise<T>,
    remainingMs: number,
  ): Promise<Outcome<T> & { commitSent?: boolean }> {
    let session: Session | null = null;
    const outcome = await this.withConnection(remainingMs, async (connection) => {
      session = new Session(connection);
      try {
        return await body(session);
      } catch (error) {
        // A transaction the server aborted is ended by COMMIT already; otherwise end it here, unless the
        // connection is gone (the server ends it then).
        if (!isUnavailable(error)) await connection`ROLLBACK`.then(noop, noop);
        throw error;
      }
    });
    return { ...outcome, commitSent: (session as Session | null)?.commitSent ?? false };
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
