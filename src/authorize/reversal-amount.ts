import { AssertionFailure } from "../ops/assert.ts";

/**
 * DE 95 states what stays authorized in the transaction's currency; the hold is in the account's. When the
 * two differ (the original carried a billing amount, DE 6), the remaining amount is converted at the
 * original's own rate, rounding down, in integers wide enough for any two twelve-digit amounts.
 */
export function remainingInAccountCurrency(replacement: number, requestAmount: number, accountAmount: number): number {
  if (replacement >= requestAmount) return accountAmount;
  if (requestAmount === accountAmount) return replacement;
  const remaining = Number((BigInt(accountAmount) * BigInt(replacement)) / BigInt(requestAmount));
  if (!(remaining >= 0 && remaining <= accountAmount)) throw new AssertionFailure("converted remainder out of range");
  return remaining;
}
