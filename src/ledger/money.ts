import { AssertionFailure } from "../ops/assert.ts";

/**
 * Money is an integer number of minor units. Sums are asserted to stay integers well inside the range a
 * double holds exactly: a balance outside it is a programmer error, not a business outcome.
 */
export const MINOR_AMOUNT_MAX = 999_999_999_999_999; // 10^15 − 1, three digits of headroom under 2^53

export function assertMinor(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || Math.abs(value) > MINOR_AMOUNT_MAX) {
    throw new AssertionFailure(`${what} is not an amount in minor units (${value})`);
  }
  return value;
}

export function addMinor(a: number, b: number, what: string): number {
  return assertMinor(assertMinor(a, what) + assertMinor(b, what), what);
}

export function isPositiveMinor(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0 && value <= MINOR_AMOUNT_MAX;
}
