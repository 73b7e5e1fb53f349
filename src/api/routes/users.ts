import { LedgerError } from "../../ledger/ledger.ts";
import { invalidRequest, notFound } from "../errors.ts";
import { userJson } from "../present.ts";
import { defineRoute } from "../route.ts";
import * as schemas from "../schemas.ts";

export const createUser = defineRoute({
  method: "POST",
  path: "/v1/users",
  operationId: "createUser",
  summary: "Create a user with an empty prepaid account",
  tag: "users",
  auth: true,
  body: schemas.CreateUserRequest.optional(),
  responses: { 201: { description: "the user", schema: schemas.User } },
  async handle({ body, deps }) {
    const user = await deps.ledger.createUser({
      externalId: body?.external_id ?? null,
      name: body?.name ?? null,
      currency: deps.currency,
    });
    const found = await deps.ledger.getUser(user.id);
    if (found === null) throw new Error("a user just created is missing");
    return { status: 201, json: userJson(found.user, found.balances) };
  },
});

export const listUsers = defineRoute({
  method: "GET",
  path: "/v1/users",
  operationId: "listUsers",
  summary: "Users with their balances, newest first, a page at a time",
  description:
    "Follow `next_cursor` until it is null. `external_id` finds the user with that id of the program's own " +
    "(exact match; a page of one or none).",
  tag: "users",
  auth: true,
  query: schemas.UsersQuery,
  responses: { 200: { description: "one page", schema: schemas.UserPage } },
  async handle({ query, deps }) {
    try {
      const page = await deps.ledger.listUsers({ limit: query.limit, cursor: query.cursor ?? null, externalId: query.external_id ?? null });
      return { status: 200, json: { data: page.items.map((item) => userJson(item.user, item.balances)), next_cursor: page.nextCursor } };
    } catch (error) {
      // The cursor is opaque to us; a ledger that cannot read it says so with an expected failure.
      if (query.cursor !== undefined && error instanceof LedgerError && error.code !== "unavailable") {
        throw invalidRequest("cursor: not a cursor this API returned");
      }
      throw error;
    }
  },
});

export const getUser = defineRoute({
  method: "GET",
  path: "/v1/users/:id",
  operationId: "getUser",
  summary: "A user with their ledger and available balances",
  tag: "users",
  auth: true,
  params: schemas.IdParams,
  responses: { 200: { description: "the user", schema: schemas.User } },
  async handle({ params, deps }) {
    const found = await deps.ledger.getUser(params.id);
    if (found === null) throw notFound("user");
    return { status: 200, json: userJson(found.user, found.balances) };
  },
});
