import { z } from "zod";
import { PAN_DIGITS_TEXT, PAN_PATTERN } from "../domain/pan.ts";
import { CARD_STATUSES } from "../domain/card-status.ts";
import type { CardSeed } from "./card-book.ts";

/**
 * `--cards FILE`: the cards to drive, when they were issued some other way than through the simulator's
 * own seeding. JSON, either an array of cards or `{ "cards": [...] }`, snake_case like the API:
 *
 *   { "pan": "4111…", "expiry": "2912", "status": "active", "available_balance": 500000,
 *     "ledger_balance": 500000, "limits": { "per_transaction_max": 100000 }, "user_id": "usr_…",
 *     "day_amount": 0, "day_count": 0 }
 *
 * `status`, `ledger_balance` (= available), `limits` (generous), `user_id` (needed for the cross-check
 * through the API) and today's approved `day_amount` / `day_count` (0) may be left out. Errors name the
 * card's position and the key, never the PAN.
 */
const cardSchema = z.strictObject({
  pan: z.string().regex(PAN_PATTERN, PAN_DIGITS_TEXT),
  expiry: z.string().regex(/^\d{4}$/, "YYMM"),
  status: z.enum(CARD_STATUSES).optional(),
  available_balance: z.number().int(),
  ledger_balance: z.number().int().optional(),
  limits: z
    .strictObject({
      per_transaction_max: z.number().int().min(0).optional(),
      per_day_amount_max: z.number().int().min(0).optional(),
      per_day_count_max: z.number().int().min(0).optional(),
    })
    .optional(),
  user_id: z.string().min(1).optional(),
  card_id: z.string().min(1).optional(),
  day_amount: z.number().int().min(0).optional(),
  day_count: z.number().int().min(0).optional(),
});

const cardListSchema = z.array(cardSchema);
const cardsObjectSchema = z.strictObject({ cards: cardListSchema });

export class CardsFileError extends Error {
  override readonly name = "CardsFileError";
}

export function parseCardsFile(text: string, nowMs: number): CardSeed[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CardsFileError(`not JSON: ${(error as Error).message}`);
  }
  // Pick the shape first, so that an error points into the card rather than at "no shape matched".
  const parsed = Array.isArray(json) ? cardListSchema.safeParse(json) : cardsObjectSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CardsFileError(`${issue.path.join(".") || "(top level)"}: ${issue.message}`);
  }
  const cards = Array.isArray(parsed.data) ? parsed.data : parsed.data.cards;
  const dayNumber = Math.floor(nowMs / 86_400_000);
  return cards.map((card) => {
    const limits: CardSeed["limits"] = {};
    if (card.limits?.per_transaction_max !== undefined) limits.perTransactionMax = card.limits.per_transaction_max;
    if (card.limits?.per_day_amount_max !== undefined) limits.perDayAmountMax = card.limits.per_day_amount_max;
    if (card.limits?.per_day_count_max !== undefined) limits.perDayCountMax = card.limits.per_day_count_max;
    return {
      pan: card.pan,
      expiry: card.expiry,
      status: (card.status ?? "active") as CardSeed["status"],
      limits,
      availableBalance: card.available_balance,
      ledgerBalance: card.ledger_balance ?? card.available_balance,
      userId: card.user_id ?? null,
      cardId: card.card_id ?? null,
      dayNumber,
      dayAmount: card.day_amount ?? 0,
      dayCount: card.day_count ?? 0,
    };
  });
}
