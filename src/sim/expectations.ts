import type { SimCard } from "./card-book.ts";

/**
 * The answer the processor must give, predicted from the model, and what an answer does to the model.
 * Pure functions on one card: the simulator keeps at most one request in flight per account, so nothing
 * can change a card between the prediction and the answer. The check order is the processor's:
 * card exists → status → expiry → processing code → amount → limits → funds.
 */
export const MS_PER_DAY = 86_400_000;

/**
 * DE 39 91, issuer unavailable: not a decision. The processor stores nothing for the request (its batch
 * failed, or it waited past its deadline), so a later request with the same key is decided afresh.
 */
export const ISSUER_UNAVAILABLE = "91";

export function utcDayNumber(nowMs: number): number {
  return Math.floor(nowMs / MS_PER_DAY);
}

/** YYMM of `nowMs` as a number (2606 for June 2026), comparable with a card's expiry. */
export function yymmNumber(nowMs: number): number {
  const date = new Date(nowMs);
  return (date.getUTCFullYear() % 100) * 100 + date.getUTCMonth() + 1;
}

export interface AuthorizationAsk {
  /** Minor units (DE 4). */
  readonly amount: number;
  /** DE 14 as sent (YYMM). */
  readonly expirySent: string;
  /** DE 3 = 31xxxx: a balance inquiry, no amount, no hold. */
  readonly inquiry: boolean;
  readonly dayNumber: number;
  readonly currentYymm: number;
}

const STATUS_CODES = { suspended: "62", lost: "41", stolen: "43", closed: "46" } as const;

/** DE 39 the processor must answer to an 0100 / 0101 / 0200 for `card` (null: not a card it knows). */
export function expectedAuthorizationCode(card: SimCard | null, ask: AuthorizationAsk): string {
  if (card === null) return "14";
  if (card.status !== "active") return STATUS_CODES[card.status];
  if (ask.expirySent !== card.expiry || Number(card.expiry) < ask.currentYymm) return "54";
  if (ask.inquiry) return "00";
  const limits = card.limits;
  if (ask.amount > limits.perTransactionMax) return "61";
  const today = card.dayNumber === ask.dayNumber;
  if ((today ? card.dayAmount : 0) + ask.amount > limits.perDayAmountMax) return "61";
  if ((today ? card.dayCount : 0) + 1 > limits.perDayCountMax) return "65";
  if (ask.amount > card.availableBalance) return "51";
  return "00";
}

/** An approved authorization or advice: the amount is held (available drops, the ledger balance stays). */
export function applyHold(card: SimCard, amount: number, dayNumber: number, countsTowardLimits: boolean): void {
  card.availableBalance -= amount;
  if (countsTowardLimits) countApproval(card, amount, dayNumber);
}

/** An approved financial request (0200): debited at once. */
export function applyDebit(card: SimCard, amount: number, dayNumber: number): void {
  card.availableBalance -= amount;
  card.ledgerBalance -= amount;
  countApproval(card, amount, dayNumber);
}

/** A reversal releasing `amount` of a hold. */
export function applyRelease(card: SimCard, amount: number): void {
  if (amount < 0 || amount > card.heldAmount) {
    throw new RangeError(`release of ${amount} exceeds the ${card.heldAmount} held on card ${card.index}`);
  }
  card.availableBalance += amount;
}

function countApproval(card: SimCard, amount: number, dayNumber: number): void {
  if (card.dayNumber !== dayNumber) {
    card.dayNumber = dayNumber;
    card.dayAmount = 0;
    card.dayCount = 0;
  }
  card.dayAmount += amount;
  card.dayCount += 1;
}

/** DE 54 of a balance inquiry: "00" (account type) "02" (available) + currency + C/D + 12 digits. */
export function balanceAmountsField(availableBalance: number, currency: string): string {
  const sign = availableBalance < 0 ? "D" : "C";
  return "0002" + currency + sign + String(Math.abs(availableBalance)).padStart(12, "0");
}
