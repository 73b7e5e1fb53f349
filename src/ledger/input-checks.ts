import { isExpiry } from "../authorize/checks.ts";
import { maskText } from "../ops/mask.ts";
import { validateLimits } from "./card-limits.ts";
import type { CardLimits } from "../domain/card-limits.ts";
import { isCardStatus, TERMINAL_CARD_STATUSES, type CardStatus } from "../domain/card-status.ts";
import { PAN_DIGITS_TEXT } from "../domain/pan.ts";
import { LedgerError } from "./ledger.ts";
import { isPositiveMinor } from "./money.ts";
import { isPan } from "./pan-vault.ts";

/**
 * The checks every ledger applies to what the Processor API hands it, before it touches storage: an
 * expected refusal is a LedgerError with a stable code, thrown before anything changed.
 */
const TEXT_MAX = 256;
const IDEMPOTENCY_KEY_LENGTH_MAX = 255;

export function optionalText(value: unknown, what: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string" || value.length === 0 || value.length > TEXT_MAX) {
    throw new LedgerError("invalid_input", `${what} must be text of 1 to ${TEXT_MAX} characters`);
  }
  return value;
}

export function checkCurrency(currency: unknown): number {
  if (!(typeof currency === "number" && Number.isInteger(currency) && currency >= 1 && currency <= 999)) {
    throw new LedgerError("invalid_input", "currency must be an ISO 4217 numeric code (1-999)");
  }
  return currency;
}

export function checkNewCard(input: { pan: string; expiry: string; limits?: Partial<CardLimits> }): Partial<CardLimits> {
  if (typeof input.pan !== "string" || !isPan(input.pan)) throw new LedgerError("invalid_input", `PAN must be ${PAN_DIGITS_TEXT}`);
  if (typeof input.expiry !== "string" || !isExpiry(input.expiry)) throw new LedgerError("invalid_input", "expiry must be YYMM");
  return validateLimits(input.limits);
}

export function checkStatus(status: CardStatus | undefined): void {
  if (status !== undefined && !isCardStatus(status)) throw new LedgerError("invalid_input", "unknown card status");
}

/** Lost, stolen and closed are final. */
export function checkStatusChange(from: CardStatus, to: CardStatus): void {
  if (to !== from && TERMINAL_CARD_STATUSES.includes(from)) throw new LedgerError("invalid_state", `a ${from} card cannot change status`);
}

export function checkTopUp(input: { amount: number; idempotencyKey: string; fingerprint: string }): void {
  if (!isPositiveMinor(input.amount)) throw new LedgerError("invalid_amount", "amount must be a positive integer in minor units");
  const key = input.idempotencyKey;
  if (typeof key !== "string" || key.length === 0 || key.length > IDEMPOTENCY_KEY_LENGTH_MAX) {
    throw new LedgerError("invalid_input", `idempotency key must be 1 to ${IDEMPOTENCY_KEY_LENGTH_MAX} characters`);
  }
  if (typeof input.fingerprint !== "string") throw new LedgerError("invalid_input", "fingerprint must be text");
}

export const CLAIM_LIMIT_MAX = 1000;
export const LEASE_MS_MAX = 3_600_000;
/** Outbox rows looked at per claim: bounds the work when a few accounts hold a long backlog. */
export const CLAIM_SCAN_ROWS_MAX = 4096;
const ERROR_TEXT_MAX = 500;

export function checkClaim(input: { limit: number; leaseMs: number; owner: string }): void {
  const { limit, leaseMs, owner } = input;
  if (!(Number.isInteger(limit) && limit >= 1 && limit <= CLAIM_LIMIT_MAX)) throw new LedgerError("invalid_input", "claim limit out of range");
  if (!(Number.isInteger(leaseMs) && leaseMs >= 1 && leaseMs <= LEASE_MS_MAX)) throw new LedgerError("invalid_input", "lease out of range");
  if (typeof owner !== "string" || owner.length === 0) throw new LedgerError("invalid_input", "owner must be named");
}

/** Events one pruneEvents call looks at, at most: one short transaction, whatever the backlog. */
export const PRUNE_ROWS_MAX = 10_000;

export function checkPrune(input: { createdBeforeMs: number; nowMs: number; rowsMax: number }): void {
  const { createdBeforeMs, nowMs, rowsMax } = input;
  if (!(Number.isInteger(rowsMax) && rowsMax >= 1 && rowsMax <= PRUNE_ROWS_MAX)) throw new LedgerError("invalid_input", "prune rows out of range");
  if (!Number.isSafeInteger(createdBeforeMs) || !Number.isSafeInteger(nowMs)) throw new LedgerError("invalid_input", "prune times must be integers");
}

/** A failed delivery's error as stored with the event: masked, bounded. */
export function deliveryErrorText(error: string): string {
  return maskText(String(error)).slice(0, ERROR_TEXT_MAX);
}
