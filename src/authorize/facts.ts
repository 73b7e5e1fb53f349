import type { AuthorizationDecision } from "../domain/authorization.ts";
import type { CardLimits } from "../domain/card-limits.ts";
import type { CardStatus } from "../domain/card-status.ts";

/**
 * What the rules are told about the world, and what they answer. The ledger gathers the facts (from its
 * cache, its tables, or the batch so far), calls a rule, and applies the effect it returns; the rules
 * themselves never read or write anything.
 */
export interface CardFacts {
  readonly status: CardStatus;
  /** YYMM; the card is valid through the end of that month. */
  readonly expiry: string;
  readonly limits: CardLimits;
}

export interface AccountFacts {
  readonly currency: number;
  /** Ledger balance minus pending holds, minor units; may be negative after an advice. */
  readonly availableBalance: number;
}

/** The card's approved authorizations on the request's (UTC) day so far. */
export interface UsageFacts {
  readonly amount: number;
  readonly count: number;
}

export type DeclineReason =
  | "format_error"
  | "unsupported_message"
  | "reversed_before_original"
  | "no_such_card"
  | "card_suspended"
  | "card_lost"
  | "card_stolen"
  | "card_closed"
  | "card_expired"
  | "expiry_mismatch"
  | "processing_code_not_permitted"
  | "currency_not_supported"
  | "invalid_amount"
  | "over_transaction_limit"
  | "over_daily_amount_limit"
  | "over_daily_count_limit"
  | "insufficient_funds"
  | "network_declined";

/** What the ledger must do to the account; every amount is in the account's currency, minor units. */
export type Effect =
  | { readonly type: "none" }
  /** Place a new hold (0100 approval; an advice when we hold nothing for the key). */
  | { readonly type: "hold"; readonly amount: number }
  /** Post a debit at once (0200). */
  | { readonly type: "debit"; readonly amount: number }
  /** Advice: set our pending hold for the key to this amount (0 voids it). */
  | { readonly type: "set-hold"; readonly amount: number }
  /** Reversal: release the original's pending hold down to `remaining`. */
  | { readonly type: "release"; readonly remaining: number }
  /** Reversal of a posted financial: credit this much back. */
  | { readonly type: "credit"; readonly amount: number }
  /** Reversal before its original: remember it; `remaining` is DE 95's amount in the transaction currency. */
  | { readonly type: "early-reversal"; readonly remaining: number };

export interface Outcome {
  readonly decision: AuthorizationDecision;
  /** Why it was declined, or why an acknowledged advice/reversal had no effect; null otherwise. */
  readonly reason: DeclineReason | null;
  /** The request's amount in the account's currency, once the rules got that far; else null. */
  readonly accountAmount: number | null;
  readonly effect: Effect;
}

export const NO_EFFECT: Effect = { type: "none" };
