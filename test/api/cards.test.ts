import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { expiryYearsAhead } from "../../src/api/expiry.ts";
import { generatePan } from "../../src/api/pan.ts";
import { isLuhnValid, luhnCheckDigit } from "../../src/domain/luhn.ts";
import { startApi, TEST_BIN, type ApiHarness } from "../support/api-harness.ts";

let api: ApiHarness;
let userId: string;
beforeAll(async () => {
  api = await startApi();
  userId = (await api.request("POST", "/v1/users", { body: { name: "Card Holder" } })).json.id;
});
afterAll(async () => {
  await api.stop();
});

function yymmFromNow(months: number): string {
  const now = new Date();
  const index = now.getUTCFullYear() * 12 + now.getUTCMonth() + months;
  return String(Math.floor(index / 12) % 100).padStart(2, "0") + String((index % 12) + 1).padStart(2, "0");
}

describe("card numbers", () => {
  test("Luhn check digits match known card numbers", () => {
    expect(luhnCheckDigit("411111111111111")).toBe(1);
    expect(isLuhnValid("4111111111111111")).toBe(true);
    expect(isLuhnValid("4111111111111112")).toBe(false);
    expect(isLuhnValid("79927398713")).toBe(true);
    for (let i = 0; i < 200; i++) {
      const pan = generatePan("12345678");
      expect(pan).toMatch(/^12345678\d{8}$/);
      expect(isLuhnValid(pan)).toBe(true);
    }
  });
});

describe("cards", () => {
  test("POST issues a card: BIN, 16 digits, valid Luhn, expiry five years out; the full PAN only here", async () => {
    const created = await api.request("POST", `/v1/users/${userId}/cards`, { body: {} });
    expect(created.status).toBe(201);
    const card = created.json;
    expect(card.pan).toMatch(new RegExp(`^${TEST_BIN}\\d{10}$`));
    expect(isLuhnValid(card.pan)).toBe(true);
    expect(card.pan_masked).toBe(card.pan.slice(0, 6) + "******" + card.pan.slice(-4));
    expect(card.last4).toBe(card.pan.slice(-4));
    expect(card.expiry).toBe(expiryYearsAhead(Date.now(), 5));
    expect(card.status).toBe("active");
    expect(card.user_id).toBe(userId);
    expect(Object.keys(card.limits).sort()).toEqual(["per_day_amount_max", "per_day_count_max", "per_transaction_max"]);

    const fetched = await api.request("GET", `/v1/cards/${card.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.json.pan).toBeUndefined();
    expect(fetched.text).not.toContain(card.pan);
    const { pan: _pan, ...withoutPan } = card;
    expect(fetched.json).toEqual(withoutPan);
  });

  test("cards get distinct PANs", async () => {
    const pans = new Set<string>();
    for (let i = 0; i < 5; i++) pans.add((await api.request("POST", `/v1/users/${userId}/cards`, {})).json.pan);
    expect(pans.size).toBe(5);
  });

  test("a given expiry and limits are kept; omitted limits take the defaults", async () => {
    const expiry = yymmFromNow(13);
    const created = await api.request("POST", `/v1/users/${userId}/cards`, {
      body: { expiry, limits: { per_transaction_max: 5000 } },
    });
    expect(created.status).toBe(201);
    expect(created.json.expiry).toBe(expiry);
    expect(created.json.limits.per_transaction_max).toBe(5000);
    expect(created.json.limits.per_day_amount_max).toBeGreaterThan(0);
    // This month is still valid: a card is good through the end of its expiry month.
    expect((await api.request("POST", `/v1/users/${userId}/cards`, { body: { expiry: yymmFromNow(0) } })).status).toBe(201);
  });

  test("a past, malformed or too distant expiry, or bad limits, is 422 naming the field", async () => {
    for (const expiry of [yymmFromNow(-1), "2913", "1a00", "123", yymmFromNow(12 * 21)]) {
      const response = await api.request("POST", `/v1/users/${userId}/cards`, { body: { expiry } });
      expect(response.status).toBe(422);
      expect(response.json.error.code).toBe("validation_failed");
      expect(response.json.error.message).toContain("expiry");
    }
    const badLimit = await api.request("POST", `/v1/users/${userId}/cards`, { body: { limits: { per_day_count_max: -1 } } });
    expect(badLimit.status).toBe(422);
    expect(badLimit.json.error.message).toContain("limits.per_day_count_max");
    for (const limits of [{ per_day_count_max: 0 }, { per_day_count_max: 1_000_001 }, { per_transaction_max: 0 }]) {
      expect((await api.request("POST", `/v1/users/${userId}/cards`, { body: { limits } })).status).toBe(422);
    }
    const fraction = await api.request("POST", `/v1/users/${userId}/cards`, { body: { limits: { per_transaction_max: 1.5 } } });
    expect(fraction.status).toBe(422);
  });

  test("a card for an unknown user, or an unknown card, is 404", async () => {
    expect((await api.request("POST", "/v1/users/usr_missing/cards", { body: {} })).status).toBe(404);
    expect((await api.request("GET", "/v1/cards/crd_missing")).status).toBe(404);
    expect((await api.request("PATCH", "/v1/cards/crd_missing", { body: { status: "suspended" } })).status).toBe(404);
  });

  test("PATCH changes status and limits; suspended can return to active", async () => {
    const card = (await api.request("POST", `/v1/users/${userId}/cards`, {})).json;
    const suspended = await api.request("PATCH", `/v1/cards/${card.id}`, { body: { status: "suspended" } });
    expect(suspended.status).toBe(200);
    expect(suspended.json.status).toBe("suspended");
    expect(suspended.json.pan).toBeUndefined();
    const limits = await api.request("PATCH", `/v1/cards/${card.id}`, {
      body: { status: "active", limits: { per_day_count_max: 3 } },
    });
    expect(limits.status).toBe(200);
    expect(limits.json.status).toBe("active");
    expect(limits.json.limits.per_day_count_max).toBe(3);
    expect(limits.json.limits.per_transaction_max).toBe(card.limits.per_transaction_max);
    expect((await api.request("GET", `/v1/cards/${card.id}`)).json.limits.per_day_count_max).toBe(3);
  });

  test("lost, stolen and closed are final: leaving them is 409 card_status_final", async () => {
    for (const status of ["lost", "stolen", "closed"]) {
      const card = (await api.request("POST", `/v1/users/${userId}/cards`, {})).json;
      expect((await api.request("PATCH", `/v1/cards/${card.id}`, { body: { status } })).status).toBe(200);
      for (const next of ["active", "suspended"]) {
        const response = await api.request("PATCH", `/v1/cards/${card.id}`, { body: { status: next } });
        expect(response.status).toBe(409);
        expect(response.json.error.code).toBe("card_status_final");
      }
      expect((await api.request("GET", `/v1/cards/${card.id}`)).json.status).toBe(status);
    }
  });

  test("PATCH needs status or limits, valid ones", async () => {
    const card = (await api.request("POST", `/v1/users/${userId}/cards`, {})).json;
    for (const body of [{}, { status: "frozen" }, { limits: { per_transaction_max: "10" } }, { pan: "4111111111111111" }]) {
      const response = await api.request("PATCH", `/v1/cards/${card.id}`, { body });
      expect(response.status).toBe(422);
      expect(response.json.error.code).toBe("validation_failed");
    }
  });

  test("a PAN already taken is retried with a fresh one, within a bound", async () => {
    const taken = (await api.request("POST", `/v1/users/${userId}/cards`, {})).json.pan as string;
    const fresh = generatePan(TEST_BIN);
    const candidates = [taken, taken, fresh];
    const retrying = await startApi({ generatePan: () => candidates.shift() ?? taken });
    try {
      const owner = (await retrying.request("POST", "/v1/users", {})).json.id;
      // The first card takes `taken` in this ledger; the second meets it twice, then gets `fresh`.
      expect((await retrying.request("POST", `/v1/users/${owner}/cards`, {})).json.pan).toBe(taken);
      candidates.unshift(taken);
      const second = await retrying.request("POST", `/v1/users/${owner}/cards`, {});
      expect(second.status).toBe(201);
      expect(second.json.pan).toBe(fresh);
      // Nothing but taken numbers: a bounded number of tries, then 503.
      const exhausted = await retrying.request("POST", `/v1/users/${owner}/cards`, {});
      expect(exhausted.status).toBe(503);
      expect(exhausted.json.error.code).toBe("unavailable");
    } finally {
      await retrying.stop();
    }
  });
});
