import { describe, expect, test } from "bun:test";
import { parseBase2 } from "../../src/clearing/base2-parse.ts";
import { writeBase2File } from "../../src/clearing/base2-write.ts";
import { isAmbiguousPan } from "../../src/clearing/base2-fields.ts";
import { parseJsonl, toJsonLine } from "../../src/clearing/jsonl.ts";
import { CLEARING_KINDS, type ClearingTransaction } from "../../src/clearing/record.ts";
import { CURRENCIES } from "../../src/domain/currency.ts";
import { luhnCheckDigit } from "../../src/domain/luhn.ts";
import { SeededRandom, seedFromEnvironment } from "../../src/sim/random.ts";

const PROCESSING_DATE = "2026-12-02";
const PRINTABLE = " ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-&'./";

function text(random: SeededRandom, lengthMax: number): string {
  let s = "";
  for (let i = random.int(1, lengthMax); i > 0; i--) s += random.pick([...PRINTABLE]);
  return s.trim() === "" ? "X" : s.trimEnd();
}

function pan(random: SeededRandom): string {
  for (;;) {
    const payload = `4${random.digits(random.pick([12, 15, 15, 15, 18]) - 1)}`;
    const candidate = payload + luhnCheckDigit(payload);
    if (!isAmbiguousPan(candidate)) return candidate;
  }
}

function isoDaysBefore(iso: string, days: number): string {
  return new Date(Date.parse(iso) - days * 86_400_000).toISOString().slice(0, 10);
}

/** An amount in minor units whose BASE II form fits 12 digits, for a currency of exponent 0 or 2. */
function amount(random: SeededRandom, exponent: number): number {
  return random.chance(0.1) ? 0 : random.int(1, exponent === 0 ? 9_999_999_999 : 999_999_999);
}

export function randomTransaction(random: SeededRandom): ClearingTransaction {
  const currency = random.pick(CURRENCIES);
  const billing = random.chance(0.5) ? random.pick(CURRENCIES) : null;
  const businessDate = isoDaysBefore(PROCESSING_DATE, random.int(0, 3000));
  return {
    kind: random.pick(CLEARING_KINDS),
    reversal: random.chance(0.3),
    pan: pan(random),
    amount: amount(random, currency.exponent),
    currency: currency.numeric,
    billingAmount: billing === null ? null : amount(random, billing.exponent),
    billingCurrency: billing?.numeric ?? null,
    authorizationCode: random.chance(0.2) ? null : random.digits(6),
    purchaseDate: isoDaysBefore(PROCESSING_DATE, random.int(0, 360)),
    businessDate,
    acquirerReferenceNumber: random.digits(23),
    merchantName: text(random, 25),
    merchantCity: text(random, 13),
    merchantCountry: random.pick(["JP", "US", "GB", "SG"]),
    merchantCategoryCode: random.digits(4),
    transactionIdentifier: random.chance(0.5) ? random.digits(15) : null,
  };
}

describe("writer ↔ parser round trip", () => {
  const seed = seedFromEnvironment();

  test(`random BASE II files read back as written (seed ${seed}; replay with SEKISHO_SEED)`, () => {
    const random = new SeededRandom(seed);
    for (let file = 0; file < 40; file++) {
      const transactions = Array.from({ length: random.int(0, 60) }, () => randomTransaction(random));
      const lineEnding = random.pick(["\r\n", "\n", ""] as const);
      const batchTransactionsMax = random.int(1, 25);
      const written = writeBase2File(transactions, { processingBin: "412345", processingDate: PROCESSING_DATE, fileId: file, lineEnding, batchTransactionsMax });
      const result = parseBase2(written);
      expect(result.fileErrors).toEqual([]);
      expect(result.rejections).toEqual([]);
      expect(result.records.map(({ recordNumber: _, ...rest }) => rest)).toEqual(transactions);
    }
  });

  test(`random JSON Lines read back as written (seed ${seed})`, () => {
    const random = new SeededRandom(seed ^ 0x5a5a5a5a);
    const transactions = Array.from({ length: 200 }, () => randomTransaction(random));
    const result = parseJsonl(transactions.map(toJsonLine).join("\n"));
    expect(result.fileErrors).toEqual([]);
    expect(result.rejections).toEqual([]);
    expect(result.records.map(({ recordNumber: _, ...rest }) => rest)).toEqual(transactions);
  });

  test("the writer's records follow the hand-built layout: the same transaction, the same TCR 0", () => {
    const t: ClearingTransaction = {
      kind: "cash",
      reversal: true,
      pan: "4111111111111111",
      amount: 1000,
      currency: 392,
      billingAmount: 675,
      billingCurrency: 840,
      authorizationCode: "A1B2C3",
      purchaseDate: "2026-11-30",
      businessDate: "2026-12-01",
      acquirerReferenceNumber: "74987651234567890123456",
      merchantName: "KONBINI SHIBUYA 2-CHOME",
      merchantCity: "TOKYO",
      merchantCountry: "JP",
      merchantCategoryCode: "6011",
      transactionIdentifier: null,
    };
    const tcr0 = writeBase2File([t], { processingBin: "412345", processingDate: PROCESSING_DATE, fileId: 1, lineEnding: "\n" }).split("\n")[1]!;
    expect(tcr0).toHaveLength(168);
    expect(tcr0.slice(0, 4)).toBe("2700"); // 1-4
    expect(tcr0.slice(4, 23)).toBe("4111111111111111000"); // 5-23
    expect(tcr0.slice(26, 49)).toBe("74987651234567890123456"); // 27-49
    expect(tcr0.slice(57, 61)).toBe("1130"); // 58-61
    expect(tcr0.slice(61, 76)).toBe("000000000675840"); // 62-76
    expect(tcr0.slice(76, 91)).toBe("000000100000392"); // 77-91
    expect(tcr0.slice(91, 116)).toBe("KONBINI SHIBUYA 2-CHOME  "); // 92-116
    expect(tcr0.slice(116, 129)).toBe("TOKYO        "); // 117-129
    expect(tcr0.slice(129, 136)).toBe("JP 6011"); // 130-136
    expect(tcr0.slice(151, 157)).toBe("A1B2C3"); // 152-157
    expect(tcr0.slice(163, 167)).toBe("6335"); // 164-167
  });

  test("the writer refuses what it cannot write: a field too long, a date after processing, no PAN", () => {
    const random = new SeededRandom(7);
    const t = randomTransaction(random);
    const options = { processingBin: "412345", processingDate: PROCESSING_DATE, fileId: 1, lineEnding: "\n" } as const;
    expect(() => writeBase2File([{ ...t, merchantName: "X".repeat(26) }], options)).toThrow(RangeError);
    expect(() => writeBase2File([{ ...t, businessDate: "2026-12-03" }], options)).toThrow(RangeError);
    expect(() => writeBase2File([{ ...t, pan: "4111" }], options)).toThrow(RangeError);
  });
});
