import { AssertionFailure, type AssertionFailureSink } from "./assert.ts";
import type { Logger } from "./log.ts";

/**
 * What a long-running command does with an error nobody caught (an exception thrown from a callback, a
 * promise rejected with no handler): it is a bug, so it is logged — through the masked logger, like every
 * line — and the process stops in order rather than running on in an unknown state or dying mid-write.
 * The first one starts the shutdown; a watchdog exits with `exitCode` if the shutdown has not ended within
 * `forceExitAfterMs`. Later ones are logged too, up to `loggedMax`, then only counted.
 *
 * A broken invariant (an AssertionFailure, src/ops/assert.ts) is one too, whether nobody caught it or a
 * catch site that handles operating errors handed it over with `report()`: it is logged as
 * `fatal.assertion_failed`, `onAssertionFailure` hears of each one at once (the processor stops
 * authorizing), and the watchdog's exit code is `assertionExitCode`.
 */
export const FATAL_EVENTS = {
  uncaughtException: "process.uncaught_exception",
  unhandledRejection: "process.unhandled_rejection",
  assertionFailed: "fatal.assertion_failed",
} as const;
export type FatalEvent = (typeof FATAL_EVENTS)[keyof typeof FATAL_EVENTS];

export interface FatalErrorOptions {
  logger: Logger;
  startShutdown: (event: FatalEvent) => void;
  exitCode: number;
  /** The watchdog's exit code once a broken invariant was among the errors (`exitCode` when absent). */
  assertionExitCode?: number;
  /** Each broken invariant, before the shutdown starts: whatever must stop at once, stops here. */
  onAssertionFailure?: AssertionFailureSink;
  forceExitAfterMs: number;
  loggedMax?: number;
  exit?: (code: number) => void;
}

export interface FatalErrors {
  /** A broken invariant a catch site will not handle: treated as one nobody caught. */
  readonly report: AssertionFailureSink;
  /** The first AssertionFailure reported or uncaught; null while every invariant holds. */
  readonly assertionFailure: AssertionFailure | null;
  /** Removes the process handlers and the watchdog. */
  remove(): void;
}

const LOGGED_MAX_DEFAULT = 10;
const STACK_CHARS_MAX = 4000;

export function onFatalErrors(options: FatalErrorOptions): FatalErrors {
  const loggedMax = options.loggedMax ?? LOGGED_MAX_DEFAULT;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let seen = 0;
  let assertionFailure: AssertionFailure | null = null;
  let watchdog: ReturnType<typeof setTimeout> | null = null;
  const handle = (uncaught: FatalEvent, error: unknown) => {
    seen++;
    const broken = error instanceof AssertionFailure;
    const event = broken ? FATAL_EVENTS.assertionFailed : uncaught;
    if (seen <= loggedMax) {
      const stack = error instanceof Error && error.stack ? error.stack.slice(0, STACK_CHARS_MAX) : undefined;
      options.logger.error(event, { error: error instanceof Error ? error : String(error), stack, seen });
    }
    if (broken) {
      assertionFailure ??= error;
      options.onAssertionFailure?.(error);
    }
    if (watchdog !== null) return;
    watchdog = setTimeout(() => {
      options.logger.error("shutdown.forced", { reason: event, afterMs: options.forceExitAfterMs, fatalErrors: seen });
      exit(assertionFailure !== null ? (options.assertionExitCode ?? options.exitCode) : options.exitCode);
    }, options.forceExitAfterMs);
    watchdog.unref();
    options.startShutdown(event);
  };
  const onException = (error: unknown) => handle(FATAL_EVENTS.uncaughtException, error);
  const onRejection = (reason: unknown) => handle(FATAL_EVENTS.unhandledRejection, reason);
  process.on("uncaughtException", onException);
  process.on("unhandledRejection", onRejection);
  return {
    report: (failure) => handle(FATAL_EVENTS.uncaughtException, failure),
    get assertionFailure() {
      return assertionFailure;
    },
    remove() {
      process.off("uncaughtException", onException);
      process.off("unhandledRejection", onRejection);
      if (watchdog !== null) clearTimeout(watchdog);
    },
  };
}
