import { currencyByNumeric } from "../domain/currency.ts";
import { isPanDigits } from "../domain/pan.ts";
import { minorToBase2 } from "./base2-amount.ts";
import { isAmbiguousPan } from "./base2-fields.ts";
import { TC90, TCR0, TCR5, TRAILER, type Base2Field } from "./base2-layout.ts";
import { addTally, countFinancial, emptyTally, type Tally } from "./base2-totals.ts";
import { isIsoDate, toMmdd, toYddd, toYyddd } from "./dates.ts";
import { BASE2_BATCH_TRANSACTIONS_MAX, BASE2_RECORD_BYTES, CLEARING_RECORDS_MAX } from "./limits.ts";
import { base2TransactionCode, type ClearingTransaction } from "./record.ts";

export interface Base2WriteOptions {
  /** Six digits: the BIN of the processing centre, in the header and both trailers. */
  readonly processingBin: string;
  /** YYYY-MM-DD; every purchase and business date must be on or before it (within a year, a decade). */
  readonly processingDate: string;
  /** 0-999: the file's number for the day. */
  readonly fileId: number;
  /** Between records; "" writes the fixed-length stream with no line breaks. */
  readonly lineEnding: "\r\n" | "\n" | "";
  /** Transactions per batch (each batch ends with a TC 91); BASE2_BATCH_TRANSACTIONS_MAX when absent. */
  readonly batchTransactionsMax?: number;
}

/** What the writer cannot put in a record is a programmer error: the caller built the transaction. */
function check(condition: boolean, what: string): asserts condition {
  if (!condition) throw new RangeError(`BASE II writer: ${what}`);
}

const PRINTABLE = /^[\x20-\x7e]*$/;

/** Fields placed at their positions in a record of spaces; N fields right-aligned with zeros. */
function record(values: readonly [Base2Field, string | number | bigint][]): string {
  const chars: string[] = new Array<string>(BASE2_RECORD_BYTES).fill(" ");
  for (const [spec, value] of values) {
    const text = spec.content === "N" ? String(value).padStart(spec.length, "0") : String(value).padEnd(spec.length, " ");
    check(text.length === spec.length && PRINTABLE.test(text), `${spec.name} does not fit ${spec.length} printable characters`);
    check(spec.content === "AN" || /^\d+$/.test(text), `${spec.name} must be digits`);
    for (let i = 0; i < spec.length; i++) chars[spec.start - 1 + i] = text[i]!;
  }
  return chars.join("");
}

function exponentOf(numeric: number): number {
  const currency = currencyByNumeric(numeric);
  check(currency !== undefined, "a currency outside src/domain/currency.ts");
  return currency.exponent;
}

/** The PAN in account number and extension: a 16-digit PAN zero-fills the extension, others pad with spaces. */
function accountOf(pan: string): string {
  check(isPanDigits(pan) && !isAmbiguousPan(pan), "a PAN of 12 to 19 digits that reads back as itself");
  return pan.length === 16 ? `${pan}000` : pan;
}

export function tcr0(t: ClearingTransaction, processingDate: string): string {
  check(isIsoDate(t.purchaseDate) && isIsoDate(t.businessDate), "ISO purchase and business dates");
  check(t.purchaseDate <= processingDate && t.businessDate <= processingDate, "dates on or before the processing date");
  const code = base2TransactionCode(t.kind, t.reversal);
  const account = accountOf(t.pan);
  const billing = t.billingAmount !== null && t.billingCurrency !== null;
  return record([
    [TCR0.transactionCode, code],
    [TCR0.qualifier, "0"],
    [TCR0.tcrNumber, "0"],
    [TCR0.accountNumber, account.slice(0, 16)],
    [TCR0.accountNumberExtension, account.slice(16)],
    [TCR0.acquirerReferenceNumber, t.acquirerReferenceNumber],
    [TCR0.acquirerBusinessId, "00000000"],
    [TCR0.purchaseDate, toMmdd(t.purchaseDate)],
    [TCR0.destinationAmount, billing ? minorToBase2(t.billingAmount!, exponentOf(t.billingCurrency!)) : 0],
    [TCR0.destinationCurrency, billing ? String(t.billingCurrency).padStart(3, "0") : ""],
    [TCR0.sourceAmount, minorToBase2(t.amount, exponentOf(t.currency))],
    [TCR0.sourceCurrency, t.currency],
    [TCR0.merchantName, t.merchantName],
    [TCR0.merchantCity, t.merchantCity],
    [TCR0.merchantCountry, t.merchantCountry],
    [TCR0.merchantCategoryCode, t.merchantCategoryCode],
    [TCR0.merchantZip, "00000"],
    [TCR0.usageCode, "1"],
    [TCR0.reasonCode, "00"],
    [TCR0.authorizationCode, t.authorizationCode ?? ""],
    [TCR0.centralProcessingDate, toYddd(t.businessDate)],
    [TCR0.reimbursementAttribute, "0"],
  ]);
}

function tcr5(t: ClearingTransaction): string {
  return record([
    [TCR5.transactionCode, base2TransactionCode(t.kind, t.reversal)],
    [TCR5.qualifier, "0"],
    [TCR5.tcrNumber, "5"],
    [TCR5.transactionIdentifier, t.transactionIdentifier ?? ""],
    [TCR5.authorizedAmount, 0],
    [TCR5.authorizationCurrency, "000"],
  ]);
}

function header(options: Base2WriteOptions): string {
  check(/^\d{6}$/.test(options.processingBin) && isIsoDate(options.processingDate), "a 6-digit BIN and an ISO processing date");
  check(Number.isInteger(options.fileId) && options.fileId >= 0 && options.fileId <= 999, "a file id of 0 to 999");
  return record([
    [TC90.transactionCode, "90"],
    [TC90.processingBin, options.processingBin],
    [TC90.processingDate, toYyddd(options.processingDate)],
    [TC90.fileId, options.fileId],
  ]);
}

/** A TC 91 or TC 92 closing `tally` (which must already count the trailer itself). */
function trailer(code: "91" | "92", tally: Tally, batchNumberOrCount: number, options: Base2WriteOptions): string {
  const zeros = (start: number, length: number): [Base2Field, number] => [{ name: "reserved", start, length, content: "N" }, 0];
  return record([
    [TRAILER.transactionCode, code],
    [TRAILER.qualifier, "0"],
    [TRAILER.tcrNumber, "0"],
    [TRAILER.bin, options.processingBin],
    [TRAILER.processingDate, toYyddd(options.processingDate)],
    [TRAILER.destinationAmount, tally.destinationAmount],
    [TRAILER.monetaryTransactions, tally.monetary],
    [TRAILER.batchNumberOrCount, batchNumberOrCount],
    [TRAILER.tcrs, tally.tcrs],
    zeros(61, 6),
    [TRAILER.centerBatchId, code === "91" ? String(batchNumberOrCount).padStart(8, "0") : ""],
    [TRAILER.transactions, tally.transactions],
    zeros(84, 18),
    [TRAILER.sourceAmount, tally.sourceAmount],
    zeros(117, 45),
  ]);
}

/**
 * A whole BASE II file: TC 90, the transactions in batches (TCR 0, and TCR 5 when there is a transaction
 * identifier) each closed by a TC 91, then the TC 92, with the counts and totals parseBase2 checks.
 */
export function writeBase2File(transactions: readonly ClearingTransaction[], options: Base2WriteOptions): string {
  const batchMax = options.batchTransactionsMax ?? BASE2_BATCH_TRANSACTIONS_MAX;
  check(Number.isInteger(batchMax) && batchMax >= 1, "at least one transaction per batch");
  const lines = [header(options)];
  const file = emptyTally();
  let batches = 0;
  for (let start = 0; start < transactions.length; start += batchMax) {
    const batch = emptyTally();
    for (const t of transactions.slice(start, start + batchMax)) {
      const first = tcr0(t, options.processingDate);
      lines.push(first);
      countFinancial(batch, first);
      if (t.transactionIdentifier !== null) {
        lines.push(tcr5(t));
        batch.tcrs += 1;
      }
    }
    batch.tcrs += 1;
    batch.transactions += 1;
    batches += 1;
    lines.push(trailer("91", batch, batches, options));
    addTally(file, batch);
  }
  file.tcrs += 1;
  file.transactions += 1;
  lines.push(trailer("92", file, batches, options));
  check(lines.length <= CLEARING_RECORDS_MAX, `at most ${CLEARING_RECORDS_MAX} records`);
  return lines.join(options.lineEnding) + options.lineEnding;
}
