import { transactionKey } from "../authorize/transaction-key.ts";
import type { AuthorizationRequest } from "../domain/authorization.ts";
import type { Ledger } from "../ledger/ledger.ts";
import { AssertionFailure } from "../ops/assert.ts";

/**
 * The ledger benchmark's cards and traffic: `cards` cardholders (one card each, funded far beyond what a
 * run spends, limits out of the way), and 0100 purchases spread over them so that consecutive requests —
 * and so the batches in flight together — name different cards.
 */
export const BENCH_PAN_KEY_HEX = "5e".repeat(32);
const FUNDS_MINOR = 1_000_000_000;
const LIMITS = { perTransactionMax: FUNDS_MINOR, perDayAmountMax: FUNDS_MINOR, perDayCountMax: 1_000_000 };
const CARD_STRIDE = 7919; // a prime: n × stride visits every card before any twice

export function benchPan(index: number): string {
  return "4" + String(100_000_000_000_000 + index).slice(-15);
}

/** Seeds the cards through the ledger's own operations, `concurrency` cardholders at a time. */
export async function seedCards(ledger: Ledger, cards: number, concurrency = 1): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < cards; i = next++) {
      const user = await ledger.createUser({});
      await ledger.issueCard(user.id, { pan: benchPan(i), expiry: "9912", limits: LIMITS });
      await ledger.topUp(user.id, { amount: FUNDS_MINOR, idempotencyKey: "seed", fingerprint: "seed" });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** The most acquirers one source may have: their ids stay within one source's block (see PurchaseSource). */
export const BENCH_ACQUIRERS_MAX = 10_000;
export const BENCH_ACQUIRERS_DEFAULT = 64;
const STAN_MAX = 999_999;
const ACQUIRER_ID_STRIDE = 1_117;
/** Acquirer ids of source s start at s × this (+ 40,000,000): sources never share an acquirer, so never a key. */
const SOURCE_ACQUIRER_BLOCK = 100_000_000;

/** DE 7 as an acquirer sends it: MMDDhhmmss, UTC. */
export function transmissionDateTimeOf(ms: number): string {
  const t = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  return two(t.getUTCMonth() + 1) + two(t.getUTCDate()) + two(t.getUTCHours()) + two(t.getUTCMinutes()) + two(t.getUTCSeconds());
}

/**
 * Keys are built as the engine builds them from live traffic: requests come from `acquirers` acquirers at
 * once (DE 32, taking turns), each with its own STAN sequence (DE 11, starting at its own offset, wrapping
 * after 999999), and DE 7 is the batch's time (MMDDhhmmss, UTC). One acquirer is the single-link case.
 */
export class PurchaseSource {
  private counter = 0;
  private readonly pans: string[];
  private readonly acquirerIds: string[];
  /** The last STAN each acquirer used. */
  private readonly stans: number[];

  /** `source` keeps the keys of several sources (instances) apart: each has its own block of acquirer ids. */
  constructor(cards: number, acquirers: number, source = 0) {
    if (cards % CARD_STRIDE === 0) throw new AssertionFailure(`the card count must not be a multiple of ${CARD_STRIDE}`);
    if (!(Number.isInteger(acquirers) && acquirers >= 1 && acquirers <= BENCH_ACQUIRERS_MAX)) throw new AssertionFailure(`1 to ${BENCH_ACQUIRERS_MAX} acquirers`);
    this.pans = Array.from({ length: cards }, (_, i) => benchPan(i));
    const first = source * SOURCE_ACQUIRER_BLOCK + 40_000_000;
    this.acquirerIds = Array.from({ length: acquirers }, (_, i) => String(first + i * ACQUIRER_ID_STRIDE));
    this.stans = Array.from({ length: acquirers }, (_, i) => (i * 104_729) % STAN_MAX);
  }

  batch(size: number, nowMs: number): AuthorizationRequest[] {
    const requests = new Array<AuthorizationRequest>(size);
    const transmissionDateTime = transmissionDateTimeOf(nowMs);
    for (let i = 0; i < size; i++) {
      const n = this.counter++;
      const lane = n % this.acquirerIds.length;
      const acquirer = this.acquirerIds[lane]!;
      const stanNumber = this.stans[lane] === STAN_MAX ? 1 : this.stans[lane]! + 1;
      this.stans[lane] = stanNumber;
      const stan = String(stanNumber).padStart(6, "0");
      requests[i] = {
        mti: 100,
        acquirer,
        stan,
        transmissionDateTime,
        key: transactionKey({ mti: 100, acquirer, stan, transmissionDateTime }),
        pan: this.pans[(n * CARD_STRIDE) % this.pans.length]!,
        processingCode: "000000",
        amount: 100 + (n % 5000),
        currency: 392,
        billingAmount: null,
        billingCurrency: null,
        expiry: "9912",
        retrievalReference: null,
        merchantCategory: "5411",
        terminalId: "TERM0001",
        merchantId: "MERCHANT0000001",
        merchantNameLocation: "SEKISHO MART SHIBUYA     TOKYO        JP",
        originalKey: null,
        replacementAmount: null,
        networkResponseCode: null,
        partialAllowed: false,
        receivedAtMs: nowMs,
      };
    }
    return requests;
  }
}
