import { createHash } from "node:crypto";
import { z } from "zod";
import { currencyAlpha, currencyByAlpha } from "../../domain/currency.ts";
import { ApiError, invalidRequest, notFound } from "../errors.ts";
import { topUpJson } from "../present.ts";
import { defineRoute } from "../route.ts";
import * as schemas from "../schemas.ts";

const IDEMPOTENCY_KEY = new RegExp(`^[\\x21-\\x7e]{1,${schemas.LIMITS.idempotencyKeyCharsMax}}$`);

/**
 * What makes two top-ups "the same request": user, amount and currency after defaults are applied, so
 * `{ amount: 100 }` and `{ amount: 100, currency: "JPY" }` on a JPY account are one request.
 */
export function topUpFingerprint(input: { userId: string; amount: number; currency: number }): string {
  return createHash("sha256").update(JSON.stringify([input.userId, input.amount, input.currency])).digest("hex");
}

export const createTopUp = defineRoute({
  method: "POST",
  path: "/v1/users/:id/topups",
  operationId: "createTopUp",
  summary: "Add money to the user's account (idempotent)",
  description:
    "Requires an Idempotency-Key header. The same key with the same body returns the first result with " +
    "status 200 and `Idempotent-Replayed: true`; the same key with a different body is refused with 409.",
  tag: "top-ups",
  auth: true,
  params: schemas.IdParams,
  body: schemas.TopUpRequest,
  headers: [
    {
      name: "Idempotency-Key",
      required: true,
      description: `1–${schemas.LIMITS.idempotencyKeyCharsMax} visible ASCII characters, unique per intended top-up`,
      schema: z.string().regex(IDEMPOTENCY_KEY),
    },
  ],
  responses: {
    201: { description: "the top-up, applied now", schema: schemas.TopUp },
    200: {
      description: "a replay: the top-up this key made before, unchanged",
      schema: schemas.TopUp,
      headers: { "Idempotent-Replayed": "true on a replay" },
    },
    409: {
      description: "idempotency_conflict: the key was used with a different body",
      schema: schemas.ErrorResponse,
      example: { error: { code: "idempotency_conflict", message: "this idempotency key was used for a different top-up" } },
    },
  },
  async handle({ params, body, headers, deps }) {
    const key = headers.get("idempotency-key");
    if (key === null) throw invalidRequest("the Idempotency-Key header is required");
    if (!IDEMPOTENCY_KEY.test(key)) {
      throw invalidRequest(`Idempotency-Key must be 1–${schemas.LIMITS.idempotencyKeyCharsMax} visible ASCII characters`);
    }
    const found = await deps.ledger.getUser(params.id);
    if (found === null) throw notFound("user");
    const accountCurrency = found.balances.currency;
    if (body.currency !== undefined && currencyByAlpha(body.currency)?.numeric !== accountCurrency) {
      throw new ApiError(422, "currency_mismatch", `currency: the account is in ${currencyAlpha(accountCurrency)}`);
    }
    const { topUp, replayed } = await deps.ledger.topUp(params.id, {
      amount: body.amount,
      currency: accountCurrency,
      idempotencyKey: key,
      fingerprint: topUpFingerprint({ userId: params.id, amount: body.amount, currency: accountCurrency }),
    });
    return replayed
      ? { status: 200, json: topUpJson(topUp), headers: { "Idempotent-Replayed": "true" } }
      : { status: 201, json: topUpJson(topUp) };
  },
});
