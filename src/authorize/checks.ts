import type { AuthorizationRequest } from "../domain/authorization.ts";
import type { CardLimits } from "../domain/card-limits.ts";
import { CARD_STATUS_TABLE, CARD_STATUSES, type CardStatus } from "../domain/card-status.ts";
import { PAN_DIGITS_MAX, PAN_DIGITS_MIN } from "../domain/pan.ts";
import type { ResponseCode } from "../domain/response-codes.ts";
import type { AccountFacts, CardFacts, DeclineReason, UsageFacts } from "./facts.ts";

/**
 * The individual checks of an authorization, each returning the decline it finds or null. decide.ts runs
 * them in the order the issue fixes: format → card → status → expiry → processing code → currency/amount
 * → limits → funds.
 */
export interface Decline {
  readonly code: ResponseCode;
  readonly reason: DeclineReason;
}

const decline = (code: ResponseCode, reason: DeclineReason): Decline => ({ code, reason });


/** Only ASCII digits, between `min` and `max` of them (a loop: this runs for every request). */
function isDigits(value: string, min: number, max: number): boolean {
  if (value.length < min || value.length > max) return false;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 48 || code > 57) return false;
  }
  return true;
}
const AMOUNT_MAX = 999_999_999_999; // twelve digits, DE 4's width

function isAmount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0 && value <= AMOUNT_MAX;
}

function isCurrency(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= 999;
}

/** Fields every request the ledger decides must carry, well-formed. */
export function checkFormat(request: AuthorizationRequest): Decline | null {
  const wellFormed =
    request.key.length > 0 &&
    isDigits(request.pan, PAN_DIGITS_MIN, PAN_DIGITS_MAX) &&
    isDigits(request.processingCode, 6, 6) &&
    isAmount(request.amount) &&
    isCurrency(request.currency) &&
    (request.billingAmount === null || isAmount(request.billingAmount)) &&
    (request.billingCurrency === null || isCurrency(request.billingCurrency)) &&
    (request.expiry === null || isExpiry(request.expiry));
  return wellFormed ? null : decline("30", "format_error");
}

/** YYMM with a month from 01 to 12. */
export function isExpiry(value: string): boolean {
  if (!isDigits(value, 4, 4)) return false;
  const month = (value.charCodeAt(2) - 48) * 10 + value.charCodeAt(3) - 48;
  return month >= 1 && month <= 12;
}

const STATUS_DECLINE_REASONS: Record<CardStatus, DeclineReason | null> = {
  active: null,
  suspended: "card_suspended",
  lost: "card_lost",
  stolen: "card_stolen",
  closed: "card_closed",
};

/** The code from the card-status table, the reason named here. */
function statusDecline(status: CardStatus): Decline | null {
  const code = CARD_STATUS_TABLE[status].declineCode;
  const reason = STATUS_DECLINE_REASONS[status];
  return code === null || reason === null ? null : decline(code, reason);
}

const STATUS_DECLINES = Object.fromEntries(CARD_STATUSES.map((status) => [status, statusDecline(status)])) as Record<
  CardStatus,
  Decline | null
>;

export function checkStatus(card: CardFacts): Decline | null {
  return STATUS_DECLINES[card.status];
}

const DIGIT_0 = 48;

/** Months since January 2000 of a YYMM string (cards issued this century). */
function monthIndexOfExpiry(yymm: string): number {
  const digit = (i: number) => yymm.charCodeAt(i) - DIGIT_0;
  return (digit(0) * 10 + digit(1)) * 12 + digit(2) * 10 + digit(3) - 1;
}

// The month of a time changes rarely; remember the last day asked for (this keeps a Date off the hot path).
let lastDay = -1;
let lastDayMonthIndex = 0;

function monthIndexOfTime(ms: number): number {
  const day = utcDay(ms);
  if (day !== lastDay) {
    const date = new Date(ms);
    lastDayMonthIndex = (date.getUTCFullYear() - 2000) * 12 + date.getUTCMonth();
    lastDay = day;
  }
  return lastDayMonthIndex;
}

/** A card is valid through the last day (UTC) of its expiry month; DE 14, when sent, must match it. */
export function checkExpiry(request: AuthorizationRequest, card: CardFacts): Decline | null {
  if (monthIndexOfExpiry(card.expiry) < monthIndexOfTime(request.receivedAtMs)) return decline("54", "card_expired");
  if (request.expiry !== null && request.expiry !== card.expiry) return decline("54", "expiry_mismatch");
  return null;
}

/** DE 3 positions 1–2, the transaction type. */
export type TransactionType = "debit" | "inquiry";

/**
 * Supported types: 00 goods and services, 01 cash withdrawal, 09 goods and services with cash back
 * (debits), 31 balance inquiry. Read by character code: this runs for every request.
 */
export function transactionType(processingCode: string): TransactionType | null {
  const first = processingCode.charCodeAt(0) - DIGIT_0;
  const second = processingCode.charCodeAt(1) - DIGIT_0;
  if (first === 0 && (second === 0 || second === 1 || second === 9)) return "debit";
  if (first === 3 && second === 1) return "inquiry";
  return null;
}

export const PROCESSING_CODE_NOT_PERMITTED: Decline = decline("57", "processing_code_not_permitted");

/**
 * The amount in the account's currency: the cardholder billing amount (DE 6, in DE 51 or else the
 * account's currency) when present, else DE 4 when DE 49 is the account's currency; otherwise null (12).
 */
export function accountAmountOf(request: AuthorizationRequest, account: AccountFacts): number | null {
  if (request.billingAmount !== null) {
    const currency = request.billingCurrency ?? account.currency;
    return currency === account.currency ? request.billingAmount : null;
  }
  return request.currency === account.currency ? request.amount : null;
}

export function checkAmount(accountAmount: number | null): Decline | null {
  if (accountAmount === null) return decline("12", "currency_not_supported");
  if (accountAmount <= 0) return decline("13", "invalid_amount");
  return null;
}

/** Each limit is inclusive: an amount exactly at the limit is allowed. */
export function checkLimits(amount: number, limits: CardLimits, usage: UsageFacts): Decline | null {
  if (amount > limits.perTransactionMax) return decline("61", "over_transaction_limit");
  if (usage.amount + amount > limits.perDayAmountMax) return decline("61", "over_daily_amount_limit");
  if (usage.count + 1 > limits.perDayCountMax) return decline("65", "over_daily_count_limit");
  return null;
}

/** The (UTC) day a time falls on, as days since the epoch; daily limits count per such day. */
export function utcDay(ms: number): number {
  return Math.floor(ms / 86_400_000);
}
