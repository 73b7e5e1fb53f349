/**
 * Capped exponential backoff for webhook retries: `delayMinMs × 2^failures`, at most `delayMaxMs`, with
 * ±25% jitter (kept within the bounds) so that a receiver coming back is not hit by every retry at once.
 * (Link re-dials, src/link/backoff.ts, draw between half the step and the step instead.)
 */
export function retryDelayMs(failuresBefore: number, delayMinMs: number, delayMaxMs: number, random: () => number): number {
  const exponent = Math.min(Math.max(0, failuresBefore), 40);
  const base = Math.min(delayMaxMs, delayMinMs * 2 ** exponent);
  const jittered = base * (0.75 + 0.5 * random());
  return Math.round(Math.min(delayMaxMs, Math.max(delayMinMs, jittered)));
}
