/**
 * BASE II records built by hand from the public layout (positions in docs/clearing.md, "Formats"), not by
 * src/clearing: each piece says the positions it fills, and every record is checked to be 168 bytes.
 */

/** `text` left-justified in `length` (alphanumeric), or right-justified with zeros when `zeros`. */
export function pad(text: string | number, length: number, zeros = false): string {
  const s = String(text);
  if (s.length > length) throw new RangeError(`${s.length} > ${length}`);
  return zeros ? s.padStart(length, "0") : s.padEnd(length, " ");
}

function whole(pieces: string[]): string {
  const record = pieces.join("");
  if (record.length !== 168) throw new RangeError(`fixture is ${record.length} bytes`);
  return record;
}

export interface Tcr0Fixture {
  code: string;
  pan: string;
  extension: string;
  arn: string;
  purchaseMmdd: string;
  destinationAmount: string;
  destinationCurrency: string;
  sourceAmount: string;
  sourceCurrency: string;
  merchantName: string;
  merchantCity: string;
  country: string;
  mcc: string;
  authorizationCode: string;
  centralYddd: string;
}

export const TC05_EXAMPLE: Tcr0Fixture = {
  code: "05",
  pan: "4111111111111111",
  extension: "000",
  arn: "74987651234567890123456",
  purchaseMmdd: "1130",
  destinationAmount: "000000000000",
  destinationCurrency: "   ",
  sourceAmount: "000000100000",
  sourceCurrency: "392",
  merchantName: "KONBINI SHIBUYA 2-CHOME",
  merchantCity: "TOKYO",
  country: "JP",
  mcc: "5411",
  authorizationCode: "A1B2C3",
  centralYddd: "6335",
};

export function tcr0(f: Tcr0Fixture): string {
  return whole([
    f.code, //                          1-2   transaction code
    "0", //                             3     transaction code qualifier
    "0", //                             4     TCR number
    pad(f.pan, 16), //                  5-20  account number
    pad(f.extension, 3), //             21-23 account number extension
    "Z", //                             24    floor limit indicator
    " ", //                             25    CRB/exception file indicator
    "N", //                             26    PCAS indicator
    f.arn, //                           27-49 acquirer reference number
    "12345678", //                      50-57 acquirer's business ID
    f.purchaseMmdd, //                  58-61 purchase date MMDD
    f.destinationAmount, //             62-73 destination amount
    f.destinationCurrency, //           74-76 destination currency code
    f.sourceAmount, //                  77-88 source amount
    f.sourceCurrency, //                89-91 source currency code
    pad(f.merchantName, 25), //         92-116 merchant name
    pad(f.merchantCity, 13), //         117-129 merchant city
    pad(f.country, 3), //               130-132 merchant country code
    f.mcc, //                           133-136 merchant category code
    "15000", //                         137-141 merchant ZIP code
    "   ", //                           142-144 merchant state/province code
    " ", //                             145   requested payment service
    " ", //                             146   number of payment forms
    "1", //                             147   usage code
    "00", //                            148-149 reason code
    "9", //                             150   settlement flag
    "N", //                             151   authorization characteristics indicator
    pad(f.authorizationCode, 6), //     152-157 authorization code
    "5", //                             158   POS terminal capability
    " ", //                             159   international fee indicator
    "1", //                             160   cardholder ID method
    " ", //                             161   collection-only flag
    "05", //                            162-163 POS entry mode
    f.centralYddd, //                   164-167 central processing date YDDD
    "0", //                             168   reimbursement attribute
  ]);
}

/** TCR 5 of a transaction: transaction identifier at 5-19. */
export function tcr5(code: string, transactionId: string): string {
  return whole([code, "0", "5", pad(transactionId, 15), "0".repeat(12), "000", " ".repeat(134)]);
}

/** TC 90: processing BIN 3-8, processing date YYDDD 9-13, test option 30-33, security code 63-70, file ID 77-79. */
export function tc90(bin: string, yyddd: string, fileId: string): string {
  return whole(["90", bin, yyddd, " ".repeat(16), "    ", " ".repeat(29), " ".repeat(8), " ".repeat(6), fileId, " ".repeat(89)]);
}

export interface TrailerFixture {
  bin: string;
  yyddd: string;
  destinationAmount: number;
  monetary: number;
  batchNumberOrCount: number;
  tcrs: number;
  transactions: number;
  sourceAmount: number;
}

/** TC 91 / TC 92. */
export function trailer(code: "91" | "92", t: TrailerFixture): string {
  return whole([
    code, "0", "0", //                              1-4
    t.bin, //                                       5-10 BIN
    t.yyddd, //                                     11-15 processing date
    pad(t.destinationAmount, 15, true), //          16-30 destination amount
    pad(t.monetary, 12, true), //                   31-42 number of monetary transactions
    pad(t.batchNumberOrCount, 6, true), //          43-48 batch number (91) / number of batches (92)
    pad(t.tcrs, 12, true), //                       49-60 number of TCRs
    "000000", //                                    61-66
    pad(code === "91" ? "00000001" : "", 8), //     67-74 center batch ID
    pad(t.transactions, 9, true), //                75-83 number of transactions
    "0".repeat(18), //                              84-101
    pad(t.sourceAmount, 15, true), //               102-116 source amount
    "0".repeat(45), //                              117-161
    " ".repeat(7), //                               162-168
  ]);
}

/** A whole file of one batch around `tcr0s` (each a TCR 0, no other TCRs), with right counts and totals. */
export function oneBatchFile(tcr0s: string[], lineEnding: string): string {
  const source = tcr0s.reduce((sum, r) => sum + (/^\d{12}$/.test(r.slice(76, 88)) ? Number(r.slice(76, 88)) : 0), 0);
  const destination = tcr0s.reduce((sum, r) => sum + (/^\d{12}$/.test(r.slice(61, 73)) ? Number(r.slice(61, 73)) : 0), 0);
  const base = { bin: "412345", yyddd: "26336", destinationAmount: destination, sourceAmount: source, monetary: tcr0s.length };
  const batch = trailer("91", { ...base, batchNumberOrCount: 1, tcrs: tcr0s.length + 1, transactions: tcr0s.length + 1 });
  const file = trailer("92", { ...base, batchNumberOrCount: 1, tcrs: tcr0s.length + 2, transactions: tcr0s.length + 2 });
  return [tc90("412345", "26336", "001"), ...tcr0s, batch, file].join(lineEnding) + lineEnding;
}
