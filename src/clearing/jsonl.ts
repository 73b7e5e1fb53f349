import { z } from "zod";
import { CURRENCY_ALPHAS, currencyByAlpha, currencyByNumeric } from "../domain/currency.ts";
import { PAN_PATTERN } from "../domain/pan.ts";
import { isIsoDate } from "./dates.ts";
import { ClearingFileError } from "./errors.ts";
import { CLEARING_AMOUNT_MINOR_MAX, CLEARING_FILE_BYTES_MAX, CLEARING_RECORDS_MAX, JSONL_LINE_BYTES_MAX } from "./limits.ts";
import { CLEARING_KINDS, type ClearingParseResult, type ClearingRecord, type ClearingTransaction } from "./record.ts";

/**
 * Clearing records as JSON Lines: one JSON object per line (LF or CR LF; blank lines skipped), the same
 * fields as a BASE II TCR 0 in snake_case, amounts in minor units, currencies by their alphabetic code.
 * docs/clearing.md lists the fields. Unknown keys are rejected, so that a misspelt field is not lost.
 */
const isoDate = z.string().refine(isIsoDate, "YYYY-MM-DD expected");
const amount = z.number().int().min(0).max(CLEARING_AMOUNT_MINOR_MAX);
const currency = z.enum(CURRENCY_ALPHAS);

export const JSONL_RECORD = z
  .object({
    kind: z.enum(CLEARING_KINDS as [string, ...string[]]),
    reversal: z.boolean(),
    pan: z.string().regex(PAN_PATTERN),
    amount,
    currency,
    billing_amount: amount.nullable().optional(),
    billing_currency: currency.nullable().optional(),
    authorization_code: z.string().regex(/^[\x20-\x7e]{0,6}$/).nullable().optional(),
    purchase_date: isoDate,
    business_date: isoDate,
    acquirer_reference_number: z.string().regex(/^\d{23}$/),
    merchant_name: z.string().regex(/^[\x20-\x7e]{0,25}$/),
    merchant_city: z.string().regex(/^[\x20-\x7e]{0,13}$/),
    merchant_country: z.string().regex(/^[A-Z]{2,3}$/),
    merchant_category_code: z.string().regex(/^\d{4}$/),
    transaction_identifier: z.string().regex(/^[\x21-\x7e]{1,15}$/).nullable().optional(),
  })
  .strict()
  .refine((r) => (r.billing_amount == null) === (r.billing_currency == null), {
    message: "billing_amount and billing_currency come together",
    path: ["billing_currency"],
  });

export type JsonlRecord = z.infer<typeof JSONL_RECORD>;

function toRecord(line: JsonlRecord, recordNumber: number): ClearingRecord {
  const authorizationCode = line.authorization_code?.trim() ?? "";
  return {
    recordNumber,
    kind: line.kind as ClearingRecord["kind"],
    reversal: line.reversal,
    pan: line.pan,
    amount: line.amount,
    currency: currencyByAlpha(line.currency)!.numeric,
    billingAmount: line.billing_amount ?? null,
    billingCurrency: line.billing_currency == null ? null : currencyByAlpha(line.billing_currency)!.numeric,
    authorizationCode: authorizationCode === "" ? null : authorizationCode,
    purchaseDate: line.purchase_date,
    businessDate: line.business_date,
    acquirerReferenceNumber: line.acquirer_reference_number,
    merchantName: line.merchant_name,
    merchantCity: line.merchant_city,
    merchantCountry: line.merchant_country,
    merchantCategoryCode: line.merchant_category_code,
    transactionIdentifier: line.transaction_identifier ?? null,
  };
}

/** One line: the record, or the rejection naming the first bad field (its name and what was wrong, no value). */
function parseLine(line: string, recordNumber: number): ClearingRecord | ClearingFileError {
  if (line.length > JSONL_LINE_BYTES_MAX) return new ClearingFileError("line_too_long", { recordNumber }, `at most ${JSONL_LINE_BYTES_MAX} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return new ClearingFileError("jsonl_syntax", { recordNumber }, "not a JSON value");
  }
  const parsed = JSONL_RECORD.safeParse(value);
  if (parsed.success) return toRecord(parsed.data, recordNumber);
  const issue = parsed.error.issues[0]!;
  // An unknown key is not named: a key is input too, and could be anything.
  if (issue.code === "unrecognized_keys") return new ClearingFileError("field_invalid", { recordNumber }, "a key that is not a field");
  return new ClearingFileError("field_invalid", { recordNumber, field: issue.path.join(".") || null }, issue.code);
}

/** A JSON Lines clearing file. Never throws on bad input: every problem is a rejection or a file error. */
export function parseJsonl(input: Uint8Array | string): ClearingParseResult {
  const result: ClearingParseResult = { records: [], rejections: [], fileErrors: [] };
  if (input.length > CLEARING_FILE_BYTES_MAX) {
    result.fileErrors.push(new ClearingFileError("file_too_large", { recordNumber: null }, `at most ${CLEARING_FILE_BYTES_MAX} bytes`));
    return result;
  }
  const lines = (typeof input === "string" ? input : new TextDecoder().decode(input)).split("\n");
  if (lines.length > CLEARING_RECORDS_MAX + 1) {
    result.fileErrors.push(new ClearingFileError("too_many_records", { recordNumber: null }, `at most ${CLEARING_RECORDS_MAX}`));
    return result;
  }
  for (const [i, raw] of lines.entries()) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() === "") continue;
    const parsed = parseLine(line, i + 1);
    if (parsed instanceof ClearingFileError) result.rejections.push(parsed);
    else result.records.push(parsed);
  }
  if (result.records.length === 0 && result.rejections.length === 0) result.fileErrors.push(new ClearingFileError("file_empty", { recordNumber: null }));
  return result;
}

/** One transaction as a JSON line (no line break): what the simulator writes, what parseJsonl reads. */
export function toJsonLine(t: ClearingTransaction): string {
  const alpha = (numeric: number) => currencyByNumeric(numeric)?.alpha ?? String(numeric).padStart(3, "0");
  const line: JsonlRecord = {
    kind: t.kind,
    reversal: t.reversal,
    pan: t.pan,
    amount: t.amount,
    currency: alpha(t.currency),
    billing_amount: t.billingAmount,
    billing_currency: t.billingCurrency === null ? null : alpha(t.billingCurrency),
    authorization_code: t.authorizationCode,
    purchase_date: t.purchaseDate,
    business_date: t.businessDate,
    acquirer_reference_number: t.acquirerReferenceNumber,
    merchant_name: t.merchantName,
    merchant_city: t.merchantCity,
    merchant_country: t.merchantCountry,
    merchant_category_code: t.merchantCategoryCode,
    transaction_identifier: t.transactionIdentifier,
  };
  return JSON.stringify(line);
}
