import { LedgerError, type Card } from "../../ledger/ledger.ts";
import { ApiError, invalidRequest, notFound, validationFailed } from "../errors.ts";
import { expiryProblem, expiryYearsAhead } from "../expiry.ts";
import { cardJson } from "../present.ts";
import { defineRoute, type ApiDeps } from "../route.ts";
import * as schemas from "../schemas.ts";
import type { z } from "zod";

/** Tries with fresh PANs when one is taken; past this many, something is wrong with the BIN's space. */
export const PAN_ISSUE_ATTEMPTS_MAX = 8;

type LimitsPatch = z.output<typeof schemas.LimitsPatch>;

function limitsInput(limits: LimitsPatch | undefined) {
  if (limits === undefined) return undefined;
  const out: { perTransactionMax?: number; perDayAmountMax?: number; perDayCountMax?: number } = {};
  if (limits.per_transaction_max !== undefined) out.perTransactionMax = limits.per_transaction_max;
  if (limits.per_day_amount_max !== undefined) out.perDayAmountMax = limits.per_day_amount_max;
  if (limits.per_day_count_max !== undefined) out.perDayCountMax = limits.per_day_count_max;
  return out;
}

async function issueWithFreshPan(
  deps: ApiDeps,
  userId: string,
  input: { expiry: string; limits?: ReturnType<typeof limitsInput> },
): Promise<{ card: Card; pan: string }> {
  for (let attempt = 1; attempt <= PAN_ISSUE_ATTEMPTS_MAX; attempt++) {
    const pan = deps.generatePan();
    try {
      const card = await deps.ledger.issueCard(userId, { pan, expiry: input.expiry, limits: input.limits });
      return { card, pan };
    } catch (error) {
      if (error instanceof LedgerError && error.code === "conflict") {
        deps.logger.warn("api.pan_collision", { attempt });
        continue;
      }
      throw error;
    }
  }
  throw new ApiError(503, "unavailable", `no unused card number found in ${PAN_ISSUE_ATTEMPTS_MAX} attempts`);
}

export const createCard = defineRoute({
  method: "POST",
  path: "/v1/users/:id/cards",
  operationId: "createCard",
  summary: "Issue a card on the user's account",
  description: "The response holds the full PAN; no other response ever does. Store it now or never.",
  tag: "cards",
  auth: true,
  params: schemas.IdParams,
  body: schemas.CreateCardRequest.optional(),
  responses: { 201: { description: "the new card, with its full PAN", schema: schemas.CreatedCard } },
  async handle({ params, body, deps }) {
    const nowMs = deps.clock();
    const expiry = body?.expiry ?? expiryYearsAhead(nowMs, deps.cardExpiryYears);
    const problem = expiryProblem(expiry, nowMs);
    if (problem !== null) throw validationFailed(`expiry: ${problem}`);
    if ((await deps.ledger.getUser(params.id)) === null) throw notFound("user");
    const { card, pan } = await issueWithFreshPan(deps, params.id, { expiry, limits: limitsInput(body?.limits) });
    return { status: 201, json: { ...cardJson(card), pan } };
  },
});

export const listCards = defineRoute({
  method: "GET",
  path: "/v1/users/:id/cards",
  operationId: "listCards",
  summary: "The user's cards, newest first, a page at a time (PANs masked)",
  description: "Every card issued on the user's account, whatever its status. Follow `next_cursor` until it is null.",
  tag: "cards",
  auth: true,
  params: schemas.IdParams,
  query: schemas.CardsQuery,
  responses: { 200: { description: "one page", schema: schemas.CardPage } },
  async handle({ params, query, deps }) {
    try {
      const page = await deps.ledger.listCards(params.id, { limit: query.limit, cursor: query.cursor ?? null });
      return { status: 200, json: { data: page.items.map(cardJson), next_cursor: page.nextCursor } };
    } catch (error) {
      if (error instanceof LedgerError && error.code === "not_found") throw notFound("user");
      // The cursor is opaque to us; a ledger that cannot read it says so with an expected failure.
      if (query.cursor !== undefined && error instanceof LedgerError && error.code !== "unavailable") {
        throw invalidRequest("cursor: not a cursor this API returned");
      }
      throw error;
    }
  },
});

export const getCard = defineRoute({
  method: "GET",
  path: "/v1/cards/:id",
  operationId: "getCard",
  summary: "A card (PAN masked)",
  tag: "cards",
  auth: true,
  params: schemas.IdParams,
  responses: { 200: { description: "the card", schema: schemas.Card } },
  async handle({ params, deps }) {
    const card = await deps.ledger.getCard(params.id);
    if (card === null) throw notFound("card");
    return { status: 200, json: cardJson(card) };
  },
});

export const updateCard = defineRoute({
  method: "PATCH",
  path: "/v1/cards/:id",
  operationId: "updateCard",
  summary: "Change a card's status and/or limits",
  description: "lost, stolen and closed are final: leaving them is refused with 409 card_status_final.",
  tag: "cards",
  auth: true,
  params: schemas.IdParams,
  body: schemas.UpdateCardRequest,
  responses: {
    200: { description: "the card after the change", schema: schemas.Card },
    409: {
      description: "card_status_final: the card is lost, stolen or closed",
      schema: schemas.ErrorResponse,
      example: { error: { code: "card_status_final", message: "the card is lost, stolen or closed; that status is final" } },
    },
  },
  async handle({ params, body, deps }) {
    try {
      const card = await deps.ledger.updateCard(params.id, { status: body.status, limits: limitsInput(body.limits) });
      return { status: 200, json: cardJson(card) };
    } catch (error) {
      if (error instanceof LedgerError && error.code === "invalid_state") {
        throw new ApiError(409, "card_status_final", "the card is lost, stolen or closed; that status is final", {
          cause: error,
        });
      }
      throw error;
    }
  },
});
