import { describe, expect, test } from "bun:test";
import { parseJsonl } from "../../src/clearing/jsonl.ts";
import { JSONL_LINE_BYTES_MAX } from "../../src/clearing/limits.ts";

const PAN = "4111111111111111";
const LINE = {
  kind: "presentment",
  reversal: false,
  pan: PAN,
  amount: 1000,
  currency: "JPY",
  authorization_code: "A1B2C3",
  purchase_date: "2026-11-30",
  business_date: "2026-12-01",
  acquirer_reference_number: "74987651234567890123456",
  merchant_name: "KONBINI SHIBUYA",
  merchant_city: "TOKYO",
  merchant_country: "JP",
  merchant_category_code: "5411",
  transaction_identifier: "301234567890123",
};

const line = (changes: Record<string, unknown>) => JSON.stringify({ ...LINE, ...changes });

describe("JSON Lines clearing records", () => {
  test("a line parses to a ClearingRecord; optional fields may be absent; CR LF and blank lines are fine", () => {
    const { transaction_identifier: _, authorization_code: __, ...bare } = LINE;
    const result = parseJsonl(`${JSON.stringify(LINE)}\r\n\r\n${JSON.stringify({ ...bare, billing_amount: 675, billing_currency: "USD" })}\n`);
    expect(result.fileErrors).toEqual([]);
    expect(result.rejections).toEqual([]);
    expect(result.records[0]).toEqual({
      recordNumber: 1,
      kind: "presentment",
      reversal: false,
      pan: PAN,
      amount: 1000,
      currency: 392,
      billingAmount: null,
      billingCurrency: null,
      authorizationCode: "A1B2C3",
      purchaseDate: "2026-11-30",
      businessDate: "2026-12-01",
      acquirerReferenceNumber: "74987651234567890123456",
      merchantName: "KONBINI SHIBUYA",
      merchantCity: "TOKYO",
      merchantCountry: "JP",
      merchantCategoryCode: "5411",
      transactionIdentifier: "301234567890123",
    });
    expect(result.records[1]).toMatchObject({ recordNumber: 3, billingAmount: 675, billingCurrency: 840, authorizationCode: null, transactionIdentifier: null });
  });

  test("each bad line is rejected by line number and field, never with the PAN; the rest parses", () => {
    const lines = [
      JSON.stringify(LINE),
      `{"kind": "presentment", "pan": "${PAN}"`, // not JSON
      line({ amount: 10.5 }),
      line({ currency: "XXX" }),
      line({ pan: `${PAN}X` }),
      line({ business_date: "2026-02-30" }),
      line({ billing_amount: 5 }),
      line({ [PAN]: 1 }),
      line({ kind: "refund" }),
      "x".repeat(JSONL_LINE_BYTES_MAX + 1),
      "[]",
    ];
    const result = parseJsonl(lines.join("\n"));
    expect(result.records.map((r) => r.recordNumber)).toEqual([1]);
    expect(result.rejections.map((e) => [e.code, e.recordNumber, e.field])).toEqual([
      ["jsonl_syntax", 2, null],
      ["field_invalid", 3, "amount"],
      ["field_invalid", 4, "currency"],
      ["field_invalid", 5, "pan"],
      ["field_invalid", 6, "business_date"],
      ["field_invalid", 7, "billing_currency"],
      ["field_invalid", 8, null],
      ["field_invalid", 9, "kind"],
      ["line_too_long", 10, null],
      ["field_invalid", 11, null],
    ]);
    for (const e of result.rejections) {
      expect(e.message).toContain(`record ${e.recordNumber}`);
      expect(e.message).not.toContain(PAN);
      expect(e.message).not.toContain(PAN.slice(0, 8));
    }
  });

  test("an empty file is a file error", () => {
    expect(parseJsonl("\n\n").fileErrors.map((e) => e.code)).toEqual(["file_empty"]);
  });
});
