import type { AccountState, CardState } from "./decision/state.ts";
import { isoTime, sequenceId } from "./ids.ts";
import type { ResponseCode } from "../domain/response-codes.ts";
import {
  LedgerError,
  type AccountBalances,
  type Card,
  type HistoryKind,
  type OutboxEvent,
  type TransactionKind,
  type TransactionRecord,
  type User,
} from "./ledger.ts";
import { panDisplay } from "./pan-vault.ts";
import { maskText } from "../ops/mask.ts";

/**
 * How stored rows are shown to the Processor API and the webhook: the same for every ledger, from rows
 * with the same columns (numbers as numbers). Card data appears masked only.
 */
export interface UserRow {
  seq: number;
  id: string;
  external_id: string | null;
  name: string | null;
  created_at_ms: number;
}

export function userOf(row: UserRow): User {
  return { id: row.id, externalId: row.external_id, name: row.name, createdAt: isoTime(row.created_at_ms) };
}

export function balancesOf(account: AccountState): AccountBalances {
  return {
    accountId: account.id,
    currency: account.currency,
    ledgerBalance: account.ledger,
    availableBalance: account.ledger - account.held,
    heldAmount: account.held,
  };
}

/** What an event stores of its account: the balances right after its change (null when not known). */
export function balanceAfter(account: AccountState | undefined): { ledger: number | null; available: number | null } {
  if (account === undefined) return { ledger: null, available: null };
  return { ledger: account.ledger, available: account.ledger - account.held };
}

export function cardOf(card: CardState, userId: string): Card {
  return {
    id: card.id,
    userId,
    panMasked: card.panMasked,
    last4: card.last4,
    expiry: card.expiry,
    status: card.status,
    limits: card.limits,
    createdAt: isoTime(card.createdAtMs),
    updatedAt: isoTime(card.updatedAtMs),
  };
}

/** The data of a card.updated event: the masked PAN only. */
export function cardEventData(card: CardState, userId: string, action: "issued" | "updated"): Record<string, unknown> {
  return {
    action,
    card_id: card.id,
    user_id: userId,
    pan_masked: card.panMasked,
    last4: card.last4,
    expiry: card.expiry,
    status: card.status,
    limits: card.limits,
  };
}

export interface SealedPan {
  readonly index: string;
  readonly sealed: Uint8Array;
  readonly panMasked: string;
  readonly last4: string;
}

export function sealPan(pan: string, index: string, sealed: Uint8Array): SealedPan {
  return { index, sealed, ...panDisplay(pan) };
}

export const PAGE_LIMIT_MAX = 500;

export function checkPageLimit(limit: number): void {
  if (!(Number.isInteger(limit) && limit >= 1 && limit <= PAGE_LIMIT_MAX)) {
    throw new LedgerError("invalid_input", `limit must be an integer from 1 to ${PAGE_LIMIT_MAX}`);
  }
}

export interface HistoryRow {
  seq: number;
  kind: TransactionKind;
  account_seq: number | null;
  prev_seq: number | null;
  card_id: string | null;
  pan_masked: string | null;
  amount_minor: number | null;
  request_amount_minor: number | null;
  approved_amount_minor: number | null;
  account_currency: number | null;
  request_currency: number | null;
  response_code: ResponseCode | null;
  approval_code: string | null;
  status: string;
  reason: string | null;
  merchant_name_location: string | null;
  merchant_category: string | null;
  processing_code: string | null;
  topup_id: string | null;
  created_at_ms: number;
}

/**
 * DE 3 = 31xxxx: a balance inquiry. It moves no money, so history shows it as its own type rather than
 * as an authorization of 0.
 */
export function isBalanceInquiry(kind: string | null, processingCode: string | null): boolean {
  return (kind === "authorization" || kind === "financial") && processingCode !== null && processingCode.startsWith("31");
}

function historyKind(kind: TransactionKind, processingCode: string | null): HistoryKind {
  return isBalanceInquiry(kind, processingCode) ? "balance_inquiry" : kind;
}

/** The history columns of `transactions t` with HISTORY_JOINS. */
export const HISTORY_COLUMNS = `t.seq, t.kind, t.account_seq, t.prev_seq, c.id AS card_id, c.pan_masked, t.amount_minor,
  t.request_amount_minor, t.approved_amount_minor, t.account_currency, t.request_currency, t.response_code,
  t.approval_code, t.status, t.reason, t.merchant_name_location, t.merchant_category, t.processing_code,
  tp.id AS topup_id, t.created_at_ms`;

/** The card behind a row, and the top-up that made it (topups_txn finds it). */
export const HISTORY_JOINS = "LEFT JOIN cards c ON c.seq = t.card_seq LEFT JOIN topups tp ON tp.txn_seq = t.seq";

export function historyRecordOf(row: HistoryRow): TransactionRecord {
  return {
    id: sequenceId("txn", row.seq),
    kind: historyKind(row.kind, row.processing_code),
    topUpId: row.topup_id,
    cardId: row.card_id,
    panMasked: row.pan_masked,
    amount: row.amount_minor ?? row.request_amount_minor ?? 0,
    currency: row.account_currency ?? row.request_currency ?? 0,
    approvedAmount: row.approved_amount_minor,
    responseCode: row.response_code,
    approvalCode: row.approval_code,
    status: row.status,
    reason: row.reason,
    merchantNameLocation: row.merchant_name_location,
    merchantCategory: row.merchant_category,
    createdAt: isoTime(row.created_at_ms),
  };
}

export interface EventRow {
  seq: number;
  type: OutboxEvent["type"];
  data: string | null;
  created_at_ms: number;
  attempts: number;
  account_id: string;
  user_id: string | null;
  txn_seq: number | null;
  kind: string | null;
  mti: number | null;
  amount_minor: number | null;
  approved_amount_minor: number | null;
  account_currency: number | null;
  response_code: string | null;
  approval_code: string | null;
  reason: string | null;
  network_response_code: string | null;
  merchant_category: string | null;
  terminal_id: string | null;
  merchant_id: string | null;
  merchant_name_location: string | null;
  card_id: string | null;
  pan_masked: string | null;
  related_seq: number | null;
  processing_code: string | null;
  topup_id: string | null;
  balance_currency: number;
  ledger_balance_minor: number | null;
  available_balance_minor: number | null;
}

/** An event row, the balances it stored, and the immutable columns of the transaction (and top-up) behind it. */
export const EVENT_SELECT = `SELECT o.seq, o.type, o.data, o.created_at_ms, o.attempts, o.txn_seq, a.id AS account_id, u.id AS user_id,
  t.kind, t.mti, t.amount_minor, t.approved_amount_minor, t.account_currency, t.response_code, t.approval_code, t.reason,
  t.network_response_code, t.merchant_category, t.terminal_id, t.merchant_id, t.merchant_name_location,
  c.id AS card_id, c.pan_masked, t.related_seq, t.processing_code, tp.id AS topup_id,
  a.currency AS balance_currency, o.ledger_balance_minor, o.available_balance_minor
  FROM outbox o JOIN accounts a ON a.seq = o.account_seq LEFT JOIN users u ON u.seq = a.user_seq
  LEFT JOIN transactions t ON t.seq = o.txn_seq LEFT JOIN cards c ON c.seq = t.card_seq
  LEFT JOIN topups tp ON tp.txn_seq = o.txn_seq`;

/**
 * Event data is assembled when claimed, from the transaction's immutable columns (or the stored data), and
 * the balances the event stored when it was written: `account` is the account as that change left it, in
 * the shape GET /v1/users/:id shows (null for events written before balances were stored).
 */
export function eventOf(row: EventRow): OutboxEvent {
  const data = row.data !== null ? (JSON.parse(row.data) as Record<string, unknown>) : transactionData(row);
  return {
    id: sequenceId("evt", row.seq),
    type: row.type,
    accountId: row.account_id,
    createdAt: isoTime(row.created_at_ms),
    data: { account_id: row.account_id, user_id: row.user_id, ...data, account: accountAfter(row) },
    attempts: row.attempts,
  };
}

function accountAfter(row: EventRow): Record<string, unknown> | null {
  if (row.ledger_balance_minor === null || row.available_balance_minor === null) return null;
  return {
    id: row.account_id,
    currency: row.balance_currency,
    ledger_balance: row.ledger_balance_minor,
    available_balance: row.available_balance_minor,
    held_amount: row.ledger_balance_minor - row.available_balance_minor,
  };
}

function transactionData(row: EventRow): Record<string, unknown> {
  const data: Record<string, unknown> = {
    transaction_id: row.txn_seq === null ? null : sequenceId("txn", row.txn_seq),
    kind: isBalanceInquiry(row.kind, row.processing_code) ? "balance_inquiry" : row.kind,
    mti: row.mti === null ? null : String(row.mti).padStart(4, "0"),
    card_id: row.card_id,
    pan_masked: row.pan_masked,
    amount: row.amount_minor,
    approved_amount: row.approved_amount_minor,
    currency: row.account_currency,
    response_code: row.response_code,
    approval_code: row.approval_code,
    reason: row.reason,
  };
  if (row.topup_id !== null) data.topup_id = row.topup_id;
  if (row.network_response_code !== null) data.network_response_code = row.network_response_code;
  if (row.related_seq !== null) data.original_transaction_id = sequenceId("txn", row.related_seq);
  if (row.merchant_name_location !== null || row.merchant_id !== null) {
    data.merchant = {
      category: row.merchant_category,
      terminal_id: row.terminal_id,
      merchant_id: row.merchant_id,
      name_location: row.merchant_name_location,
    };
  }
  return data;
}

/** DE 43 is 40 characters: name (25), city (13), country (2). Shorter values are all name. */
export function splitMerchant(value: string | null): { name: string | null; location: string | null } {
  if (value === null) return { name: null, location: null };
  const text = maskText(value);
  const name = text.slice(0, 25).trim();
  const location = text.slice(25).replace(/\s+/g, " ").trim();
  return { name: name === "" ? null : name, location: location === "" ? null : location };
}
