import { LedgerError } from "../../ledger/ledger.ts";
import { webhookBody } from "../../ledger/event-body.ts";
import { currencyAlpha } from "../../domain/currency.ts";
import { invalidRequest } from "../errors.ts";
import { defineRoute } from "../route.ts";
import * as schemas from "../schemas.ts";

export const listEvents = defineRoute({
  method: "GET",
  path: "/v1/events",
  operationId: "listEvents",
  summary: "Retained events, oldest first, a page at a time",
  description:
    "Every event still within `eventRetentionHours`, delivered by the webhook or not, each the same body the " +
    "webhook POSTs. Follow `next_cursor` until it is null; ids are never reused, so a receiver catching up " +
    "drops what it already has by `id`.",
  tag: "events",
  auth: true,
  query: schemas.EventsQuery,
  responses: { 200: { description: "one page", schema: schemas.EventPage } },
  async handle({ query, deps }) {
    try {
      const page = await deps.ledger.listEvents({ limit: query.limit, cursor: query.cursor ?? null });
      return { status: 200, json: { data: page.items.map((event) => webhookBody(event, currencyAlpha)), next_cursor: page.nextCursor } };
    } catch (error) {
      // The cursor is opaque to us; a ledger that cannot read it says so with an expected failure.
      if (query.cursor !== undefined && error instanceof LedgerError && error.code !== "unavailable") {
        throw invalidRequest("cursor: not a cursor this API returned");
      }
      throw error;
    }
  },
});
