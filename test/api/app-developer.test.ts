import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startApi, userWithCard, type ApiHarness } from "../support/api-harness.ts";
import { authorization } from "../support/authorizations.ts";

/**
 * What an app needs beyond single resources: lists of users and cards, the top-up's id wherever the top-up
 * shows, balance inquiries kept apart from spending, and each event's balance after its change.
 */
let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.stop();
});

async function pages(path: string, limit: number): Promise<any[][]> {
  const out: any[][] = [];
  let cursor: string | null = null;
  do {
    const separator = path.includes("?") ? "&" : "?";
    const query: string = `limit=${limit}` + (cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`);
    const response = await api.request("GET", `${path}${separator}${query}`);
    expect(response.status).toBe(200);
    expect(response.json.data.length).toBeLessThanOrEqual(limit);
    out.push(response.json.data);
    cursor = response.json.next_cursor;
    if (out.length > 100) throw new Error("pagination does not end");
  } while (cursor !== null);
  return out;
}

describe("GET /v1/users", () => {
  test("every user, newest first, page by page, each as GET /v1/users/:id shows it", async () => {
    const created: any[] = [];
    for (let i = 0; i < 5; i++) created.push((await api.request("POST", "/v1/users", { body: { external_id: `list-${i}` } })).json);
    await api.request("POST", `/v1/users/${created[1].id}/topups`, { body: { amount: 900 }, headers: { "Idempotency-Key": "list-topup" } });
    const listed = (await pages("/v1/users", 2)).flat();
    const ours = listed.filter((user) => created.some((c) => c.id === user.id));
    expect(ours.map((user) => user.id)).toEqual(created.map((user) => user.id).reverse());
    expect(ours.find((user) => user.id === created[1].id)).toEqual((await api.request("GET", `/v1/users/${created[1].id}`)).json);
    expect(ours.find((user) => user.id === created[1].id).account).toMatchObject({ ledger_balance: 900, available_balance: 900 });
  });

  test("?external_id= finds exactly that user, or none", async () => {
    const user = (await api.request("POST", "/v1/users", { body: { external_id: "exact-7" } })).json;
    await api.request("POST", "/v1/users", { body: { external_id: "exact-70" } });
    const found = await api.request("GET", "/v1/users?external_id=exact-7");
    expect(found.status).toBe(200);
    expect(found.json).toEqual({ data: [user], next_cursor: null });
    expect((await api.request("GET", "/v1/users?external_id=exact")).json).toEqual({ data: [], next_cursor: null });
  });

  test("needs the token; a bad limit or cursor is 400", async () => {
    expect((await api.request("GET", "/v1/users", { token: null })).status).toBe(401);
    expect((await api.request("GET", "/v1/users?limit=0")).status).toBe(400);
    expect((await api.request("GET", "/v1/users?limit=201")).status).toBe(400);
    const cursor = await api.request("GET", "/v1/users?cursor=bm90LW91cnM");
    expect(cursor.status).toBe(400);
    expect(cursor.json.error.code).toBe("invalid_request");
  });
});

describe("GET /v1/users/:id/cards", () => {
  test("the user's cards, newest first, with masked PANs only and their current status", async () => {
    const { userId, cardId, pan } = await userWithCard(api);
    const second = (await api.request("POST", `/v1/users/${userId}/cards`, { body: {} })).json;
    await api.request("PATCH", `/v1/cards/${cardId}`, { body: { status: "suspended" } });
    const listed = await pages(`/v1/users/${userId}/cards`, 1);
    expect(listed).toHaveLength(2);
    const cards = listed.flat();
    expect(cards.map((card) => card.id)).toEqual([second.id, cardId]);
    expect(cards[1]).toEqual((await api.request("GET", `/v1/cards/${cardId}`)).json);
    expect(cards[1].status).toBe("suspended");
    for (const card of cards) expect(card.pan).toBeUndefined();
    const text = JSON.stringify(cards);
    expect(text).not.toContain(pan);
    expect(text).not.toContain(second.pan);
  });

  test("an unknown user is 404; another user's cards are not listed", async () => {
    expect((await api.request("GET", "/v1/users/usr_missing/cards")).status).toBe(404);
    const empty = (await api.request("POST", "/v1/users", { body: {} })).json;
    expect((await api.request("GET", `/v1/users/${empty.id}/cards`)).json).toEqual({ data: [], next_cursor: null });
  });
});

describe("top-ups, balance inquiries and balances in events", () => {
  test("the top-up's id is in its history entry and its event; the top-up names its history entry", async () => {
    const { userId, pan } = await userWithCard(api);
    const topUp = await api.request("POST", `/v1/users/${userId}/topups`, { body: { amount: 2500 }, headers: { "Idempotency-Key": "named" } });
    expect(topUp.status).toBe(201);
    expect(topUp.json.id).toMatch(/^top_/);
    expect(topUp.json.transaction_id).toMatch(/^txn_/);
    await api.store.ledger.authorizeBatch([authorization(pan, { amount: 100 })]);
    const history = (await api.request("GET", `/v1/users/${userId}/transactions`)).json.data;
    expect(history.map((item: any) => [item.type, item.topup_id])).toEqual([
      ["authorization", null],
      ["topup", topUp.json.id],
    ]);
    expect(history[1].id).toBe(topUp.json.transaction_id);
    const events = (await pages("/v1/events", 500)).flat().filter((event) => event.data.user_id === userId);
    expect(events.find((event) => event.type === "topup").data).toMatchObject({ topup_id: topUp.json.id, transaction_id: topUp.json.transaction_id });
  });

  test("a balance inquiry shows as balance_inquiry, not as an authorization of 0", async () => {
    const { userId, pan } = await userWithCard(api, 1000);
    await api.store.ledger.authorizeBatch([{ ...authorization(pan, { amount: 0 }), processingCode: "310000" }]);
    const history = (await api.request("GET", `/v1/users/${userId}/transactions`)).json.data;
    expect(history.map((item: any) => item.type)).toEqual(["balance_inquiry", "topup"]);
  });

  test("each event carries the account as its own change left it, in the user's balance fields", async () => {
    const { userId, pan } = await userWithCard(api, 5000);
    await api.store.ledger.authorizeBatch([authorization(pan, { amount: 1200 })]);
    await api.request("POST", `/v1/users/${userId}/topups`, { body: { amount: 100 }, headers: { "Idempotency-Key": "later" } });
    const user = (await api.request("GET", `/v1/users/${userId}`)).json;
    const events = (await pages("/v1/events", 500)).flat().filter((event) => event.data.user_id === userId);
    const after = (ledger_balance: number, held_amount: number) => ({
      id: user.account.id,
      currency: "JPY",
      ledger_balance,
      available_balance: ledger_balance - held_amount,
      held_amount,
    });
    expect(events.map((event) => [event.type, event.data.account])).toEqual([
      ["card.updated", after(0, 0)],
      ["topup", after(5000, 0)],
      ["authorization.approved", after(5000, 1200)],
      ["topup", after(5100, 1200)],
    ]);
    expect(events[3].data.account).toEqual(user.account);
  });
});
