import { BASE2_RECORD_BYTES } from "./limits.ts";

/**
 * The BASE II record layouts as data: for each field its 1-based start position, length and content
 * (N = digits, AN = any printable character). The sources of every position are in docs/clearing.md
 * (section "Formats"). Only the fields this module reads or writes are named; the gaps between them are
 * written as the `fill` of their neighbour's table and never read.
 */
export type Base2Content = "N" | "AN";

export interface Base2Field {
  readonly name: string;
  readonly start: number;
  readonly length: number;
  readonly content: Base2Content;
}

function field(name: string, start: number, length: number, content: Base2Content): Base2Field {
  return { name, start, length, content };
}

/** Positions 1-4 of every TCR: transaction code, its qualifier (TCQ) and the TCR number. */
export const TCR_PREFIX = {
  transactionCode: field("transaction_code", 1, 2, "N"),
  qualifier: field("transaction_code_qualifier", 3, 1, "AN"),
  tcrNumber: field("tcr_number", 4, 1, "AN"),
} as const;

/** TC 05/06/07/25/26/27, TCR 0: the financial record. */
export const TCR0 = {
  ...TCR_PREFIX,
  accountNumber: field("account_number", 5, 16, "AN"),
  accountNumberExtension: field("account_number_extension", 21, 3, "AN"),
  floorLimitIndicator: field("floor_limit_indicator", 24, 1, "AN"),
  crbExceptionFileIndicator: field("crb_exception_file_indicator", 25, 1, "AN"),
  pcasIndicator: field("pcas_indicator", 26, 1, "AN"),
  acquirerReferenceNumber: field("acquirer_reference_number", 27, 23, "AN"),
  acquirerBusinessId: field("acquirer_business_id", 50, 8, "AN"),
  purchaseDate: field("purchase_date", 58, 4, "N"),
  destinationAmount: field("destination_amount", 62, 12, "N"),
  destinationCurrency: field("destination_currency_code", 74, 3, "AN"),
  sourceAmount: field("source_amount", 77, 12, "N"),
  sourceCurrency: field("source_currency_code", 89, 3, "N"),
  merchantName: field("merchant_name", 92, 25, "AN"),
  merchantCity: field("merchant_city", 117, 13, "AN"),
  merchantCountry: field("merchant_country_code", 130, 3, "AN"),
  merchantCategoryCode: field("merchant_category_code", 133, 4, "N"),
  merchantZip: field("merchant_zip_code", 137, 5, "AN"),
  merchantState: field("merchant_state_province_code", 142, 3, "AN"),
  requestedPaymentService: field("requested_payment_service", 145, 1, "AN"),
  paymentForms: field("number_of_payment_forms", 146, 1, "AN"),
  usageCode: field("usage_code", 147, 1, "AN"),
  reasonCode: field("reason_code", 148, 2, "AN"),
  settlementFlag: field("settlement_flag", 150, 1, "AN"),
  authorizationCharacteristics: field("authorization_characteristics_indicator", 151, 1, "AN"),
  authorizationCode: field("authorization_code", 152, 6, "AN"),
  posTerminalCapability: field("pos_terminal_capability", 158, 1, "AN"),
  internationalFeeIndicator: field("international_fee_indicator", 159, 1, "AN"),
  cardholderIdMethod: field("cardholder_id_method", 160, 1, "AN"),
  collectionOnlyFlag: field("collection_only_flag", 161, 1, "AN"),
  posEntryMode: field("pos_entry_mode", 162, 2, "AN"),
  centralProcessingDate: field("central_processing_date", 164, 4, "N"),
  reimbursementAttribute: field("reimbursement_attribute", 168, 1, "AN"),
} as const;

/** TCR 5 of the same transaction: the transaction identifier (the rest is not read). */
export const TCR5 = {
  ...TCR_PREFIX,
  transactionIdentifier: field("transaction_identifier", 5, 15, "AN"),
  authorizedAmount: field("authorized_amount", 20, 12, "N"),
  authorizationCurrency: field("authorization_currency_code", 32, 3, "AN"),
} as const;

/** TC 90: the file header. It has no TCQ or TCR number; the processing BIN starts at position 3. */
export const TC90 = {
  transactionCode: field("transaction_code", 1, 2, "N"),
  processingBin: field("processing_bin", 3, 6, "N"),
  processingDate: field("processing_date", 9, 5, "N"),
  settlementDate: field("settlement_date", 20, 5, "AN"),
  releaseNumber: field("release_number", 27, 3, "AN"),
  testOption: field("test_option", 30, 4, "AN"),
  securityCode: field("security_code", 63, 8, "AN"),
  fileId: field("file_id", 77, 3, "N"),
} as const;

/** TC 91 (batch trailer) and TC 92 (file trailer) share one layout; position 43 differs in meaning. */
export const TRAILER = {
  ...TCR_PREFIX,
  bin: field("bin", 5, 6, "N"),
  processingDate: field("processing_date", 11, 5, "N"),
  destinationAmount: field("destination_amount", 16, 15, "N"),
  monetaryTransactions: field("number_of_monetary_transactions", 31, 12, "N"),
  /** TC 91: the batch number; TC 92: the number of batches. */
  batchNumberOrCount: field("batch_number_or_count", 43, 6, "N"),
  tcrs: field("number_of_tcrs", 49, 12, "N"),
  centerBatchId: field("center_batch_id", 67, 8, "AN"),
  transactions: field("number_of_transactions", 75, 9, "N"),
  sourceAmount: field("source_amount", 102, 15, "N"),
} as const;

/** The layouts, checked once at load: fields inside the record and never overlapping. */
function checkLayout(name: string, fields: Readonly<Record<string, Base2Field>>): void {
  const list = Object.values(fields).sort((a, b) => a.start - b.start);
  for (const [i, f] of list.entries()) {
    if (f.start < 1 || f.length < 1 || f.start + f.length - 1 > BASE2_RECORD_BYTES) throw new Error(`${name}.${f.name} outside the record`);
    const next = list[i + 1];
    if (next !== undefined && next.start < f.start + f.length) {
      throw new Error(`${name}.${f.name} overlaps ${next.name}`);
    }
  }
}

checkLayout("TCR0", TCR0);
checkLayout("TCR5", TCR5);
checkLayout("TC90", TC90);
checkLayout("TRAILER", TRAILER);

/** The field's text in `record` (a 168-character string). */
export function read(record: string, spec: Base2Field): string {
  return record.slice(spec.start - 1, spec.start - 1 + spec.length);
}
