/**
 * SIGTERM and SIGINT both start the ordered shutdown; a second signal while it runs exits at once (the
 * operator's way out of a stuck drain). Handlers must be registered explicitly: as PID 1 in a container,
 * a process without a SIGTERM handler ignores SIGTERM.
 */
export const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
export type ShutdownSignal = keyof typeof SIGNAL_EXIT_CODES;

export function onShutdownSignals(
  startShutdown: (signal: ShutdownSignal) => void,
  forceExit: (signal: ShutdownSignal) => void = (signal) => process.exit(SIGNAL_EXIT_CODES[signal]),
): () => void {
  let received = false;
  const handler = (signal: ShutdownSignal) => {
    if (received) {
      forceExit(signal);
      return;
    }
    received = true;
    startShutdown(signal);
  };
  const onTerm = () => handler("SIGTERM");
  const onInt = () => handler("SIGINT");
  process.on("SIGTERM", onTerm);
  process.on("SIGINT", onInt);
  return () => {
    process.off("SIGTERM", onTerm);
    process.off("SIGINT", onInt);
  };
}
