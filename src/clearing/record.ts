import type { ClearingFileError } from "./errors.ts";

/** What a clearing record asks of the issuer: a purchase, a credit voucher (refund), or cash. */
export type ClearingKind = "presentment" | "credit" | "cash";

export const CLEARING_KINDS: readonly ClearingKind[] = ["presentment", "credit", "cash"];

/**
 * One cleared transaction, whatever file it came from. The PAN stays in memory (the ledger finds the card by
 * it and keeps only what it keeps for authorizations); money is an integer of minor units of its currency
 * (ISO 4217 numeric, as DE 49 speaks it).
 */
export interface ClearingRecord {
  /** Where it came from: the BASE II record number of its TCR 0, or the JSON Lines line number. */
  readonly recordNumber: number;
  readonly kind: ClearingKind;
  /** A reversal undoes an earlier record of the same kind (BASE II TC 25, 26, 27). */
  readonly reversal: boolean;
  readonly pan: string;
  /** The transaction amount and currency (BASE II source amount; DE 4 and DE 49 of the authorization). */
  readonly amount: number;
  readonly currency: number;
  /** The amount in the issuer's settlement currency (BASE II destination amount; DE 6 and DE 51), if given. */
  readonly billingAmount: number | null;
  readonly billingCurrency: number | null;
  /** The approval code of the authorization (DE 38); null when blank (credits often carry none). */
  readonly authorizationCode: string | null;
  /** YYYY-MM-DD, the date of the purchase at the merchant. */
  readonly purchaseDate: string;
  /** YYYY-MM-DD, the network's central processing date: the business date the record settles on. */
  readonly businessDate: string;
  /** The 23-character acquirer reference number (ARN) that names the transaction across its life. */
  readonly acquirerReferenceNumber: string;
  readonly merchantName: string;
  readonly merchantCity: string;
  /** The network's merchant country code (Visa uses two letters, e.g. "JP"). */
  readonly merchantCountry: string;
  /** ISO 18245 merchant category code (MCC), four digits. */
  readonly merchantCategoryCode: string;
  /** The network's transaction identifier (Visa: TCR 5, 15 characters), when the file carries one. */
  readonly transactionIdentifier: string | null;
}

/** A transaction to write: a ClearingRecord without the record number the file will give it. */
export type ClearingTransaction = Omit<ClearingRecord, "recordNumber">;

/** What a parser hands back: accepted records, rejected ones with their reasons, and file-level errors. */
export interface ClearingParseResult {
  readonly records: ClearingRecord[];
  /** One per rejected record; the rest of the file was parsed. */
  readonly rejections: ClearingFileError[];
  /** Errors about the file as a whole (header, trailers, counts, totals, bounds); empty when it is sound. */
  readonly fileErrors: ClearingFileError[];
}

/** The BASE II transaction codes this module reads and writes: three kinds and their reversals. */
export const BASE2_TRANSACTION_CODES: Readonly<Record<string, { kind: ClearingKind; reversal: boolean }>> = {
  "05": { kind: "presentment", reversal: false },
  "06": { kind: "credit", reversal: false },
  "07": { kind: "cash", reversal: false },
  "25": { kind: "presentment", reversal: true },
  "26": { kind: "credit", reversal: true },
  "27": { kind: "cash", reversal: true },
};

export function base2TransactionCode(kind: ClearingKind, reversal: boolean): string {
  const base = kind === "presentment" ? 5 : kind === "credit" ? 6 : 7;
  return String(reversal ? base + 20 : base).padStart(2, "0");
}
