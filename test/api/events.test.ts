import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { webhookBody } from "../../src/ledger/event-body.ts";
import { currencyAlpha } from "../../src/domain/currency.ts";
import { startApi, userWithCard, type ApiHarness } from "../support/api-harness.ts";
import { authorization } from "../support/authorizations.ts";

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.stop();
});

async function allPages(limit: number): Promise<any[][]> {
  const pages: any[][] = [];
  let cursor: string | null = null;
  do {
    const query: string = `limit=${limit}` + (cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`);
    const response = await api.request("GET", `/v1/events?${query}`);
    expect(response.status).toBe(200);
    expect(response.json.data.length).toBeLessThanOrEqual(limit);
    pages.push(response.json.data);
    cursor = response.json.next_cursor;
    if (pages.length > 100) throw new Error("pagination does not end");
  } while (cursor !== null);
  return pages;
}

describe("GET /v1/events", () => {
  test("retained events, delivered or not, oldest first, each the webhook's body, page by page", async () => {
    const { userId, pan } = await userWithCard(api, 5000);
    const ledger = api.store.ledger;
    await ledger.authorizeBatch([authorization(pan, { amount: 1200 }), authorization(pan, { amount: 999_999 })]);
    // The first event is delivered (as a notifier would); it stays listed.
    const [first] = await ledger.claimOutbox({ limit: 1, leaseMs: 30_000, owner: "test", nowMs: Date.now() });
    await ledger.completeOutbox(first!.id, "test");

    const pages = await allPages(2);
    const events = pages.flat();
    expect(pages.length).toBeGreaterThan(1);
    expect(events.map((event) => event.type)).toEqual(["card.updated", "topup", "authorization.approved", "authorization.declined"]);
    expect(events[0].id).toBe(first!.id);
    const ids = events.map((event) => event.id as string);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    for (const event of events) expect(Object.keys(event).sort()).toEqual(["created_at", "data", "id", "type"]);
    expect(events[2].data).toMatchObject({ user_id: userId, amount: 1200, currency: "JPY", pan_masked: pan.slice(0, 6) + "******" + pan.slice(-4) });
    expect(JSON.stringify(events)).not.toContain(pan);
    // The very body the webhook would POST for the same event.
    const { items } = await ledger.listEvents({ limit: 4 });
    expect(events).toEqual(JSON.parse(JSON.stringify(items.map((event) => webhookBody(event, currencyAlpha)))));
  });

  test("needs the token; a bad limit or cursor is 400", async () => {
    expect((await api.request("GET", "/v1/events", { token: null })).status).toBe(401);
    expect((await api.request("GET", "/v1/events?limit=0")).status).toBe(400);
    expect((await api.request("GET", "/v1/events?limit=501")).status).toBe(400);
    const cursor = await api.request("GET", "/v1/events?cursor=bm90LW91cnM");
    expect(cursor.status).toBe(400);
    expect(cursor.json.error.code).toBe("invalid_request");
  });
});
