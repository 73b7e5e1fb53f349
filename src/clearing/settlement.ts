import { ClearingFileError } from "./errors.ts";
import type { ClearingKind, ClearingRecord } from "./record.ts";

/**
 * What the issuer owes the network for one business date in one currency, with its parts, all in minor
 * units. Each part is the sum of its records less the sum of their reversals; `net` is purchases + cash −
 * credits. A negative net means the network owes the issuer.
 */
export interface SettlementLine {
  readonly businessDate: string;
  /** ISO 4217 numeric: the billing (destination) currency when the record gives one, else the transaction's. */
  readonly currency: number;
  readonly purchases: number;
  readonly cash: number;
  readonly credits: number;
  /** The reversals already taken out of the three parts above, for the report. */
  readonly purchaseReversals: number;
  readonly cashReversals: number;
  readonly creditReversals: number;
  readonly net: number;
  readonly records: number;
}

interface Sums {
  gross: Record<ClearingKind, bigint>;
  reversed: Record<ClearingKind, bigint>;
  records: number;
}

function safe(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new ClearingFileError("total_overflow", { recordNumber: null }, "a settlement total beyond 2^53");
  }
  return Number(value);
}

function line(businessDate: string, currency: number, sums: Sums): SettlementLine {
  const part = (kind: ClearingKind) => sums.gross[kind] - sums.reversed[kind];
  return {
    businessDate,
    currency,
    purchases: safe(part("presentment")),
    cash: safe(part("cash")),
    credits: safe(part("credit")),
    purchaseReversals: safe(sums.reversed.presentment),
    cashReversals: safe(sums.reversed.cash),
    creditReversals: safe(sums.reversed.credit),
    net: safe(part("presentment") + part("cash") - part("credit")),
    records: sums.records,
  };
}

/**
 * The settlement of accepted records, one line per business date and currency, sorted by date then
 * currency. The amount settled is the billing amount when the record carries one (what the network charges
 * the issuer in its settlement currency), else the transaction amount.
 */
export function settle(records: readonly ClearingRecord[]): SettlementLine[] {
  const groups = new Map<string, { businessDate: string; currency: number; sums: Sums }>();
  for (const r of records) {
    const billed = r.billingAmount !== null && r.billingCurrency !== null;
    const currency = billed ? r.billingCurrency! : r.currency;
    const amount = BigInt(billed ? r.billingAmount! : r.amount);
    const key = `${r.businessDate}/${currency}`;
    let group = groups.get(key);
    if (group === undefined) {
      const zero = () => ({ presentment: 0n, cash: 0n, credit: 0n });
      group = { businessDate: r.businessDate, currency, sums: { gross: zero(), reversed: zero(), records: 0 } };
      groups.set(key, group);
    }
    (r.reversal ? group.sums.reversed : group.sums.gross)[r.kind] += amount;
    group.sums.records += 1;
  }
  return [...groups.values()]
    .sort((a, b) => (a.businessDate === b.businessDate ? a.currency - b.currency : a.businessDate < b.businessDate ? -1 : 1))
    .map((g) => line(g.businessDate, g.currency, g.sums));
}
