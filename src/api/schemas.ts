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
export const api = z.registry<{ id?: string; description?: string; examples?: readonly unknown[] }>();

/** A copy of `schema` with a description (a copy, so that shared schemas keep their own). */
function doc<T extends z.ZodType>(schema: T, description: string): T {
  const copy = schema.clone() as T;
  api.add(copy, { description });
  return copy;
}

/**
 * A named schema with its example: the OpenAPI document shows the example with every request and response
 * of this shape, and test/api/openapi.test.ts checks that it is valid against the schema.
 */
function component<T extends z.ZodType>(id: string, description: string, schema: T, example: z.input<T>): T {
  api.add(schema, { id, description, examples: [example] });
  return schema;
}

/** The example of a named schema (component). */
export function exampleOf(schema: z.ZodType): unknown {
  return api.get(schema)?.examples?.[0];
}

// Identifiers and values the examples share, so that they tell one story.
const EXAMPLE = {
  userId: "usr_0192b6f0-7c1e-7a3b-9c4d-2f1e0a9b8c7d",
  accountId: "acct_0192b6f0-7c1e-7a3b-9c4d-3a2b1c0d9e8f",
  cardId: "crd_0192b6f1-0a2b-7c3d-8e4f-5a6b7c8d9e0f",
  topUpId: "top_0192b6f2-1b2c-7d3e-9f40-6b7c8d9e0f1a",
  createdAt: "2026-04-01T09:30:00.000Z",
  cursor: "YzE6Mmg",
} as const;

/** Bounds of the API's inputs (documented in docs/api.md). */
export const LIMITS = {
  transactionsPageDefault: 50,
  transactionsPageMax: 200,
  usersPageDefault: 50,
  usersPageMax: 200,
  cardsPageDefault: 50,
  cardsPageMax: 200,
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
  { external_id: "member-4711", name: "Hanako Yamada" },
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
  { id: EXAMPLE.accountId, currency: "JPY", ledger_balance: 10000, available_balance: 8500, held_amount: 1500 },
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
  {
    id: EXAMPLE.userId,
    external_id: "member-4711",
    name: "Hanako Yamada",
    created_at: EXAMPLE.createdAt,
    account: { id: EXAMPLE.accountId, currency: "JPY", ledger_balance: 10000, available_balance: 8500, held_amount: 1500 },
  },
);

export const UserPage = component(
  "UserPage",
  "A page of users, newest first",
  z.object({
    data: z.array(User),
    next_cursor: doc(z.string().nullable(), "pass as `cursor` for the next (older) page; null on the last page"),
  }),
  {
    data: [
      {
        id: EXAMPLE.userId,
        external_id: "member-4711",
        name: "Hanako Yamada",
        created_at: EXAMPLE.createdAt,
        account: { id: EXAMPLE.accountId, currency: "JPY", ledger_balance: 10000, available_balance: 8500, held_amount: 1500 },
      },
    ],
    next_cursor: EXAMPLE.cursor,
  },
);

export const UsersQuery = z.object({
  limit: doc(
    z.coerce.number().int().min(1).max(LIMITS.usersPageMax).default(LIMITS.usersPageDefault),
    `users per page (default ${LIMITS.usersPageDefault}, at most ${LIMITS.usersPageMax})`,
  ),
  cursor: doc(z.string().min(1).max(LIMITS.cursorCharsMax).optional(), "next_cursor of the previous page"),
  external_id: doc(z.string().min(1).max(LIMITS.textCharsMax).optional(), "only the user with this external_id (exact match)"),
});

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
  { per_transaction_max: 50000, per_day_amount_max: 200000, per_day_count_max: 50 },
);

export const LimitsPatch = component(
  "LimitsPatch",
  "Limits to set; omitted ones keep their value (or the default, for a new card)",
  z.strictObject({
    per_transaction_max: limitAmount.optional(),
    per_day_amount_max: limitAmount.optional(),
    per_day_count_max: z.number().int().min(1).max(LIMITS.limitCountMax).optional(),
  }),
  { per_transaction_max: 30000 },
);

export const CreateCardRequest = component(
  "CreateCardRequest",
  "A new card; an empty body issues one with the default expiry and limits",
  z.strictObject({
    expiry: doc(yymm.optional(), "YYMM, this month or later (default: cardExpiryYears ahead)"),
    limits: LimitsPatch.optional(),
  }),
  { expiry: "3104", limits: { per_transaction_max: 30000 } },
);

export const UpdateCardRequest = component(
  "UpdateCardRequest",
  "Status and/or limits; at least one",
  z
    .strictObject({ status: cardStatus.optional(), limits: LimitsPatch.optional() })
    .refine((patch) => patch.status !== undefined || patch.limits !== undefined, "give status, limits or both"),
  { status: "suspended" },
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

const cardExample = {
  id: EXAMPLE.cardId,
  user_id: EXAMPLE.userId,
  pan_masked: "411111******1234",
  last4: "1234",
  expiry: "3104",
  status: "active" as const,
  limits: { per_transaction_max: 30000, per_day_amount_max: 200000, per_day_count_max: 50 },
  created_at: EXAMPLE.createdAt,
  updated_at: EXAMPLE.createdAt,
};

export const Card = component("Card", "A card; the full PAN is never shown", z.object(cardFields), cardExample);

export const CreatedCard = component(
  "CreatedCard",
  "A new card, with its full PAN: the only response that ever contains it",
  z.object({ ...cardFields, pan: doc(z.string().regex(/^\d{16}$/), "the full card number, shown once") }),
  { ...cardExample, pan: "4111110000001234" },
);

export const CardPage = component(
  "CardPage",
  "A page of the user's cards, newest first; PANs masked",
  z.object({
    data: z.array(Card),
    next_cursor: doc(z.string().nullable(), "pass as `cursor` for the next (older) page; null on the last page"),
  }),
  { data: [cardExample], next_cursor: null },
);

export const CardsQuery = z.object({
  limit: doc(
    z.coerce.number().int().min(1).max(LIMITS.cardsPageMax).default(LIMITS.cardsPageDefault),
    `cards per page (default ${LIMITS.cardsPageDefault}, at most ${LIMITS.cardsPageMax})`,
  ),
  cursor: doc(z.string().min(1).max(LIMITS.cursorCharsMax).optional(), "next_cursor of the previous page"),
});

// ── top-ups ──
export const TopUpRequest = component(
  "TopUpRequest",
  "Money added to the user's account",
  z.strictObject({
    amount: doc(z.number().int().min(1).max(LIMITS.amountMax), "minor units of the account currency"),
    currency: currencyIn.optional(),
  }),
  { amount: 10000, currency: "JPY" },
);

export const TopUp = component(
  "TopUp",
  "A completed top-up",
  z.object({
    id: doc(z.string(), "top_…: the top-up's own id; history entries and the topup event carry it as topup_id"),
    transaction_id: doc(z.string(), "txn_…: the history entry the top-up made"),
    user_id: z.string(),
    amount,
    currency: currencyOut,
    created_at: timestamp,
  }),
  {
    id: EXAMPLE.topUpId,
    transaction_id: "txn_000000002h5",
    user_id: EXAMPLE.userId,
    amount: 10000,
    currency: "JPY",
    created_at: EXAMPLE.createdAt,
  },
);

// ── history ──
export const TRANSACTION_TYPES = ["authorization", "advice", "financial", "reversal", "topup", "expiry", "balance_inquiry"] as const;

export const Transaction = component(
  "Transaction",
  "One entry of a user's history",
  z.object({
    id: doc(z.string(), "txn_…, the same transaction_id the events carry"),
    type: doc(z.enum(TRANSACTION_TYPES), "balance_inquiry: an authorization or financial message with DE 3 = 31xxxx; it moves no money"),
    topup_id: doc(z.string().nullable(), "the top-up's own id (top_…, as POST …/topups answered) when type is topup; null otherwise"),
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
  transactionExample("authorization"),
);

export const TransactionPage = component(
  "TransactionPage",
  "A page of history, newest first",
  z.object({
    data: z.array(Transaction),
    next_cursor: doc(z.string().nullable(), "pass as `cursor` for the next (older) page; null on the last page"),
  }),
  { data: [transactionExample("authorization"), transactionExample("balance_inquiry"), transactionExample("topup")], next_cursor: EXAMPLE.cursor },
);

function transactionExample(type: "authorization" | "balance_inquiry" | "topup") {
  const card = type === "topup" ? null : { card_id: EXAMPLE.cardId, pan_masked: "411111******1234" };
  const merchant =
    type === "topup"
      ? { merchant_name: null, merchant_location: null, merchant_category: null }
      : { merchant_name: "KISSA SEKISHO", merchant_location: "TOKYO JP", merchant_category: "5814" };
  return {
    id: { authorization: "txn_000000002h7", balance_inquiry: "txn_000000002h6", topup: "txn_000000002h5" }[type],
    type,
    topup_id: type === "topup" ? EXAMPLE.topUpId : null,
    status: type === "topup" ? "posted" : "approved",
    amount: type === "authorization" ? 1500 : type === "topup" ? 10000 : 0,
    approved_amount: type === "authorization" ? 1500 : type === "topup" ? 10000 : null,
    currency: "JPY",
    card_id: card?.card_id ?? null,
    pan_masked: card?.pan_masked ?? null,
    response_code: type === "topup" ? null : "00",
    approval_code: type === "authorization" ? "A1B2C3" : null,
    reason: null,
    ...merchant,
    created_at: EXAMPLE.createdAt,
  };
}

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
    data: doc(
      z.record(z.string(), z.unknown()),
      "what happened, masked: snake_case keys, alphabetic currencies, no full PAN; `account` is the account as this change left it",
    ),
  }),
  eventExample(),
);

function eventExample() {
  return {
    id: "evt_000000003k2",
    type: "authorization.approved" as const,
    created_at: EXAMPLE.createdAt,
    data: {
      account_id: EXAMPLE.accountId,
      user_id: EXAMPLE.userId,
      transaction_id: "txn_000000002h7",
      kind: "authorization",
      mti: "0100",
      card_id: EXAMPLE.cardId,
      pan_masked: "411111******1234",
      amount: 1500,
      approved_amount: 1500,
      currency: "JPY",
      response_code: "00",
      approval_code: "A1B2C3",
      reason: null,
      merchant: { category: "5814", terminal_id: "TERM0001", merchant_id: "MERCHANT0000001", name_location: "KISSA SEKISHO            TOKYO        JP", name: "KISSA SEKISHO", location: "TOKYO JP" },
      account: { id: EXAMPLE.accountId, currency: "JPY", ledger_balance: 10000, available_balance: 8500, held_amount: 1500 },
    },
  };
}

export const EventPage = component(
  "EventPage",
  "A page of retained events, oldest first",
  z.object({
    data: z.array(Event),
    next_cursor: doc(z.string().nullable(), "pass as `cursor` for the next (newer) page; null when this page reached the newest event"),
  }),
  { data: [eventExample()], next_cursor: null },
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
  { error: { code: "not_found", message: "no such user" } },
);

export const Health = component("Health", "The process is alive", z.object({ status: z.literal("ok") }), { status: "ok" });

export const Readiness = component(
  "Readiness",
  "Ready to take traffic (200), or why not (503)",
  z.object({ status: z.enum(["ready", "not_ready"]), reason: z.string().optional() }),
  { status: "ready" },
);
