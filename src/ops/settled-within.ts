/**
 * True when `promise` settled within `ms`, false when the time ran out first (the promise keeps running).
 * Shutdown steps use it to bound each wait: draining, flushing, signing off, delivering webhooks.
 */
export async function settledWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
