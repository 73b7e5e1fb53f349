import type { ResponseCode } from "../../domain/response-codes.ts";
import type { TransactionKind } from "../ledger.ts";

/**
 * Rows of the transactions table as a ledger handles them in memory during a transaction: new rows are
 * kept as objects until the transaction writes them (a later request in the same batch may still change
 * them), stored rows read back for a key are changed in place and written back as UPDATEs. Both ledgers
 * store the same columns.
 */
export type TransactionStatus = "approved" | "declined" | "reversed" | "partially_reversed" | "expired" | "posted";
export type HoldState = "pending" | "posted" | "voided" | "expired";

export interface TransactionRow {
  seq: number;
  kind: TransactionKind;
  mti: number | null;
  key: string | null;
  cardSeq: number | null;
  accountSeq: number | null;
  prevSeq: number | null;
  requestAmount: number | null;
  requestCurrency: number | null;
  billingAmount: number | null;
  billingCurrency: number | null;
  /** In the account's currency: decided on, released, credited, topped up or expired. */
  amount: number | null;
  /** Held or posted when first approved, account currency. */
  approvedAmount: number | null;
  accountCurrency: number | null;
  responseCode: ResponseCode | null;
  approvalCode: string | null;
  availableBalance: number | null;
  status: TransactionStatus;
  reason: string | null;
  networkResponseCode: string | null;
  networkApprovalCode: string | null;
  originalKey: string | null;
  replacementAmount: number | null;
  /** The transaction a reversal or an expiry acted on. */
  relatedSeq: number | null;
  reversedAmount: number;
  /** The hold this transaction placed (at createdAtMs): amount held now or when resolved, its state. */
  holdAmount: number | null;
  holdState: HoldState | null;
  holdResolvedAtMs: number | null;
  usageDay: number | null;
  processingCode: string | null;
  retrievalReference: string | null;
  merchantCategory: string | null;
  terminalId: string | null;
  merchantId: string | null;
  merchantNameLocation: string | null;
  receivedAtMs: number | null;
  createdAtMs: number;
}

/** A network request's row; it serves as a PriorRecord for later requests with its key. */
export type NetworkRecord = TransactionRow & {
  mti: number;
  key: string;
  responseCode: ResponseCode;
  /** Already in the table (changes become UPDATEs) or written with the transaction. */
  stored: boolean;
};

/** Column ↔ field, in insert order. */
export const TRANSACTION_COLUMNS: ReadonlyArray<readonly [string, keyof TransactionRow]> = [
  ["seq", "seq"],
  ["kind", "kind"],
  ["mti", "mti"],
  ["key", "key"],
  ["card_seq", "cardSeq"],
  ["account_seq", "accountSeq"],
  ["prev_seq", "prevSeq"],
  ["request_amount_minor", "requestAmount"],
  ["request_currency", "requestCurrency"],
  ["billing_amount_minor", "billingAmount"],
  ["billing_currency", "billingCurrency"],
  ["amount_minor", "amount"],
  ["approved_amount_minor", "approvedAmount"],
  ["account_currency", "accountCurrency"],
  ["response_code", "responseCode"],
  ["approval_code", "approvalCode"],
  ["available_balance_minor", "availableBalance"],
  ["status", "status"],
  ["reason", "reason"],
  ["network_response_code", "networkResponseCode"],
  ["network_approval_code", "networkApprovalCode"],
  ["original_key", "originalKey"],
  ["replacement_amount_minor", "replacementAmount"],
  ["related_seq", "relatedSeq"],
  ["reversed_amount_minor", "reversedAmount"],
  ["hold_amount_minor", "holdAmount"],
  ["hold_state", "holdState"],
  ["hold_resolved_at_ms", "holdResolvedAtMs"],
  ["usage_day", "usageDay"],
  ["processing_code", "processingCode"],
  ["retrieval_reference", "retrievalReference"],
  ["merchant_category", "merchantCategory"],
  ["terminal_id", "terminalId"],
  ["merchant_id", "merchantId"],
  ["merchant_name_location", "merchantNameLocation"],
  ["received_at_ms", "receivedAtMs"],
  ["created_at_ms", "createdAtMs"],
];

export function rowFromColumns<T>(source: Record<string, unknown>, columns: ReadonlyArray<readonly [string, keyof T]>): T {
  const row = {} as Record<keyof T, unknown>;
  for (const [column, field] of columns) row[field] = source[column];
  return row as T;
}

/**
 * A batch's records by key. Most keys have one record, kept without an array of its own: this map gets an
 * entry for every request of every batch.
 */
export class RecordsByKey {
  private readonly byKey = new Map<string, NetworkRecord | NetworkRecord[]>();
  private static readonly NONE: readonly NetworkRecord[] = [];

  clear(): void {
    this.byKey.clear();
  }

  recordsOf(key: string): readonly NetworkRecord[] {
    const found = this.byKey.get(key);
    if (found === undefined) return RecordsByKey.NONE;
    return Array.isArray(found) ? found : [found];
  }

  add(record: NetworkRecord): void {
    const found = this.byKey.get(record.key);
    if (found === undefined) this.byKey.set(record.key, record);
    else if (Array.isArray(found)) found.push(record);
    else this.byKey.set(record.key, [found, record]);
  }
}

/** Where a batch's stored records come from: the ledger reads them for the batch's keys into `into`. */
export interface RecordSource {
  read(keys: readonly string[], into: RecordsByKey): void;
}

/** A transaction row that is not a network request (top-up, expiry). */
export function plainRow(
  seq: number,
  kind: "topup" | "expiry",
  accountSeq: number,
  amount: number,
  currency: number,
  nowMs: number,
): TransactionRow {
  return {
    seq,
    kind,
    mti: null,
    key: null,
    cardSeq: null,
    accountSeq,
    prevSeq: null,
    requestAmount: null,
    requestCurrency: null,
    billingAmount: null,
    billingCurrency: null,
    amount,
    approvedAmount: amount,
    accountCurrency: currency,
    responseCode: null,
    approvalCode: null,
    availableBalance: null,
    status: "posted",
    reason: null,
    networkResponseCode: null,
    networkApprovalCode: null,
    originalKey: null,
    replacementAmount: null,
    relatedSeq: null,
    reversedAmount: 0,
    holdAmount: null,
    holdState: null,
    holdResolvedAtMs: null,
    usageDay: null,
    processingCode: null,
    retrievalReference: null,
    merchantCategory: null,
    terminalId: null,
    merchantId: null,
    merchantNameLocation: null,
    receivedAtMs: null,
    createdAtMs: nowMs,
  };
}
