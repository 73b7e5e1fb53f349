import { describe, expect, test } from "bun:test";
import { parseBase2 } from "../../src/clearing/base2-parse.ts";
import { ClearingFileError } from "../../src/clearing/errors.ts";
import { BASE2_RECORD_BYTES, CLEARING_FILE_BYTES_MAX } from "../../src/clearing/limits.ts";
import { oneBatchFile, TC05_EXAMPLE, tc90, tcr0, tcr5, trailer } from "./base2-fixtures.ts";

const codes = (errors: ClearingFileError[]) => errors.map((e) => e.code);

describe("BASE II TCR 0 from the public layout", () => {
  test("a TC 05 built by hand parses to its fields", () => {
    const result = parseBase2(oneBatchFile([tcr0(TC05_EXAMPLE)], "\r\n"));
    expect(result.fileErrors).toEqual([]);
    expect(result.rejections).toEqual([]);
    expect(result.header).toEqual({ processingBin: "412345", processingDate: "2026-12-02", fileId: "001" });
    expect(result.records).toEqual([
      {
        recordNumber: 2,
        kind: "presentment",
        reversal: false,
        pan: "4111111111111111",
        amount: 1000, // ¥1,000: 000000100000 with two implied decimals
        currency: 392,
        billingAmount: null,
        billingCurrency: null,
        authorizationCode: "A1B2C3",
        purchaseDate: "2026-11-30",
        businessDate: "2026-12-01", // YDDD 6335 in the decade of 2026-12-02 (day 336)
        acquirerReferenceNumber: "74987651234567890123456",
        merchantName: "KONBINI SHIBUYA 2-CHOME",
        merchantCity: "TOKYO",
        merchantCountry: "JP",
        merchantCategoryCode: "5411",
        transactionIdentifier: null,
      },
    ]);
  });

  test("every transaction code: 05, 06, 07 and their reversals 25, 26, 27", () => {
    const all = ["05", "06", "07", "25", "26", "27"].map((code) => tcr0({ ...TC05_EXAMPLE, code }));
    const result = parseBase2(oneBatchFile(all, "\n"));
    expect(result.fileErrors).toEqual([]);
    expect(result.records.map((r) => [r.kind, r.reversal])).toEqual([
      ["presentment", false],
      ["credit", false],
      ["cash", false],
      ["presentment", true],
      ["credit", true],
      ["cash", true],
    ]);
  });

  test("another transaction code is rejected by record number and position, the rest parses", () => {
    const result = parseBase2(oneBatchFile([tcr0({ ...TC05_EXAMPLE, code: "10" }), tcr0(TC05_EXAMPLE)], "\n"));
    expect(result.rejections.map((e) => [e.code, e.recordNumber, e.position])).toEqual([["transaction_code_unknown", 2, 1]]);
    expect(result.records.map((r) => r.recordNumber)).toEqual([3]);
  });

  test("TCR 5 gives the transaction identifier (positions 5-19)", () => {
    const first = tcr0(TC05_EXAMPLE);
    const text = oneBatchFile([first], "\n").replace(`${first}\n`, `${first}\n${tcr5("05", "301234567890123")}\n`);
    // One TCR more than oneBatchFile counted: fix both trailers' TCR counts (positions 49-60).
    const fixed = text.replace(/^(91.{46})000000000002/m, "$1000000000003").replace(/^(92.{46})000000000003/m, "$1000000000004");
    const result = parseBase2(fixed);
    expect(result.fileErrors).toEqual([]);
    expect(result.records[0]!.transactionIdentifier).toBe("301234567890123");
  });

  test("a TCR 5 with no TCR 0 before it is an orphan", () => {
    const text = oneBatchFile([tcr5("05", "301234567890123")], "\n");
    const result = parseBase2(text);
    expect(result.rejections.map((e) => [e.code, e.recordNumber, e.position])).toEqual([["tcr_orphan", 2, 4]]);
  });
});

describe("BASE II amounts: two implied decimals whatever the currency", () => {
  test("JPY ¥1,000 is 000000100000; USD 10.00 is 000000001000; a billing amount in USD", () => {
    const jpy = tcr0(TC05_EXAMPLE);
    const usd = tcr0({ ...TC05_EXAMPLE, sourceAmount: "000000001000", sourceCurrency: "840" });
    const billed = tcr0({ ...TC05_EXAMPLE, destinationAmount: "000000000675", destinationCurrency: "840" });
    const result = parseBase2(oneBatchFile([jpy, usd, billed], "\n"));
    expect(result.fileErrors).toEqual([]);
    expect(result.records.map((r) => [r.amount, r.currency, r.billingAmount, r.billingCurrency])).toEqual([
      [1000, 392, null, null],
      [1000, 840, null, null],
      [1000, 392, 675, 840],
    ]);
  });

  test("JPY 1,000.50 is a fraction the yen cannot hold: rejected at the source amount", () => {
    const result = parseBase2(oneBatchFile([tcr0({ ...TC05_EXAMPLE, sourceAmount: "000000100050" }), tcr0(TC05_EXAMPLE)], "\n"));
    expect(result.fileErrors).toEqual([]);
    expect(result.rejections.map((e) => [e.code, e.recordNumber, e.position, e.field])).toEqual([["amount_fraction", 2, 77, "source_amount"]]);
    expect(result.records.map((r) => r.recordNumber)).toEqual([3]);
  });

  test("a destination amount in JPY with a fraction is rejected at position 62", () => {
    const result = parseBase2(oneBatchFile([tcr0({ ...TC05_EXAMPLE, destinationAmount: "000000000001", destinationCurrency: "392" })], "\n"));
    expect(result.rejections.map((e) => [e.code, e.position])).toEqual([["amount_fraction", 62]]);
  });

  test("a bad numeric amount names the record and position, never the PAN", () => {
    const pan = "4111111111111111";
    const result = parseBase2(oneBatchFile([tcr0(TC05_EXAMPLE), tcr0({ ...TC05_EXAMPLE, sourceAmount: "00000010O000" })], "\n"));
    const rejection = result.rejections[0]!;
    expect([rejection.code, rejection.recordNumber, rejection.position, rejection.field]).toEqual(["field_not_numeric", 3, 77, "source_amount"]);
    expect(rejection.message).toContain("record 3");
    expect(rejection.message).toContain("position 77");
    for (const error of [...result.rejections, ...result.fileErrors]) {
      expect(error.message).not.toContain(pan);
      expect(error.message).not.toContain(pan.slice(0, 6));
    }
    expect(result.records.map((r) => r.recordNumber)).toEqual([2]);
  });

  test("an unknown currency, a bad date, a bad PAN: each rejected at its position", () => {
    const bad = [
      tcr0({ ...TC05_EXAMPLE, sourceCurrency: "999" }),
      tcr0({ ...TC05_EXAMPLE, purchaseMmdd: "1332" }),
      tcr0({ ...TC05_EXAMPLE, centralYddd: "6400" }),
      tcr0({ ...TC05_EXAMPLE, pan: "41111111111A1111" }),
    ];
    const result = parseBase2(oneBatchFile(bad, "\n"));
    expect(result.rejections.map((e) => [e.code, e.recordNumber, e.position])).toEqual([
      ["currency_unknown", 2, 89],
      ["field_invalid", 3, 58],
      ["field_invalid", 4, 164],
      ["pan_invalid", 5, 5],
    ]);
  });
});

test("a central processing date of 0000 is the header's processing date", () => {
  const result = parseBase2(oneBatchFile([tcr0({ ...TC05_EXAMPLE, centralYddd: "0000" })], "\n"));
  expect(result.records.map((r) => r.businessDate)).toEqual(["2026-12-02"]);
});

describe("BASE II PAN in account number and extension", () => {
  test("16 digits with a zero-filled extension; 19 digits; 13 digits padded with spaces", () => {
    const result = parseBase2(
      oneBatchFile(
        [
          tcr0(TC05_EXAMPLE),
          tcr0({ ...TC05_EXAMPLE, pan: "4000000000000000", extension: "006" }), // 4000000000000000006 (19, Luhn)
          tcr0({ ...TC05_EXAMPLE, pan: "4222222222222", extension: "" }),
        ],
        "\n",
      ),
    );
    expect(result.rejections).toEqual([]);
    expect(result.records.map((r) => r.pan)).toEqual(["4111111111111111", "4000000000000000006", "4222222222222"]);
  });
});

describe("BASE II line styles and record lengths", () => {
  const records = [tcr0(TC05_EXAMPLE), tcr0({ ...TC05_EXAMPLE, code: "26" })];

  test("CR LF lines, LF lines, no final line break, and a fixed-length stream parse alike", () => {
    const crlf = parseBase2(oneBatchFile(records, "\r\n"));
    expect(crlf.fileErrors).toEqual([]);
    expect(crlf.records).toHaveLength(2);
    for (const text of [oneBatchFile(records, "\n"), oneBatchFile(records, "\n").slice(0, -1), oneBatchFile(records, "")]) {
      const result = parseBase2(text);
      expect(result.fileErrors).toEqual([]);
      expect(result.records).toEqual(crlf.records);
    }
    const bytes = new TextEncoder().encode(oneBatchFile(records, ""));
    expect(bytes.length).toBe(5 * BASE2_RECORD_BYTES);
    expect(parseBase2(bytes).records).toEqual(crlf.records);
  });

  test("a record one byte too long or too short is rejected with the position where it goes wrong", () => {
    const text = oneBatchFile([`${records[0]!}X`, records[1]!.slice(0, 167)], "\n");
    const result = parseBase2(text);
    expect(result.rejections.map((e) => [e.code, e.recordNumber, e.position])).toEqual([
      ["record_length", 2, 169],
      ["record_length", 3, 168],
    ]);
  });

  test("a stream that is not a whole number of records is a file error", () => {
    const result = parseBase2(oneBatchFile(records, "").slice(0, -1));
    expect(codes(result.fileErrors)).toEqual(["stream_length"]);
    expect(result.records).toEqual([]);
  });

  test("bounds: an empty file, a file over the byte maximum", () => {
    expect(codes(parseBase2("").fileErrors)).toEqual(["file_empty"]);
    expect(codes(parseBase2(new Uint8Array(CLEARING_FILE_BYTES_MAX + 1)).fileErrors)).toEqual(["file_too_large"]);
  });
});

describe("BASE II header and trailers: counts and totals checked both ways", () => {
  const one = tcr0(TC05_EXAMPLE); // source 100000, destination 0
  const base = { bin: "412345", yyddd: "26336", destinationAmount: 0, sourceAmount: 100000, monetary: 1 };
  const batch = { ...base, batchNumberOrCount: 1, tcrs: 2, transactions: 2 };
  const file = { ...base, batchNumberOrCount: 1, tcrs: 3, transactions: 3 };
  const build = (b: typeof batch, f: typeof file) => [tc90("412345", "26336", "001"), one, trailer("91", b), trailer("92", f)].join("\n");

  test("right counts and totals: no file error", () => {
    expect(parseBase2(build(batch, file)).fileErrors).toEqual([]);
  });

  test("each wrong count or total is a file error naming the trailer's record and field", () => {
    const cases: [typeof batch, typeof file, ClearingFileError["code"], number, number][] = [
      [{ ...batch, tcrs: 3 }, file, "count_mismatch", 3, 49],
      [{ ...batch, transactions: 1 }, file, "count_mismatch", 3, 75],
      [{ ...batch, monetary: 2 }, file, "count_mismatch", 3, 31],
      [{ ...batch, sourceAmount: 100001 }, file, "amount_total_mismatch", 3, 102],
      [{ ...batch, destinationAmount: 5 }, file, "amount_total_mismatch", 3, 16],
      [batch, { ...file, tcrs: 2 }, "count_mismatch", 4, 49],
      [batch, { ...file, batchNumberOrCount: 2 }, "count_mismatch", 4, 43],
      [batch, { ...file, sourceAmount: 99999 }, "amount_total_mismatch", 4, 102],
      [batch, { ...file, bin: "412346" }, "trailer_invalid", 4, 5],
    ];
    for (const [b, f, code, recordNumber, position] of cases) {
      const result = parseBase2(build(b, f));
      expect(result.fileErrors.map((e) => [e.code, e.recordNumber, e.position])).toEqual([[code, recordNumber, position]]);
      expect(result.records).toHaveLength(1); // the records still parse
    }
  });

  test("a missing header, a missing trailer, records after the trailer, records outside a batch", () => {
    const [header, record, batchTrailer, fileTrailer] = build(batch, file).split("\n") as [string, string, string, string];
    expect(codes(parseBase2([record, batchTrailer, fileTrailer].join("\n")).fileErrors)).toEqual(["header_missing"]);
    expect(codes(parseBase2([header, record, batchTrailer].join("\n")).fileErrors)).toEqual(["trailer_missing"]);
    expect(codes(parseBase2([header, record, batchTrailer, fileTrailer, record].join("\n")).fileErrors)).toEqual(["record_after_trailer"]);
    const unbatched = parseBase2([header, record, trailer("92", { ...file, batchNumberOrCount: 0, tcrs: 2, transactions: 2 })].join("\n"));
    expect(codes(unbatched.fileErrors)).toEqual(["batch_trailer_missing"]);
  });

  test("a header whose processing date is not a day is a file error at its position", () => {
    const result = parseBase2(build(batch, file).replace("9041234526336", "9041234526399"));
    expect(result.fileErrors.map((e) => [e.code, e.position])).toEqual([["header_invalid", 9]]);
  });

  test("a trailer field that is not digits is trailer_invalid at its position", () => {
    const text = build(batch, file).replace(trailer("91", batch), trailer("91", batch).slice(0, 30) + "00000000000X" + trailer("91", batch).slice(42));
    expect(parseBase2(text).fileErrors.map((e) => [e.code, e.recordNumber, e.position])).toEqual([["trailer_invalid", 3, 31]]);
  });
});
