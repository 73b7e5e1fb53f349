import type { CardLimits } from "../domain/card-limits.ts";
import { LedgerError } from "./ledger.ts";
import { isPositiveMinor } from "./money.ts";

/**
 * Program defaults for per-card limits. A card stores only the limits set on it; the others follow the
 * program, so changing a default reaches every card that never had its own.
 */
export const DEFAULT_CARD_LIMITS: CardLimits = {
  perTransactionMax: 1_000_000, // ¥1,000,000 in JPY minor units
  perDayAmountMax: 2_000_000,
  perDayCountMax: 100,
};

export const DAY_COUNT_MAX = 1_000_000;

export type LimitOverrides = { [K in keyof CardLimits]: number | null };

export function effectiveLimits(overrides: LimitOverrides, defaults: CardLimits): CardLimits {
  return {
    perTransactionMax: overrides.perTransactionMax ?? defaults.perTransactionMax,
    perDayAmountMax: overrides.perDayAmountMax ?? defaults.perDayAmountMax,
    perDayCountMax: overrides.perDayCountMax ?? defaults.perDayCountMax,
  };
}

/** Checks a patch of limits from the API: positive integers, counts bounded. */
export function validateLimits(patch: Partial<CardLimits> | undefined): Partial<CardLimits> {
  if (patch === undefined) return {};
  for (const name of ["perTransactionMax", "perDayAmountMax"] as const) {
    const value = patch[name];
    if (value !== undefined && !isPositiveMinor(value)) throw new LedgerError("invalid_input", `${name} must be a positive integer amount`);
  }
  const count = patch.perDayCountMax;
  if (count !== undefined && !(Number.isSafeInteger(count) && count > 0 && count <= DAY_COUNT_MAX)) {
    throw new LedgerError("invalid_input", `perDayCountMax must be an integer from 1 to ${DAY_COUNT_MAX}`);
  }
  return patch;
}
