import type { Database, SQLQueryBindings, Statement } from "bun:sqlite";
import type { ResponseCode, TransactionKind } from "../ledger.ts";

/**
 * Rows of the transactions and holds tables as the ledger handles them in memory during a transaction:
 * new rows are kept as objects until the transaction writes them (a later request in the same batch may
 * still change their status), rows read back for a key carry their hold.
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
  /** Held or posted, account currency. */
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
  holdSeq: number | null;
  reversedAmount: number;
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

export interface HoldRow {
  readonly seq: number;
  readonly txnSeq: number;
  readonly key: string;
  readonly accountSeq: number;
  readonly cardSeq: number | null;
  amount: number;
  readonly originalAmount: number;
  state: HoldState;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
  resolvedAtMs: number | null;
  /** Already in the table (changes become UPDATEs) or written with the transaction. */
  stored: boolean;
}

/** A network request's row; it serves as a PriorRecord for later requests with its key. */
export type NetworkRecord = TransactionRow & {
  mti: number;
  key: string;
  responseCode: ResponseCode;
  hold: HoldRow | null;
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
  ["hold_seq", "holdSeq"],
  ["reversed_amount_minor", "reversedAmount"],
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

export const HOLD_COLUMNS: ReadonlyArray<readonly [string, keyof HoldRow]> = [
  ["seq", "seq"],
  ["txn_seq", "txnSeq"],
  ["key", "key"],
  ["account_seq", "accountSeq"],
  ["card_seq", "cardSeq"],
  ["amount_minor", "amount"],
  ["original_amount_minor", "originalAmount"],
  ["state", "state"],
  ["created_at_ms", "createdAtMs"],
  ["expires_at_ms", "expiresAtMs"],
  ["resolved_at_ms", "resolvedAtMs"],
];

export function rowValues<T>(row: T, columns: ReadonlyArray<readonly [string, keyof T]>): SQLQueryBindings[] {
  const values = new Array<SQLQueryBindings>(columns.length);
  for (let i = 0; i < columns.length; i++) values[i] = row[columns[i]![1]] as SQLQueryBindings;
  return values;
}

export function rowFromColumns<T>(source: Record<string, unknown>, columns: ReadonlyArray<readonly [string, keyof T]>, prefix = ""): T {
  const row = {} as Record<keyof T, unknown>;
  for (const [column, field] of columns) row[field] = source[prefix + column];
  return row as T;
}

const KEYS_PER_QUERY = 64;
const HOLD_ALIASES = HOLD_COLUMNS.map(([column]) => `h.${column} AS h_${column}`).join(", ");

/** Reads every stored network record for a set of keys, with its hold, in a few IN (…) queries. */
export class RecordReader {
  private readonly byKeys: Statement;

  constructor(db: Database) {
    const placeholders = Array.from({ length: KEYS_PER_QUERY }, () => "?").join(", ");
    this.byKeys = db.prepare(
      `SELECT t.*, ${HOLD_ALIASES} FROM transactions t LEFT JOIN holds h ON h.seq = t.hold_seq WHERE t.key IN (${placeholders})`,
    );
  }

  read(keys: readonly string[], into: Map<string, NetworkRecord[]>): void {
    for (let start = 0; start < keys.length; start += KEYS_PER_QUERY) {
      const chunk: Array<string | null> = keys.slice(start, start + KEYS_PER_QUERY);
      while (chunk.length < KEYS_PER_QUERY) chunk.push(null);
      for (const source of this.byKeys.all(...chunk) as Array<Record<string, unknown>>) {
        const record = rowFromColumns<TransactionRow>(source, TRANSACTION_COLUMNS) as NetworkRecord;
        record.stored = true;
        record.hold = source.h_seq === null ? null : { ...rowFromColumns<HoldRow>(source, HOLD_COLUMNS, "h_"), stored: true };
        const list = into.get(record.key);
        if (list === undefined) into.set(record.key, [record]);
        else list.push(record);
      }
    }
  }
}
