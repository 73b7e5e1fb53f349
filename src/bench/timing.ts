import type { Ledger } from "../ledger/ledger.ts";
import type { PurchaseSource } from "./purchases.ts";

/**
 * Times batches of purchases through ledgers: `loops` loops per ledger, each deciding one batch after the
 * other (as the engine's authorization tasks do), all running together for `durationS` seconds.
 */
export interface Timing {
  /** Authorizations decided by all loops together, per second of wall time. */
  readonly wallPerSecond: number;
  /** Authorizations per second of time spent inside authorizeBatch (meaningful for one loop). */
  readonly inLedgerPerSecond: number;
  readonly batches: number;
  readonly authorizations: number;
  readonly approved: number;
  readonly elapsedS: number;
  readonly batchMs: { p50: number; p99: number; max: number };
  /** Authorizations per ledger, in the order given. */
  readonly perLedger: number[];
}

/** Measures something over the timed run alone: start() after the warm-up, stop() when the last batch is in. */
export interface TimedRunProbe {
  start(): void;
  stop(): void;
}

export async function timeBatches(
  ledgers: readonly { ledger: Ledger; source: PurchaseSource }[],
  input: { batch: number; durationS: number; loops: number; warmupBatches: number; probe?: TimedRunProbe },
): Promise<Timing> {
  await Promise.all(
    ledgers.flatMap(({ ledger, source }) =>
      Array.from({ length: input.loops }, async () => {
        for (let i = 0; i < Math.ceil(input.warmupBatches / input.loops); i++) await ledger.authorizeBatch(source.batch(input.batch, Date.now()));
      }),
    ),
  );
  const batchMs: number[] = [];
  const perLedger = ledgers.map(() => 0);
  let approved = 0;
  input.probe?.start();
  const startNs = Bun.nanoseconds();
  const endNs = startNs + input.durationS * 1e9;
  await Promise.all(
    ledgers.flatMap(({ ledger, source }, index) =>
      Array.from({ length: input.loops }, async () => {
        while (Bun.nanoseconds() < endNs) {
          const requests = source.batch(input.batch, Date.now());
          const t0 = Bun.nanoseconds();
          const decisions = await ledger.authorizeBatch(requests);
          batchMs.push((Bun.nanoseconds() - t0) / 1e6);
          perLedger[index]! += decisions.length;
          for (const decision of decisions) if (decision.responseCode === "00") approved += 1;
        }
      }),
    ),
  );
  const elapsedS = (Bun.nanoseconds() - startNs) / 1e9;
  input.probe?.stop();
  batchMs.sort((a, b) => a - b);
  const at = (q: number) => Math.round(batchMs[Math.min(batchMs.length - 1, Math.floor(q * batchMs.length))]! * 1000) / 1000;
  const authorizations = batchMs.length * input.batch;
  const inLedgerS = batchMs.reduce((sum, ms) => sum + ms, 0) / 1000;
  return {
    wallPerSecond: Math.round(authorizations / elapsedS),
    inLedgerPerSecond: Math.round(authorizations / inLedgerS),
    batches: batchMs.length,
    authorizations,
    approved,
    elapsedS: Math.round(elapsedS * 1000) / 1000,
    batchMs: { p50: at(0.5), p99: at(0.99), max: at(1) },
    perLedger,
  };
}
