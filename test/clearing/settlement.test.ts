import { describe, expect, test } from "bun:test";
import type { ClearingRecord } from "../../src/clearing/record.ts";
import { settle } from "../../src/clearing/settlement.ts";

let next = 1;
function record(kind: ClearingRecord["kind"], reversal: boolean, amount: number, more: Partial<ClearingRecord> = {}): ClearingRecord {
  return {
    recordNumber: next++,
    kind,
    reversal,
    pan: "4111111111111111",
    amount,
    currency: 392,
    billingAmount: null,
    billingCurrency: null,
    authorizationCode: null,
    purchaseDate: "2026-11-30",
    businessDate: "2026-12-01",
    acquirerReferenceNumber: "74987651234567890123456",
    merchantName: "M",
    merchantCity: "C",
    merchantCountry: "JP",
    merchantCategoryCode: "5411",
    transactionIdentifier: null,
    ...more,
  };
}

describe("settlement", () => {
  test("per business date and currency: purchases + cash − credits, reversals taking out their originals", () => {
    const lines = settle([
      record("presentment", false, 1000),
      record("presentment", false, 2500),
      record("presentment", true, 1000), // reverses the first
      record("cash", false, 10000),
      record("cash", true, 4000), // a partial reversal
      record("credit", false, 700),
      record("credit", true, 200),
      record("presentment", false, 1200, { currency: 840 }), // another currency, same day
      record("presentment", false, 300, { businessDate: "2026-11-30" }), // an earlier day
      record("presentment", false, 999, { currency: 392, billingAmount: 650, billingCurrency: 840 }), // billed in USD
    ]);
    expect(lines).toEqual([
      { businessDate: "2026-11-30", currency: 392, purchases: 300, cash: 0, credits: 0, purchaseReversals: 0, cashReversals: 0, creditReversals: 0, net: 300, records: 1 },
      {
        businessDate: "2026-12-01",
        currency: 392,
        purchases: 2500,
        cash: 6000,
        credits: 500,
        purchaseReversals: 1000,
        cashReversals: 4000,
        creditReversals: 200,
        net: 2500 + 6000 - 500,
        records: 7,
      },
      { businessDate: "2026-12-01", currency: 840, purchases: 1850, cash: 0, credits: 0, purchaseReversals: 0, cashReversals: 0, creditReversals: 0, net: 1850, records: 2 },
    ]);
  });

  test("credits above purchases: the network owes the issuer (a negative net); no records, no lines", () => {
    expect(settle([record("credit", false, 500), record("presentment", false, 100)])[0]!.net).toBe(-400);
    expect(settle([])).toEqual([]);
  });
});
