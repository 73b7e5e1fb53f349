import type { AccountSnapshot, CardSeed } from "../../src/sim/card-book.ts";
import { planCards, syntheticPan } from "../../src/sim/card-plan.ts";
import { SeededRandom } from "../../src/sim/random.ts";
import type { LedgerCheckResult } from "../../src/sim/api-seed.ts";
import { compareBalances, type LedgerMismatch } from "../../src/sim/api-seed.ts";
import type { FakeCard, FakeProcessor } from "./fake-processor.ts";

/** Cards as the API would have issued them (same plan), with synthetic PANs; the same for the fake processor. */
export function testCards(count: number, seed: number): { seeds: CardSeed[]; fake: FakeCard[] } {
  const random = new SeededRandom(seed);
  const plans = planCards(count, random, Date.now());
  const seeds: CardSeed[] = plans.map((plan) => ({
    pan: syntheticPan("411111", 16, random),
    expiry: plan.expiry,
    status: plan.status,
    role: plan.role,
    limits: plan.limits,
    availableBalance: plan.topUpAmount,
  }));
  const fake: FakeCard[] = seeds.map((seed) => ({
    pan: seed.pan,
    expiry: seed.expiry,
    status: seed.status ?? "active",
    limits: { ...plans[0]!.limits, ...seed.limits } as FakeCard["limits"],
    available: seed.availableBalance,
    ledger: seed.availableBalance,
    day: 0,
    dayAmount: 0,
    dayCount: 0,
  }));
  return { seeds, fake };
}

/** The cross-check against the fake processor's in-memory ledger. */
export function fakeLedgerCheck(fake: FakeProcessor) {
  return async (accounts: readonly AccountSnapshot[]): Promise<LedgerCheckResult> => {
    const mismatches: LedgerMismatch[] = [];
    let count = 0;
    let checked = 0;
    for (const account of accounts) {
      if (account.uncertain) continue;
      checked++;
      count += compareBalances(account, fake.balances(account.pan), mismatches);
    }
    return { consistent: count === 0, accounts_checked: checked, accounts_skipped: accounts.length - checked, mismatch_count: count, mismatches };
  };
}
