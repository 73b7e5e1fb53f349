import type { Logger } from "./log.ts";

/**
 * What a long-running command does with an error nobody caught (an exception thrown from a callback, a
 * promise rejected with no handler): it is a bug, so it is logged — through the masked logger, like every
 * line — and the process stops in order rather than running on in an unknown state or dying mid-write.
 * The first one starts the shutdown; a watchdog exits with `exitCode` if the shutdown has not ended within
 * `forceExitAfterMs`. Later ones are logged too, up to `loggedMax`, then only counted.
 */
export const FATAL_EVENTS = {
  uncaughtException: "process.uncaught_exception",
  unhandledRejection: "process.unhandled_rejection",
} as const;
export type FatalEvent = (typeof FATAL_EVENTS)[keyof typeof FATAL_EVENTS];

export interface FatalErrorOptions {
  logger: Logger;
  startShutdown: (event: FatalEvent) => void;
  exitCode: number;
  forceExitAfterMs: number;
  loggedMax?: number;
  exit?: (code: number) => void;
}

const LOGGED_MAX_DEFAULT = 10;
const STACK_CHARS_MAX = 4000;

export function onFatalErrors(options: FatalErrorOptions): () => void {
  const loggedMax = options.loggedMax ?? LOGGED_MAX_DEFAULT;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let seen = 0;
  let watchdog: ReturnType<typeof setTimeout> | null = null;
  const handle = (event: FatalEvent, error: unknown) => {
    seen++;
    if (seen <= loggedMax) {
      const stack = error instanceof Error && error.stack ? error.stack.slice(0, STACK_CHARS_MAX) : undefined;
      options.logger.error(event, { error: error instanceof Error ? error : String(error), stack, seen });
    }
    if (watchdog !== null) return;
    watchdog = setTimeout(() => {
      options.logger.error("shutdown.forced", { reason: event, afterMs: options.forceExitAfterMs, fatalErrors: seen });
      exit(options.exitCode);
    }, options.forceExitAfterMs);
    watchdog.unref();
    options.startShutdown(event);
  };
  const onException = (error: unknown) => handle(FATAL_EVENTS.uncaughtException, error);
  const onRejection = (reason: unknown) => handle(FATAL_EVENTS.unhandledRejection, reason);
  process.on("uncaughtException", onException);
  process.on("unhandledRejection", onRejection);
  return () => {
    process.off("uncaughtException", onException);
    process.off("unhandledRejection", onRejection);
    if (watchdog !== null) clearTimeout(watchdog);
  };
}
