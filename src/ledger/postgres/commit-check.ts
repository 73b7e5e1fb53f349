import type { ReservedSQL } from "bun";
import { LedgerError } from "../ledger.ts";
import { int } from "./rows.ts";
import { AssertionFailure } from "../../ops/assert.ts";

/**
 * What became of a transaction whose COMMIT was sent but whose answer never came back (the connection
 * died, the backend was terminated, the client's bound ran out): the server may have committed it or not,
 * and the two call for opposite answers. The ledger asks the server, on a fresh connection, before it
 * answers anyone.
 *
 * The question is PostgreSQL's own: pg_xact_status() of the transaction's id (read with BEGIN) answers
 * committed, aborted or in progress from the commit log, with no table of ours. "In progress" means the
 * old backend still runs the transaction — it has not read the COMMIT yet, or it is still writing it; the
 * connection is abandoned, so that backend is told to end (pg_terminate_backend, only while it still runs
 * that very transaction: a pid may be reused), which settles it within moments either way, and the
 * status is asked again. A transaction that had not committed is rolled back by that; one whose commit
 * record was written stays committed.
 *
 * Bounds: `timeoutMs` for the whole check and COMMIT_CHECKS_MAX questions, COMMIT_CHECK_PAUSE_MS apart
 * when the answer is "in progress" or the question failed (the database away, a dead pooled connection).
 * Past them the outcome is "unknown". So it is when the server cannot know the id (a failover to a
 * replica that never saw it answers "in the future").
 */
export const COMMIT_CHECKS_MAX = 64;
export const COMMIT_CHECK_PAUSE_MS = 10;

/** The transaction a commit check asks about: its 64-bit id (xid8, as text) and its backend's pid. */
export interface TransactionRef {
  readonly xid: string;
  readonly pid: number;
}

/** Selected with BEGIN; forces the transaction's id to be assigned (any write or row lock would). */
export const TRANSACTION_REF_SELECT = "SELECT pg_current_xact_id()::text AS xid, pg_backend_pid() AS pid";

export function transactionRefOf(rows: ReadonlyArray<Record<string, unknown>>): TransactionRef {
  const row = rows[0];
  if (row === undefined || typeof row.xid !== "string") throw new AssertionFailure("BEGIN's round trip returned no transaction id");
  return { xid: row.xid, pid: int(row.pid) };
}

export type CommitOutcome = "committed" | "rolledBack" | "unknown";

/** How many commit checks ended each way, since the ledger opened. */
export type CommitCheckCounts = Record<CommitOutcome, number>;

/** One bounded use of a fresh connection (Transactions.withConnection). */
export type ConnectionRunner = <T>(
  remainingMs: number,
  body: (connection: ReservedSQL) => Promise<T>,
) => Promise<{ ok: true; value: T } | { ok: false; error: unknown; timedOut: boolean }>;

const STATUS = "SELECT pg_xact_status($1::xid8) AS status";
// backend_xid is the 32-bit xid: the xid8's low 32 bits.
const END_BACKEND =
  "SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity " +
  "WHERE pid = $2 AND backend_xid = ($1::xid8::text::numeric % 4294967296)::text::xid";

export async function checkCommit(connect: ConnectionRunner, ref: TransactionRef, timeoutMs: number): Promise<CommitOutcome> {
  const deadlineMs = performance.now() + timeoutMs;
  for (let check = 1; check <= COMMIT_CHECKS_MAX; check++) {
    const remainingMs = deadlineMs - performance.now();
    if (remainingMs <= 0) break;
    const asked = await connect(remainingMs, async (connection) => {
      const [row] = await connection.unsafe<Array<{ status: string | null }>>(STATUS, [ref.xid]);
      const status = row?.status ?? null;
      // Not ours to end (another role's backend, no privilege): keep asking until it ends by itself.
      if (status === "in progress") await connection.unsafe(END_BACKEND, [ref.xid, ref.pid]).then(noop, noop);
      return status;
    });
    if (asked.ok && asked.value === "committed") return "committed";
    if (asked.ok && asked.value === "aborted") return "rolledBack";
    const pauseMs = Math.min(COMMIT_CHECK_PAUSE_MS, deadlineMs - performance.now());
    if (pauseMs > 0) await Bun.sleep(pauseMs);
  }
  return "unknown";
}

/**
 * A transaction whose COMMIT was sent and whose outcome could not be established within the bound: it may
 * have committed. `unavailable` like any database failure (the engine answers 91), told apart so that it
 * is logged and counted as the residual case it is.
 */
export class CommitOutcomeUnknown extends LedgerError {
  readonly commitOutcome = "unknown";
  constructor(what: string, timeoutMs: number, options: { cause?: unknown }) {
    super("unavailable", `PostgreSQL unavailable (${what}): COMMIT was sent and its outcome is still unknown after ${timeoutMs} ms; it may have committed`, options);
  }
}

function noop(): void {}
