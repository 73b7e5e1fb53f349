import { LedgerError } from "../../ledger/ledger.ts";
import { invalidRequest, notFound } from "../errors.ts";
import { transactionJson } from "../present.ts";
import { defineRoute } from "../route.ts";
import * as schemas from "../schemas.ts";

export const listTransactions = defineRoute({
  method: "GET",
  path: "/v1/users/:id/transactions",
  operationId: "listTransactions",
  summary: "The user's history, newest first, a page at a time",
  description:
    "Every authorization (approved or declined, with the reason), advice, financial message, reversal, " +
    "top-up and hold expiry. Follow `next_cursor` until it is null.",
  tag: "history",
  auth: true,
  params: schemas.IdParams,
  query: schemas.TransactionsQuery,
  responses: { 200: { description: "one page", schema: schemas.TransactionPage } },
  async handle({ params, query, deps }) {
    if ((await deps.ledger.getUser(params.id)) === null) throw notFound("user");
    try {
      const page = await deps.ledger.listTransactions(params.id, { limit: query.limit, cursor: query.cursor ?? null });
      return { status: 200, json: { data: page.items.map(transactionJson), next_cursor: page.nextCursor } };
    } catch (error) {
      // The cursor is opaque to us; a ledger that cannot read it says so with an expected failure.
      if (query.cursor !== undefined && error instanceof LedgerError && error.code !== "unavailable") {
        throw invalidRequest("cursor: not a cursor this API returned");
      }
      throw error;
    }
  },
});
