import { maskPan } from "../iso8583/sensitive.ts";
import { isUnavailable, type ApiClient, type ApiLimits } from "./api-client.ts";
import type { AccountSnapshot, CardLimits, CardSeed } from "./card-book.ts";
import type { CardPlan } from "./card-plan.ts";

/**
 * Filling the card book through the Processor API before a run (user → card → top-up → status), and the
 * cross-check after it: every user's balances, read back through the API, must equal the model's.
 * A bounded number of calls is in flight at once, so seeding thousands of users does not flood the API.
 */
export const API_CONCURRENCY_DEFAULT = 8;

export async function seedThroughApi(
  client: ApiClient,
  plans: readonly CardPlan[],
  options: { runTag: string; concurrency?: number; onSeeded?: (seeded: number) => void },
): Promise<CardSeed[]> {
  const seeds: CardSeed[] = new Array(plans.length);
  let seeded = 0;
  await forEachBounded(plans.length, options.concurrency ?? API_CONCURRENCY_DEFAULT, async (i) => {
    const plan = plans[i]!;
    const user = await client.createUser({ external_id: `sim-${options.runTag}-${i}`, name: `Sim cardholder ${i}` });
    const card = await client.createCard(user.id, { expiry: plan.expiry, limits: toApiLimits(plan.limits) });
    if (typeof card.pan !== "string") throw new Error(`POST /v1/users/${user.id}/cards: no pan in the answer`);
    await client.topUp(user.id, plan.topUpAmount, `sim-${options.runTag}-${i}-topup`);
    if (plan.status !== "active") await client.updateCard(card.id, { status: plan.status });
    seeds[i] = {
      pan: card.pan,
      expiry: card.expiry,
      status: plan.status,
      role: plan.role,
      limits: plan.limits,
      availableBalance: plan.topUpAmount,
      ledgerBalance: plan.topUpAmount,
      userId: user.id,
      cardId: card.id,
    };
    seeded++;
    options.onSeeded?.(seeded);
  });
  return seeds;
}

function toApiLimits(limits: CardLimits): ApiLimits {
  return {
    per_transaction_max: limits.perTransactionMax,
    per_day_amount_max: limits.perDayAmountMax,
    per_day_count_max: limits.perDayCountMax,
  };
}

export interface LedgerMismatch {
  readonly user_id: string | null;
  readonly pan_masked: string;
  readonly field: "available_balance" | "ledger_balance" | "held_amount";
  readonly expected: number;
  readonly actual: number;
}

export interface LedgerCheckResult {
  /** No mismatch (true) or some (false); null: none found, but some accounts could not be read (not checked). */
  readonly consistent: boolean | null;
  readonly accounts_checked: number;
  /** Accounts left out: an unanswered request left their balance unknown. */
  readonly accounts_skipped: number;
  /** Accounts not checked: the API stayed unavailable (503) through every retry of reading them. */
  readonly accounts_unavailable?: number;
  readonly mismatch_count: number;
  /** The first few mismatches. */
  readonly mismatches: LedgerMismatch[];
}

export const MISMATCH_EXAMPLES_MAX = 10;

/** Compares one account's expected balances with the ones read back; pushes what differs. */
export function compareBalances(
  expected: AccountSnapshot,
  actual: { available_balance: number; ledger_balance: number; held_amount: number },
  out: LedgerMismatch[],
): number {
  let count = 0;
  const pairs = [
    ["available_balance", expected.availableBalance, actual.available_balance],
    ["ledger_balance", expected.ledgerBalance, actual.ledger_balance],
    ["held_amount", expected.heldAmount, actual.held_amount],
  ] as const;
  for (const [field, want, got] of pairs) {
    if (want === got) continue;
    count++;
    if (out.length < MISMATCH_EXAMPLES_MAX) {
      out.push({ user_id: expected.userId, pan_masked: maskPan(expected.pan), field, expected: want, actual: got });
    }
  }
  return count;
}

export async function crossCheckThroughApi(
  client: ApiClient,
  accounts: readonly AccountSnapshot[],
  concurrency = API_CONCURRENCY_DEFAULT,
): Promise<LedgerCheckResult> {
  const mismatches: LedgerMismatch[] = [];
  const checkable = accounts.filter((account) => account.userId !== null && !account.uncertain);
  let mismatchCount = 0;
  let unavailable = 0;
  await forEachBounded(checkable.length, concurrency, async (i) => {
    const account = checkable[i]!;
    let user;
    try {
      user = await client.getUser(account.userId!);
    } catch (error) {
      // The client retried the 503 already: the account is not checked, which says nothing of its balance.
      if (!isUnavailable(error)) throw error;
      unavailable++;
      return;
    }
    mismatchCount += compareBalances(account, user.account, mismatches);
  });
  return {
    consistent: mismatchCount > 0 ? false : unavailable > 0 ? null : true,
    accounts_checked: checkable.length - unavailable,
    accounts_skipped: accounts.length - checkable.length,
    accounts_unavailable: unavailable,
    mismatch_count: mismatchCount,
    mismatches,
  };
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` running; the first failure rejects. */
export async function forEachBounded(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < count) {
      const i = next++;
      try {
        await task(i);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}
