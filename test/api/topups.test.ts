import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startApi, type ApiHarness } from "../support/api-harness.ts";

let api: ApiHarness;
let userId: string;
beforeAll(async () => {
  api = await startApi();
  userId = (await api.request("POST", "/v1/users", {})).json.id;
});
afterAll(async () => {
  await api.stop();
});

function topUp(body: unknown, key: string | null, user = userId) {
  return api.request("POST", `/v1/users/${user}/topups`, { body, headers: key === null ? {} : { "Idempotency-Key": key } });
}

async function balances(): Promise<{ ledger_balance: number; available_balance: number }> {
  return (await api.request("GET", `/v1/users/${userId}`)).json.account;
}

describe("top-ups", () => {
  test("a top-up is 201 and raises both balances", async () => {
    const before = await balances();
    const response = await topUp({ amount: 5000, currency: "JPY" }, "topup-first");
    expect(response.status).toBe(201);
    expect(response.json).toMatchObject({ user_id: userId, amount: 5000, currency: "JPY" });
    expect(typeof response.json.id).toBe("string");
    const after = await balances();
    expect(after.ledger_balance).toBe(before.ledger_balance + 5000);
    expect(after.available_balance).toBe(before.available_balance + 5000);
  });

  test("the same key with the same body replays the first result (200) and applies nothing", async () => {
    const first = await topUp({ amount: 1200 }, "topup-replay");
    expect(first.status).toBe(201);
    const after = await balances();
    for (const body of [{ amount: 1200 }, { amount: 1200, currency: "JPY" }]) {
      const replay = await topUp(body, "topup-replay");
      expect(replay.status).toBe(200);
      expect(replay.headers.get("idempotent-replayed")).toBe("true");
      expect(replay.json).toEqual(first.json);
    }
    expect(await balances()).toEqual(after);
  });

  test("the same key with a different body is 409 idempotency_conflict", async () => {
    expect((await topUp({ amount: 700 }, "topup-conflict")).status).toBe(201);
    const after = await balances();
    const conflict = await topUp({ amount: 701 }, "topup-conflict");
    expect(conflict.status).toBe(409);
    expect(conflict.json.error.code).toBe("idempotency_conflict");
    expect(await balances()).toEqual(after);
  });

  test("keys are scoped to the user: another user's top-up with the same key is its own", async () => {
    expect((await topUp({ amount: 300 }, "topup-shared-key")).status).toBe(201);
    const otherUser = (await api.request("POST", "/v1/users", {})).json.id;
    const elsewhere = await topUp({ amount: 900 }, "topup-shared-key", otherUser);
    expect(elsewhere.status).toBe(201);
    expect(elsewhere.json.user_id).toBe(otherUser);
    expect((await api.request("GET", `/v1/users/${otherUser}`)).json.account.ledger_balance).toBe(900);
  });

  test("the Idempotency-Key header is required and bounded", async () => {
    const missing = await topUp({ amount: 100 }, null);
    expect(missing.status).toBe(400);
    expect(missing.json.error.code).toBe("invalid_request");
    expect(missing.json.error.message).toContain("Idempotency-Key");
    expect((await topUp({ amount: 100 }, "x".repeat(256))).status).toBe(400);
    expect((await topUp({ amount: 100 }, "x".repeat(255))).status).toBe(201);
  });

  test("only positive integer amounts in the account currency", async () => {
    const before = await balances();
    for (const body of [{ amount: 0 }, { amount: -5 }, { amount: 1.5 }, { amount: "100" }, {}, { amount: 1e13 }]) {
      const response = await topUp(body, crypto.randomUUID());
      expect(response.status).toBe(422);
      expect(response.json.error.code).toBe("validation_failed");
      expect(response.json.error.message).toContain("amount");
    }
    const otherCurrency = await topUp({ amount: 100, currency: "USD" }, crypto.randomUUID());
    expect(otherCurrency.status).toBe(422);
    expect(otherCurrency.json.error.code).toBe("currency_mismatch");
    const unknownCurrency = await topUp({ amount: 100, currency: "XXX" }, crypto.randomUUID());
    expect(unknownCurrency.status).toBe(422);
    expect(await balances()).toEqual(before);
  });

  test("a top-up for an unknown user is 404", async () => {
    expect((await topUp({ amount: 100 }, crypto.randomUUID(), "usr_missing")).status).toBe(404);
  });
});
