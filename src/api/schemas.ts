import { z } from "zod";
import { DAY_COUNT_MAX } from "../ledger/card-limits.ts";
import { MINOR_AMOUNT_MAX } from "../ledger/money.ts";
import { CARD_STATUSES } from "../domain/card-status.ts";
import { CURRENCY_ALPHAS } from "../domain/currency.ts";

/**
 * Every request and response of the Processor API as zod schemas. Routes validate with them, and the
 * OpenAPI document is generated from them (openapi.ts), so the document cannot drift from the code.
 * `api` holds each named schema's component id and description, and the descriptions of single fields.
 * Responses carry no defaults or transforms, so one JSON Schema conversion serves both directions.
 */
export const api = z.registry<{ id?: string; description?: string }>();

/** A copy of `schema` with a description (a copy, so that shared schemas keep their own). */
function doc<T extends z.ZodType>(schema: T, description: string): T {
  const copy = schema.clone() as T;
  api.add(copy, { description });
  return copy;
}

function component<T extends z.ZodType>(id: string, description: string, schema: T): T {
  api.add(schema, { id, description });
  return schema;
}

/** Bounds of the API's inputs (documented in docs/api.md). */
export const LIMITS = {
  transactionsPageDefault: 50,
  transactionsPageMax: 200,
  eventsPageDefault: 100,
  eventsPageMax: 500,
  cursorCharsMax: 512,
  idempotencyKeyCharsMax: 255,
  /** Twelve digits: the widest amount DE 4 can carry. */
  amountMax: 999_999_999_999,
  textCharsMax: 200,
  /** The ledger's own bounds on card limits, so that the API refuses what the ledger would. */
  limitAmountMax: MINOR_AMOUNT_MAX,
  limitCountMax: DAY_COUNT_MAX,
} as const;

const amount = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const limitAmount = z.number().int().min(1).max(LIMITS.limitAmountMax);
const signedAmount = z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);
const timestamp = doc(z.string(), "ISO 8601 UTC timestamp");
const currencyOut = doc(z.string().regex(/^([A-Z]{3}|\d{3})$/), "ISO 4217 alphabetic code (numeric when outside the supported table)");
const currencyIn = doc(z.enum(CURRENCY_ALPHAS), "ISO 4217 alphabetic code; must be the account's currency");
const yymm = doc(z.string().regex(/^\d{4}$/, "must be YYMM"), "YYMM");

/** Ids are opaque; anything outside this shape cannot name a resource, so it is answered 404. */
export const IdParams = z.object({ id: z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/) });

// ── users ──
export const CreateUserRequest = component(
  "CreateUserRequest",
  "A new user; an empty body is allowed",
  z.strictObject({
    external_id: doc(z.string().min(1).max(LIMITS.textCharsMax).nullish(), "the program's own id for the user"),
    name: z.string().min(1).max(LIMITS.textCharsMax).nullish(),
  }),
);

export const Account = component(
  "Account",
  "The user's prepaid account; amounts in minor units",
  z.object({
    id: z.string(),
    currency: currencyOut,
    ledger_balance: doc(signedAmount, "posted balance"),
    available_balance: doc(signedAmount, "posted balance minus pending holds (negative only after an advice)"),
    held_amount: doc(amount, "sum of pending authorization holds"),
  }),
);

export const User = component(
  "User",
  "A cardholder and their account",
  z.object({
    id: z.string(),
    external_id: z.string().nullable(),
    name: z.string().nullable(),
    created_at: timestamp,
    account: Account,
  }),
);

// ── cards ──
const cardStatus = doc(z.enum(CARD_STATUSES), "lost, stolen and closed are final");

export const Limits = component(
  "Limits",
  "Spending limits of a card; amounts in minor units, days in UTC",
  z.object({
    per_transaction_max: doc(amount, "largest single authorization"),
    per_day_amount_max: doc(amount, "sum of approved authorizations per day"),
    per_day_count_max: doc(amount, "number of approved authorizations per day"),
  }),
);

export const LimitsPatch = component(
  "LimitsPatch",
  "Limits to set; omitted ones keep their value (or the default, for a new card)",
  z.strictObject({
    per_transaction_max: limitAmount.optional(),
    per_day_amount_max: limitAmount.optional(),
    per_day_count_max: z.number().int().min(1).max(LIMITS.limitCountMax).optional(),
  }),
);

export const CreateCardRequest = component(
  "CreateCardRequest",
  "A new card; an empty body issues one with the default expiry and limits",
  z.strictObject({
    expiry: doc(yymm.optional(), "YYMM, this month or later (default: cardExpiryYears ahead)"),
    limits: LimitsPatch.optional(),
  }),
);

export const UpdateCardRequest = component(
  "UpdateCardRequest",
  "Status and/or limits; at least one",
  z
    .strictObject({ status: cardStatus.optional(), limits: LimitsPatch.optional() })
    .refine((patch) => patch.status !== undefined || patch.limits !== undefined, "give status, limits or both"),
);

const cardFields = {
  id: z.string(),
  user_id: z.string(),
  pan_masked: doc(z.string(), "first 6 and last 4 digits"),
  last4: z.string(),
  expiry: yymm,
  status: cardStatus,
  limits: Limits,
  created_at: timestamp,
  updated_at: timestamp,
};

export const Card = component("Card", "A card; the full PAN is never shown", z.object(cardFields));

export const CreatedCard = component(
  "CreatedCard",
  "A new card, with its full PAN: the only response that ever contains it",
  z.object({ ...cardFields, pan: doc(z.string().regex(/^\d{16}$/), "the full card number, shown once") }),
);

// ── top-ups ──
export const TopUpRequest = component(
  "TopUpRequest",
  "Money added to the user's account",
  z.strictObject({
    amount: doc(z.number().int().min(1).max(LIMITS.amountMax), "minor units of the account currency"),
    currency: currencyIn.optional(),
  }),
);

export const TopUp = component(
  "TopUp",
  "A completed top-up",
  z.object({ id: z.string(), user_id: z.string(), amount, currency: currencyOut, created_at: timestamp }),
);

// ── history ──
export const TRANSACTION_TYPES = ["authorization", "advice", "financial", "reversal", "topup", "expiry"] as const;

export const Transaction = component(
  "Transaction",
  "One entry of a user's history",
  z.object({
    id: z.string(),
    type: z.enum(TRANSACTION_TYPES),
    status: doc(z.string(), "approved, declined, reversed, partially_reversed, expired or posted"),
    amount: doc(amount, "the amount asked for, in the account currency"),
    approved_amount: doc(amount.nullable(), "what was held, posted or credited, when known (less than amount on a partial approval)"),
    currency: currencyOut,
    card_id: z.string().nullable(),
    pan_masked: z.string().nullable(),
    response_code: doc(z.string().nullable(), "ISO 8583 DE 39 given"),
    approval_code: z.string().nullable(),
    reason: doc(z.string().nullable(), "why it was declined (or other status detail)"),
    merchant_name: doc(z.string().nullable(), "DE 43 name part"),
    merchant_location: doc(z.string().nullable(), "DE 43 city and country"),
    merchant_category: doc(z.string().nullable(), "DE 18 MCC"),
    created_at: timestamp,
  }),
);

export const TransactionPage = component(
  "TransactionPage",
  "A page of history, newest first",
  z.object({
    data: z.array(Transaction),
    next_cursor: doc(z.string().nullable(), "pass as `cursor` for the next (older) page; null on the last page"),
  }),
);

export const TransactionsQuery = z.object({
  limit: doc(
    z.coerce.number().int().min(1).max(LIMITS.transactionsPageMax).default(LIMITS.transactionsPageDefault),
    `entries per page (default ${LIMITS.transactionsPageDefault}, at most ${LIMITS.transactionsPageMax})`,
  ),
  cursor: doc(z.string().min(1).max(LIMITS.cursorCharsMax).optional(), "next_cursor of the previous page"),
});

// ── events ──
export const EVENT_TYPES = [
  "authorization.approved",
  "authorization.declined",
  "reversal",
  "advice",
  "topup",
  "card.updated",
  "hold.expired",
] as const;

export const Event = component(
  "Event",
  "An event, the same body the webhook POSTs",
  z.object({
    id: doc(z.string(), "evt_…, never reused: receivers drop duplicates by it"),
    type: z.enum(EVENT_TYPES),
    created_at: timestamp,
    data: doc(z.record(z.string(), z.unknown()), "what happened, masked: snake_case keys, alphabetic currencies, no full PAN"),
  }),
);

export const EventPage = component(
  "EventPage",
  "A page of retained events, oldest first",
  z.object({
    data: z.array(Event),
    next_cursor: doc(z.string().nullable(), "pass as `cursor` for the next (newer) page; null when this page reached the newest event"),
  }),
);

export const EventsQuery = z.object({
  limit: doc(
    z.coerce.number().int().min(1).max(LIMITS.eventsPageMax).default(LIMITS.eventsPageDefault),
    `events per page (default ${LIMITS.eventsPageDefault}, at most ${LIMITS.eventsPageMax})`,
  ),
  cursor: doc(z.string().min(1).max(LIMITS.cursorCharsMax).optional(), "next_cursor of the previous page"),
});

// ── operations ──
export const ErrorResponse = component(
  "Error",
  "Every failure",
  z.object({ error: z.object({ code: z.string(), message: z.string() }) }),
);

export const Health = component("Health", "The process is alive", z.object({ status: z.literal("ok") }));

export const Readiness = component(
  "Readiness",
  "Ready to take traffic (200), or why not (503)",
  z.object({ status: z.enum(["ready", "not_ready"]), reason: z.string().optional() }),
);
