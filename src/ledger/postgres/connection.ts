import { SQL } from "bun";
import { LedgerError } from "../ledger.ts";

/**
 * The pool of connections to PostgreSQL (Bun's SQL client) and what a failure of it means for the ledger.
 *
 * Every session is opened with server-side bounds: statement_timeout and lock_timeout (a stuck statement
 * or a lock wait ends), and idle_in_transaction_session_timeout (an instance that stops mid-transaction
 * cannot hold other instances' account locks for longer than that). The client bounds each ledger
 * transaction as a whole too (see transaction.ts), because a server that vanished without closing the
 * socket answers nothing at all.
 */
export interface PostgresConnectionOptions {
  readonly url: string;
  /** postgresPoolMax: connections this instance opens at most. */
  readonly poolMax: number;
  /** postgresConnectTimeoutMs: one connection attempt's bound. */
  readonly connectTimeoutMs: number;
  /** postgresStatementTimeoutMs: one statement's bound on the server, and one transaction's in the client. */
  readonly statementTimeoutMs: number;
  /**
   * postgresCommitCheckTimeoutMs: bound on finding out whether a transaction whose answer to COMMIT was
   * lost committed (commit-check.ts); statementTimeoutMs when absent.
   */
  readonly commitCheckTimeoutMs?: number;
}

/** Idle connections are closed after this, so a pool grown for a peak shrinks again. */
const IDLE_TIMEOUT_SECONDS = 60;
/** Connections are replaced after this, so that a pool follows a database that moved (failover, DNS). */
const MAX_LIFETIME_SECONDS = 3600;

export function createPool(options: PostgresConnectionOptions): SQL {
  return new SQL(options.url, {
    max: options.poolMax,
    connectionTimeout: options.connectTimeoutMs / 1000,
    idleTimeout: IDLE_TIMEOUT_SECONDS,
    maxLifetime: MAX_LIFETIME_SECONDS,
    prepare: true,
    connection: {
      application_name: "sekisho",
      statement_timeout: options.statementTimeoutMs,
      lock_timeout: options.statementTimeoutMs,
      idle_in_transaction_session_timeout: options.statementTimeoutMs * 2,
    },
  });
}

/** The URL as it may be shown: the password replaced. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
}

interface DatabaseError {
  readonly code?: string;
  readonly errno?: string;
  readonly message?: string;
}

/** SQLSTATEs after which the same transaction, run again, may succeed: another instance got there first. */
const CONFLICT_STATES: ReadonlySet<string> = new Set(["40001", "40P01", "23505"]);

/** The transaction lost a race with another instance (serialization, deadlock, duplicate key): run it again. */
export function isConflict(error: unknown): boolean {
  const errno = (error as DatabaseError | null)?.errno;
  return typeof errno === "string" && CONFLICT_STATES.has(errno);
}

/**
 * The database cannot be used right now — no connection, connection lost, server shutting down or
 * starting, out of connections, timeout, missing database, refused login — as opposed to a statement the
 * server rejected, which is a programmer error.
 */
export function isUnavailable(error: unknown): boolean {
  const { code, errno } = (error ?? {}) as DatabaseError;
  if (typeof code === "string" && CLIENT_UNAVAILABLE.test(code)) return true;
  if (typeof errno !== "string") return (error as Error | null)?.name === "TimeoutError" || (error as Error | null)?.name === "AbortError";
  // 08 connection · 53 insufficient resources · 57 operator intervention (shutdown, statement timeout) ·
  // 3D no such database · 28 login refused · 55P03 lock timeout · 25P02 the transaction was cut short.
  return ["08", "53", "57", "3D", "28"].includes(errno.slice(0, 2)) || errno === "55P03" || errno === "25P02";
}

/** Bun's own codes for a connection that could not be opened, was lost, timed out or failed its login. */
const CLIENT_UNAVAILABLE =
  /^ERR_POSTGRES_(CONNECTION_|IDLE_TIMEOUT|LIFETIME_TIMEOUT|TLS_|QUERY_CANCELLED|AUTHENTICATION|UNKNOWN_AUTHENTICATION|UNSUPPORTED_AUTHENTICATION|SASL_|CHANNEL_BINDING|INVALID_SERVER_|EXPECTED_|INVALID_BACKEND|INVALID_MESSAGE|UNEXPECTED_MESSAGE|COMMIT_ROLLED_BACK)/;

/** A failure of the database as the ledger reports it: `unavailable` (the engine answers 91), else unchanged. */
export function ledgerErrorOf(error: unknown, what: string): unknown {
  if (error instanceof LedgerError) return error;
  if (!isUnavailable(error)) return error;
  const message = (error as DatabaseError).message ?? String(error);
  return new LedgerError("unavailable", `PostgreSQL unavailable (${what}): ${message}`, { cause: error });
}
