import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startApi, userWithCard, type ApiHarness } from "../support/api-harness.ts";
import { authorization, merchantField } from "../support/authorizations.ts";

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.stop();
});

async function allPages(userId: string, limit: number): Promise<any[][]> {
  const pages: any[][] = [];
  let cursor: string | null = null;
  do {
    const query: string = `limit=${limit}` + (cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`);
    const response = await api.request("GET", `/v1/users/${userId}/transactions?${query}`);
    expect(response.status).toBe(200);
    expect(response.json.data.length).toBeLessThanOrEqual(limit);
    pages.push(response.json.data);
    cursor = response.json.next_cursor;
    if (pages.length > 100) throw new Error("pagination does not end");
  } while (cursor !== null);
  return pages;
}

describe("history", () => {
  test("every kind of entry, newest first, with merchant, amounts, currency, status and decline reason", async () => {
    const { userId, pan } = await userWithCard(api, 10_000);
    const ledger = api.store.ledger;
    const approved = authorization(pan, { amount: 3000, merchant: merchantField("KONBINI SHINJUKU", "SHINJUKU") });
    const declined = authorization(pan, { amount: 50_000, merchant: merchantField("DENKI STORE") });
    const decisions = await ledger.authorizeBatch([approved, declined]);
    expect(decisions.map((d) => d.responseCode)).toEqual(["00", "51"]);
    const reversal = authorization(pan, { mti: 400, amount: 3000, originalKey: approved.key });
    expect((await ledger.authorizeBatch([reversal]))[0]!.responseCode).toBe("00");

    const response = await api.request("GET", `/v1/users/${userId}/transactions`);
    expect(response.status).toBe(200);
    const data = response.json.data as any[];
    expect(response.json.next_cursor).toBeNull();
    expect(data.map((t) => t.type)).toEqual(["reversal", "authorization", "authorization", "topup"]);
    const times = data.map((t) => Date.parse(t.created_at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);

    const [rev, no, yes, top] = data;
    expect(top).toMatchObject({ type: "topup", amount: 10_000, currency: "JPY", status: "posted", card_id: null });
    // The authorization shows what became of it: reversed by the reversal above.
    expect(yes).toMatchObject({
      type: "authorization",
      status: "reversed",
      amount: 3000,
      currency: "JPY",
      response_code: "00",
      merchant_name: "KONBINI SHINJUKU",
      merchant_location: "SHINJUKU JP",
      merchant_category: "5411",
    });
    expect(typeof yes.approval_code).toBe("string");
    expect(yes.approved_amount).toBe(3000);
    expect(top.approved_amount).toBe(10_000);
    expect(no).toMatchObject({ status: "declined", response_code: "51", amount: 50_000, merchant_name: "DENKI STORE" });
    expect(no.reason).toMatch(/insufficient/);
    expect(rev).toMatchObject({ type: "reversal", amount: 3000 });
    for (const entry of data) {
      if (entry.pan_masked !== null) expect(entry.pan_masked).toBe(pan.slice(0, 6) + "******" + pan.slice(-4));
    }
    expect(response.text).not.toContain(pan);
  });

  test("pagination across pages: no duplicates, no gaps, newest first, last page ends with null", async () => {
    const { userId, pan } = await userWithCard(api, 1_000_000);
    const requests = Array.from({ length: 23 }, (_, i) => authorization(pan, { amount: 100 + i }));
    for (let i = 0; i < requests.length; i += 5) await api.store.ledger.authorizeBatch(requests.slice(i, i + 5));
    const everything = (await api.request("GET", `/v1/users/${userId}/transactions?limit=200`)).json.data as any[];
    expect(everything.length).toBe(24); // 23 authorizations and the top-up
    expect(everything.at(-1).type).toBe("topup");
    // Newest first: the amounts of the authorizations count down.
    expect(everything.slice(0, 23).map((t) => t.amount)).toEqual(requests.map((r) => r.amount).reverse());

    for (const limit of [1, 5, 7, 24, 50]) {
      const pages = await allPages(userId, limit);
      const flat = pages.flat();
      expect(flat.map((t) => t.id)).toEqual(everything.map((t) => t.id));
      expect(new Set(flat.map((t) => t.id)).size).toBe(flat.length);
      // Every page but the last is full; a ledger may end with one empty page when the count divides evenly.
      const nonEmpty = pages.filter((page) => page.length > 0);
      expect(nonEmpty.length).toBe(Math.ceil(24 / limit));
      expect(pages.length - nonEmpty.length).toBeLessThanOrEqual(1);
      for (const page of nonEmpty.slice(0, -1)) expect(page.length).toBe(limit);
    }
  });

  test("limit defaults to 50 and is bounded to 1..200; bad cursors and unknown users are refused", async () => {
    const { userId } = await userWithCard(api, 100);
    expect((await api.request("GET", `/v1/users/${userId}/transactions`)).status).toBe(200);
    for (const limit of ["0", "201", "abc", "1.5", ""]) {
      const response = await api.request("GET", `/v1/users/${userId}/transactions?limit=${limit}`);
      expect(response.status).toBe(400);
      expect(response.json.error.code).toBe("invalid_request");
      expect(response.json.error.message).toContain("limit");
    }
    expect((await api.request("GET", `/v1/users/${userId}/transactions?limit=200`)).status).toBe(200);
    const badCursor = await api.request("GET", `/v1/users/${userId}/transactions?cursor=not-a-real-cursor`);
    expect(badCursor.status).toBe(400);
    expect(badCursor.json.error.code).toBe("invalid_request");
    expect((await api.request("GET", `/v1/users/${userId}/transactions?cursor=${"c".repeat(513)}`)).status).toBe(400);
    expect((await api.request("GET", "/v1/users/usr_missing/transactions")).status).toBe(404);
  });

  test("an empty history is one empty page", async () => {
    const userId = (await api.request("POST", "/v1/users", {})).json.id;
    const response = await api.request("GET", `/v1/users/${userId}/transactions`);
    expect(response.json).toEqual({ data: [], next_cursor: null });
  });
});
