import { transactionKey } from "../authorize/transaction-key.ts";
import type { AuthorizationRequest, Ledger } from "../ledger/ledger.ts";

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

export class PurchaseSource {
  private counter = 0;
  private readonly pans: string[];

  /** `acquirer` keeps the keys of several sources (instances) apart. */
  constructor(
    cards: number,
    private readonly acquirer = "12345678",
  ) {
    if (cards % CARD_STRIDE === 0) throw new Error(`assertion: the card count must not be a multiple of ${CARD_STRIDE}`);
    this.pans = Array.from({ length: cards }, (_, i) => benchPan(i));
  }

  batch(size: number, nowMs: number): AuthorizationRequest[] {
    const requests = new Array<AuthorizationRequest>(size);
    const acquirer = this.acquirer;
    for (let i = 0; i < size; i++) {
      const n = this.counter++;
      const stan = String(n % 1_000_000).padStart(6, "0");
      const transmissionDateTime = String(1126000000 + Math.floor(n / 1_000_000)).padStart(10, "0");
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
