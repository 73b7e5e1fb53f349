import { isExpiry } from "../authorize/checks.ts";
import { validateLimits } from "./card-limits.ts";
import { LedgerError, TERMINAL_CARD_STATUSES, type CardLimits, type CardStatus } from "./ledger.ts";
import { isPositiveMinor } from "./money.ts";
import { isPan } from "./pan-vault.ts";

/**
 * The checks every ledger applies to what the Processor API hands it, before it touches storage: an
 * expected refusal is a LedgerError with a stable code, thrown before anything changed.
 */
const TEXT_MAX = 256;
const IDEMPOTENCY_KEY_LENGTH_MAX = 255;
const CARD_STATUSES: readonly CardStatus[] = ["active", "suspended", "lost", "stolen", "closed"];

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
  if (typeof input.pan !== "string" || !isPan(input.pan)) throw new LedgerError("invalid_input", "PAN must be 12 to 19 digits");
  if (typeof input.expiry !== "string" || !isExpiry(input.expiry)) throw new LedgerError("invalid_input", "expiry must be YYMM");
  return validateLimits(input.limits);
}

export function checkStatus(status: CardStatus | undefined): void {
  if (status !== undefined && !CARD_STATUSES.includes(status)) throw new LedgerError("invalid_input", "unknown card status");
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
