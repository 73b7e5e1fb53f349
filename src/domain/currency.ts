/**
 * ISO 4217 codes the API shows. The ledger keeps the numeric code (DE 49 speaks it too); the program sees
 * the alphabetic one. Amounts are integers in minor units: `exponent` says how many digits of the amount
 * are below the major unit (JPY has none, so ¥1000 is 1000; USD 10.00 is 1000).
 */
export interface CurrencyInfo {
  readonly alpha: string;
  readonly numeric: number;
  readonly exponent: number;
}

export const CURRENCIES: readonly CurrencyInfo[] = [
  { alpha: "JPY", numeric: 392, exponent: 0 },
  { alpha: "USD", numeric: 840, exponent: 2 },
  { alpha: "EUR", numeric: 978, exponent: 2 },
  { alpha: "GBP", numeric: 826, exponent: 2 },
  { alpha: "KRW", numeric: 410, exponent: 0 },
  { alpha: "SGD", numeric: 702, exponent: 2 },
  { alpha: "HKD", numeric: 344, exponent: 2 },
  { alpha: "AUD", numeric: 36, exponent: 2 },
];

export const CURRENCY_ALPHAS = CURRENCIES.map((c) => c.alpha) as [string, ...string[]];

const byNumeric = new Map(CURRENCIES.map((c) => [c.numeric, c]));
const byAlpha = new Map(CURRENCIES.map((c) => [c.alpha, c]));

export function currencyByNumeric(numeric: number): CurrencyInfo | undefined {
  return byNumeric.get(numeric);
}

export function currencyByAlpha(alpha: string): CurrencyInfo | undefined {
  return byAlpha.get(alpha);
}

/**
 * The alphabetic code, or the three-digit numeric code for a currency outside the table (a purchase abroad
 * can carry any DE 49), so that history never fails to render.
 */
export function currencyAlpha(numeric: number): string {
  return byNumeric.get(numeric)?.alpha ?? String(numeric).padStart(3, "0");
}
