import type { AuthorizationRequest, CardLimits, CardStatus, ResponseCode } from "../ledger/ledger.ts";
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

const PAN = /^\d{12,19}$/;
const PROCESSING_CODE = /^\d{6}$/;
const YYMM = /^\d{2}(0[1-9]|1[0-2])$/;
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
    PAN.test(request.pan) &&
    PROCESSING_CODE.test(request.processingCode) &&
    isAmount(request.amount) &&
    isCurrency(request.currency) &&
    (request.billingAmount === null || isAmount(request.billingAmount)) &&
    (request.billingCurrency === null || isCurrency(request.billingCurrency)) &&
    (request.expiry === null || YYMM.test(request.expiry));
  return wellFormed ? null : decline("30", "format_error");
}

const STATUS_DECLINES: Record<CardStatus, Decline | null> = {
  active: null,
  suspended: decline("62", "card_suspended"),
  lost: decline("41", "card_lost"),
  stolen: decline("43", "card_stolen"),
  closed: decline("46", "card_closed"),
};

export function checkStatus(card: CardFacts): Decline | null {
  return STATUS_DECLINES[card.status];
}

/** Months since year 2000 of a YYMM string (cards issued this century). */
function monthIndexOfExpiry(yymm: string): number {
  return Number(yymm.slice(0, 2)) * 12 + Number(yymm.slice(2, 4)) - 1;
}

function monthIndexOfTime(ms: number): number {
  const date = new Date(ms);
  return (date.getUTCFullYear() - 2000) * 12 + date.getUTCMonth();
}

/** A card is valid through the last day (UTC) of its expiry month; DE 14, when sent, must match it. */
export function checkExpiry(request: AuthorizationRequest, card: CardFacts): Decline | null {
  if (monthIndexOfExpiry(card.expiry) < monthIndexOfTime(request.receivedAtMs)) return decline("54", "card_expired");
  if (request.expiry !== null && request.expiry !== card.expiry) return decline("54", "expiry_mismatch");
  return null;
}

/** DE 3 positions 1–2, the transaction type. */
export type TransactionType = "debit" | "inquiry";

const TRANSACTION_TYPES: Record<string, TransactionType> = {
  "00": "debit", // goods and services
  "01": "debit", // cash withdrawal
  "09": "debit", // goods and services with cash back
  "31": "inquiry", // balance inquiry
};

export function transactionType(processingCode: string): TransactionType | null {
  return TRANSACTION_TYPES[processingCode.slice(0, 2)] ?? null;
}

export function checkProcessingCode(request: AuthorizationRequest): Decline | null {
  return transactionType(request.processingCode) === null ? decline("57", "processing_code_not_permitted") : null;
}

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
