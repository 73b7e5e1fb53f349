import { FieldReader, panOf } from "./base2-fields.ts";
import { TCR0 } from "./base2-layout.ts";
import { fromMmdd, fromYddd } from "./dates.ts";
import { ClearingFileError } from "./errors.ts";
import { BASE2_TRANSACTION_CODES, type ClearingRecord } from "./record.ts";

type Result<T> = T | ClearingFileError;

function isError<T>(value: Result<T>): value is ClearingFileError {
  return value instanceof ClearingFileError;
}

/** The destination (billing) amount: blank or 000 currency with a zero amount means none was given. */
function billingOf(reader: FieldReader): Result<{ amount: number | null; currency: number | null }> {
  const digits = reader.digits(TCR0.destinationAmount);
  if (isError(digits)) return digits;
  const code = reader.text(TCR0.destinationCurrency);
  if (code.trim() === "" || code === "000") {
    if (Number(digits) === 0) return { amount: null, currency: null };
    return reader.error("field_invalid", TCR0.destinationCurrency, "a destination amount needs its currency");
  }
  const currency = reader.currency(TCR0.destinationCurrency);
  if (isError(currency)) return currency;
  const amount = reader.amount(TCR0.destinationAmount, currency);
  return isError(amount) ? amount : { amount, currency: currency.numeric };
}

/** The dates, made whole against the header's processing date. */
function datesOf(reader: FieldReader, processingDate: string): Result<{ purchaseDate: string; businessDate: string }> {
  const purchase = reader.digits(TCR0.purchaseDate);
  if (isError(purchase)) return purchase;
  const purchaseDate = fromMmdd(purchase, processingDate);
  if (purchaseDate === null) return reader.error("field_invalid", TCR0.purchaseDate, "MMDD expected");
  const central = reader.digits(TCR0.centralProcessingDate);
  if (isError(central)) return central;
  // 0000: not yet processed centrally (an acquirer's outgoing file); SmartVista reads it as the file's date.
  const businessDate = central === "0000" ? processingDate : fromYddd(central, processingDate);
  if (businessDate === null) return reader.error("field_invalid", TCR0.centralProcessingDate, "YDDD expected");
  return { purchaseDate, businessDate };
}

/**
 * TCR 0 of a TC 05/06/07/25/26/27 as a ClearingRecord, or the first reason to reject it. The caller has
 * checked the length and the transaction code; the transaction identifier comes later, from TCR 5.
 */
export function parseTcr0(record: string, recordNumber: number, processingDate: string): Result<ClearingRecord> {
  const reader = new FieldReader(record, recordNumber);
  const code = BASE2_TRANSACTION_CODES[reader.text(TCR0.transactionCode)];
  if (code === undefined) return reader.error("transaction_code_unknown", TCR0.transactionCode);
  const pan = panOf(reader.text(TCR0.accountNumber) + reader.text(TCR0.accountNumberExtension));
  if (pan === null) return reader.error("pan_invalid", TCR0.accountNumber, "12 to 19 digits, left-justified, expected");
  const arn = reader.digits(TCR0.acquirerReferenceNumber);
  if (isError(arn)) return arn;
  const dates = datesOf(reader, processingDate);
  if (isError(dates)) return dates;
  const currency = reader.currency(TCR0.sourceCurrency);
  if (isError(currency)) return currency;
  const amount = reader.amount(TCR0.sourceAmount, currency);
  if (isError(amount)) return amount;
  const billing = billingOf(reader);
  if (isError(billing)) return billing;
  const mcc = reader.digits(TCR0.merchantCategoryCode);
  if (isError(mcc)) return mcc;
  const authorizationCode = reader.text(TCR0.authorizationCode).trim();
  return {
    recordNumber,
    kind: code.kind,
    reversal: code.reversal,
    pan,
    amount,
    currency: currency.numeric,
    billingAmount: billing.amount,
    billingCurrency: billing.currency,
    authorizationCode: authorizationCode === "" ? null : authorizationCode,
    purchaseDate: dates.purchaseDate,
    businessDate: dates.businessDate,
    acquirerReferenceNumber: arn,
    merchantName: reader.text(TCR0.merchantName).trimEnd(),
    merchantCity: reader.text(TCR0.merchantCity).trimEnd(),
    merchantCountry: reader.text(TCR0.merchantCountry).trim(),
    merchantCategoryCode: mcc,
    transactionIdentifier: null,
  };
}
