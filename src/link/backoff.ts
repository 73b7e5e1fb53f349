/**
 * Re-dial delays: exponential from `minMs`, doubling per failed attempt up to `maxMs`, with "equal jitter"
 * (a uniform draw between half the step and the step) so that several links, or several processors,
 * do not hammer the network in lockstep after it comes back. Never longer than the step: a link is back
 * as soon as the backoff allows. (Webhook retries, src/notify/backoff.ts, spread ±25% around their step
 * instead; the two are kept apart because merging them would change one of the two schedules.)
 */
export interface BackoffOptions {
  minMs: number;
  maxMs: number;
  /** A uniform draw in [0, 1); injected so tests are deterministic. */
  random: () => number;
}

export function backoffDelayMs(attempt: number, options: BackoffOptions): number {
  const exponent = Math.min(Math.max(attempt, 0), 30);
  const step = Math.min(options.maxMs, options.minMs * 2 ** exponent);
  const delay = step / 2 + (options.random() * step) / 2;
  return Math.max(options.minMs, Math.min(options.maxMs, Math.round(delay)));
}
