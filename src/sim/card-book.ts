import type { CardStatus } from "../domain/card-status.ts";
import { PAN_DIGITS_TEXT, PAN_PATTERN } from "../domain/pan.ts";

/**
 * The simulator's own model of the cards it drives and the prepaid accounts behind them. One card per
 * account. The model is kept exact — every answer the processor gives moves it — so the simulator can
 * predict the next answer (00 versus 51, 61, 65 …) and, at the end, compare every balance with the
 * processor's ledger. Sekisho's ledger is never imported: the processor is a black box.
 */
/**
 * What the traffic uses a card for. `normal` and `thin` (little money: natural 51s, advices overdraw it)
 * take the whole mix; `limit_amount` / `limit_count` only plain purchases, so that the per-day counters stay
 * predictable; the four status roles are read-only (their answer never depends on a balance).
 */
export type CardRole = "normal" | "thin" | "limit_amount" | "limit_count" | "suspended" | "lost" | "stolen" | "closed";

export interface CardLimits {
  perTransactionMax: number;
  perDayAmountMax: number;
  perDayCountMax: number;
}

/** Limits loose enough never to decide an answer on a normal card, yet accepted by a real API. */
export const GENEROUS_LIMITS: Readonly<CardLimits> = {
  perTransactionMax: 100_000_000,
  perDayAmountMax: 100_000_000_000,
  perDayCountMax: 1_000_000,
};

/** A card as handed to the simulator: by the API seeding, a cards file, or a test. */
export interface CardSeed {
  pan: string;
  /** YYMM. */
  expiry: string;
  status?: CardStatus;
  role?: CardRole;
  limits?: Partial<CardLimits>;
  availableBalance: number;
  /** Defaults to the available balance (no holds). */
  ledgerBalance?: number;
  userId?: string | null;
  cardId?: string | null;
  /** Approved amount and count so far on `dayNumber` (UTC days since the epoch), if the card was used today. */
  dayNumber?: number;
  dayAmount?: number;
  dayCount?: number;
}

export class SimCard {
  readonly index: number;
  readonly pan: string;
  readonly expiry: string;
  readonly status: CardStatus;
  readonly role: CardRole;
  readonly limits: Readonly<CardLimits>;
  readonly userId: string | null;
  readonly cardId: string | null;
  availableBalance: number;
  ledgerBalance: number;
  /** UTC day the counters below belong to; older counters read as zero. */
  dayNumber: number;
  dayAmount: number;
  dayCount: number;
  /** A request on this account went unanswered: its effect is unknown, so the account leaves the run. */
  uncertain = false;

  constructor(index: number, seed: CardSeed) {
    if (!PAN_PATTERN.test(seed.pan)) throw new RangeError(`card ${index}: PAN must be ${PAN_DIGITS_TEXT}`);
    if (!/^\d{4}$/.test(seed.expiry)) throw new RangeError(`card ${index}: expiry must be YYMM`);
    if (!Number.isSafeInteger(seed.availableBalance)) throw new RangeError(`card ${index}: availableBalance must be an integer`);
    this.index = index;
    this.pan = seed.pan;
    this.expiry = seed.expiry;
    this.status = seed.status ?? "active";
    this.limits = { ...GENEROUS_LIMITS, ...seed.limits };
    this.role = seed.role ?? roleFor(this.status, this.limits);
    if (this.status !== "active" && this.role !== this.status) {
      throw new RangeError(`card ${index}: role ${this.role} does not fit status ${this.status}`);
    }
    this.userId = seed.userId ?? null;
    this.cardId = seed.cardId ?? null;
    this.availableBalance = seed.availableBalance;
    this.ledgerBalance = seed.ledgerBalance ?? seed.availableBalance;
    this.dayNumber = seed.dayNumber ?? 0;
    this.dayAmount = seed.dayAmount ?? 0;
    this.dayCount = seed.dayCount ?? 0;
  }

  get heldAmount(): number {
    return this.ledgerBalance - this.availableBalance;
  }

  /** Whether lanes drive this card (it has a balance whose changes matter). */
  get owned(): boolean {
    return this.status === "active";
  }
}

function roleFor(status: CardStatus, limits: Readonly<CardLimits>): CardRole {
  if (status !== "active") return status;
  if (limits.perDayCountMax < GENEROUS_LIMITS.perDayCountMax / 1000) return "limit_count";
  if (limits.perTransactionMax < GENEROUS_LIMITS.perTransactionMax / 1000) return "limit_amount";
  if (limits.perDayAmountMax < GENEROUS_LIMITS.perDayAmountMax / 1000) return "limit_amount";
  return "normal";
}

export class CardBook {
  readonly cards: readonly SimCard[];
  /** Read-only cards any lane may use at any time (suspended, lost, stolen, closed). */
  readonly statusCards: readonly SimCard[];
  /** Active cards, each owned by exactly one lane. */
  readonly ownedCards: readonly SimCard[];
  private readonly byPan: Map<string, SimCard>;

  constructor(seeds: readonly CardSeed[]) {
    const cards = seeds.map((seed, i) => new SimCard(i, seed));
    this.byPan = new Map();
    for (const card of cards) {
      if (this.byPan.has(card.pan)) throw new RangeError(`card ${card.index}: PAN appears twice`);
      this.byPan.set(card.pan, card);
    }
    this.cards = cards;
    this.statusCards = cards.filter((card) => !card.owned);
    this.ownedCards = cards.filter((card) => card.owned);
  }

  has(pan: string): boolean {
    return this.byPan.has(pan);
  }

  /** Balances as the model has them, for the end-of-run cross-check. */
  snapshot(): AccountSnapshot[] {
    return this.cards.map((card) => ({
      index: card.index,
      userId: card.userId,
      pan: card.pan,
      availableBalance: card.availableBalance,
      ledgerBalance: card.ledgerBalance,
      heldAmount: card.heldAmount,
      uncertain: card.uncertain,
    }));
  }
}

/** One account's expected balances. Holds the full PAN: in-process only, never printed. */
export interface AccountSnapshot {
  readonly index: number;
  readonly userId: string | null;
  readonly pan: string;
  readonly availableBalance: number;
  readonly ledgerBalance: number;
  readonly heldAmount: number;
  /** Skipped by the cross-check: an unanswered request left its balance unknown. */
  readonly uncertain: boolean;
}
