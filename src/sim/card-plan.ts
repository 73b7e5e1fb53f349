import { luhnCheckDigit as apiLuhnCheckDigit } from "../domain/luhn.ts";
import type { CardStatus } from "../domain/card-status.ts";
import { GENEROUS_LIMITS, type CardLimits, type CardRole } from "./card-book.ts";
import type { SeededRandom } from "./random.ts";

/**
 * Which cards a run needs, decided from the seed before any is created: mostly well-funded normal cards,
 * some thin ones that run dry, a few per blocking status, and a few with tight limits to draw 61 and 65.
 */
export interface CardPlan {
  readonly role: CardRole;
  readonly status: CardStatus;
  readonly limits: CardLimits;
  /** The one top-up the account gets, minor units. */
  readonly topUpAmount: number;
  /** YYMM. */
  readonly expiry: string;
}

export const CARD_COUNT_MIN = 8;

export const LIMIT_AMOUNT_LIMITS: Readonly<CardLimits> = {
  perTransactionMax: 20_000,
  perDayAmountMax: 60_000,
  perDayCountMax: GENEROUS_LIMITS.perDayCountMax,
};

export const LIMIT_COUNT_LIMITS: Readonly<CardLimits> = {
  perTransactionMax: GENEROUS_LIMITS.perTransactionMax,
  perDayAmountMax: GENEROUS_LIMITS.perDayAmountMax,
  perDayCountMax: 5,
};

export function planCards(count: number, random: SeededRandom, nowMs: number): CardPlan[] {
  if (!Number.isInteger(count) || count < CARD_COUNT_MIN) throw new RangeError(`at least ${CARD_COUNT_MIN} cards are needed`);
  const roles: CardRole[] = [];
  const each = (role: CardRole, n: number) => {
    for (let i = 0; i < n; i++) roles.push(role);
  };
  const statusEach = Math.max(1, Math.floor(count / 100));
  const limitEach = Math.max(1, Math.floor(count / 200));
  each("suspended", statusEach);
  each("lost", statusEach);
  each("stolen", statusEach);
  each("closed", statusEach);
  each("limit_amount", limitEach);
  each("limit_count", limitEach);
  each("thin", Math.floor(count / 10));
  each("normal", count - roles.length);
  // Fisher–Yates with the run's generator: the same seed gives the same cards in the same places.
  for (let i = roles.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [roles[i], roles[j]] = [roles[j]!, roles[i]!];
  }
  const expiry = expiryYearsAhead(nowMs, 3);
  return roles.map((role) => planOne(role, random, expiry));
}

function planOne(role: CardRole, random: SeededRandom, expiry: string): CardPlan {
  switch (role) {
    case "normal":
      return { role, status: "active", limits: { ...GENEROUS_LIMITS }, topUpAmount: random.int(2_000_000, 10_000_000), expiry };
    case "thin":
      return { role, status: "active", limits: { ...GENEROUS_LIMITS }, topUpAmount: random.int(1_000, 50_000), expiry };
    case "limit_amount":
      return { role, status: "active", limits: { ...LIMIT_AMOUNT_LIMITS }, topUpAmount: 10_000_000, expiry };
    case "limit_count":
      return { role, status: "active", limits: { ...LIMIT_COUNT_LIMITS }, topUpAmount: 10_000_000, expiry };
    default:
      return { role, status: role, limits: { ...GENEROUS_LIMITS }, topUpAmount: random.int(10_000, 100_000), expiry };
  }
}

/** YYMM `years` ahead of `nowMs`. */
export function expiryYearsAhead(nowMs: number, years: number): string {
  const date = new Date(nowMs);
  const yy = (date.getUTCFullYear() + years) % 100;
  return String(yy).padStart(2, "0") + String(date.getUTCMonth() + 1).padStart(2, "0");
}

/** A Luhn-valid PAN: `prefix`, random digits, check digit; `length` digits in all. */
export function syntheticPan(prefix: string, length: number, random: SeededRandom): string {
  const body = prefix + random.digits(length - prefix.length - 1);
  return body + luhnCheckDigit(body);
}

/** The check digit as text, for building PANs. */
export function luhnCheckDigit(body: string): string {
  return String(apiLuhnCheckDigit(body));
}
