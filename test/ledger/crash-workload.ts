import { transactionKey } from "../../src/authorize/transaction-key.ts";
import type { AuthorizationRequest } from "../../src/domain/authorization.ts";
import type { SqliteLedgerOptions } from "../../src/ledger/sqlite/sqlite-ledger.ts";
import { SeededRandom } from "../../src/sim/random.ts";
import { TEST_ACQUIRER } from "../support/requests.ts";

/**
 * The batches the crash child applies, as a pure function of (seed, batch index): the parent rebuilds any
 * batch to check what the child reported. Keys never repeat inside a batch, so replaying a whole batch
 * tells whether it was committed (every answer replayed) or not (none).
 */
export const CRASH_NOW_MS = Date.UTC(2026, 10, 15, 12);
export const CRASH_BATCH_REQUESTS_MAX = 40;

/** The ledger every crash test and crash child opens: a full fsync per commit, the crash clock. */
export function crashLedgerOptions(path: string, panKeyHex: string): SqliteLedgerOptions {
  return { path, synchronous: "full", busyTimeoutMs: 2000, holdTimeoutSeconds: 7 * 86_400, currency: 392, panKeyHex, clock: () => CRASH_NOW_MS };
}

function request(fields: Partial<AuthorizationRequest> & { mti: number; pan: string; stan: string }): AuthorizationRequest {
  const base = {
    processingCode: "000000",
    amount: 1000,
    currency: 392,
    billingAmount: null,
    billingCurrency: null,
    expiry: null,
    transmissionDateTime: "1115120000",
    acquirer: TEST_ACQUIRER,
    retrievalReference: null,
    merchantCategory: "5999",
    terminalId: "CRASH001",
    merchantId: "CRASHTESTSHOP01",
    merchantNameLocation: null,
    originalKey: null,
    replacementAmount: null,
    networkResponseCode: null,
    partialAllowed: false,
    receivedAtMs: CRASH_NOW_MS,
    ...fields,
  };
  return { ...base, key: transactionKey(base) };
}

export function crashBatch(seed: number, index: number, pans: readonly string[]): AuthorizationRequest[] {
  const random = new SeededRandom((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const stanOf = (j: number) => String((index * CRASH_BATCH_REQUESTS_MAX + j) % 1_000_000).padStart(6, "0");
  const requests: AuthorizationRequest[] = [];
  const count = random.int(1, CRASH_BATCH_REQUESTS_MAX);
  for (let j = 0; j < count; j++) {
    const pan = random.pick(pans);
    const roll = random.int(1, 10);
    if (roll <= 6) requests.push(request({ mti: 100, pan, stan: stanOf(j), amount: random.int(1, 3_000), partialAllowed: random.chance(0.3) }));
    else if (roll === 7) requests.push(request({ mti: 200, pan, stan: stanOf(j), amount: random.int(1, 2_000) }));
    else if (roll === 8) requests.push(request({ mti: 120, pan, stan: stanOf(j), amount: random.int(1, 2_000), networkResponseCode: "00" }));
    else {
      // A reversal of a purchase from an earlier batch (which may or may not exist), full or partial.
      const earlier = index > 0 ? random.int(0, index - 1) : index;
      const originalKey = transactionKey({ mti: 100, acquirer: TEST_ACQUIRER, stan: String((earlier * CRASH_BATCH_REQUESTS_MAX) % 1_000_000).padStart(6, "0"), transmissionDateTime: "1115120000" });
      requests.push(request({ mti: 400, pan, stan: stanOf(j), originalKey, replacementAmount: random.chance(0.5) ? null : random.int(0, 500) }));
    }
  }
  return requests;
}
