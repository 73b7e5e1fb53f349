/**
 * Assertions for programmer errors: ring indices, pool counts, hold amounts, balance arithmetic, a ledger's
 * own bookkeeping. They stay on in production. A failed one is a broken invariant, never an operating
 * error: no catch site turns it into a decline, a rebuild or a 5xx; it stops the processor (src/commands/
 * run.ts: `fatal.assertion_failed`, exit code 71). Expected failures (declines, bad input, a database that
 * went away) are values or typed errors (LedgerError, CodecError, ApiError) instead.
 *
 * This module imports nothing, so that every room may use it.
 */
export class AssertionFailure extends Error {
  override readonly name = "AssertionFailure";
}

/** On a hot path, prefer `if (!ok) throw new AssertionFailure(\`…\`)`: a template message costs even when `ok`. */
export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new AssertionFailure(message);
}

/** For a catch site that handles operating errors: a broken invariant is not one of them and goes on up. */
export function rethrowAssertionFailure(error: unknown): void {
  if (error instanceof AssertionFailure) throw error;
}

/**
 * Where a broken invariant goes from a place whose caller would handle a thrown error as an operating one
 * (a request handler, a timer's loop): the process's fatal handler (src/ops/fatal-errors.ts).
 */
export type AssertionFailureSink = (failure: AssertionFailure) => void;

/**
 * The sink when none is given: the failure is thrown again from a timer, where nothing catches it, so that
 * the process's fatal handler — or, with none, the runtime — sees it as an uncaught exception.
 */
export const failLoudly: AssertionFailureSink = (failure) => {
  setTimeout(() => {
    throw failure;
  }, 0);
};
