import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startApi, userWithCard, type ApiHarness } from "../support/api-harness.ts";
import { authorization } from "../support/authorizations.ts";

let api: ApiHarness;
let pans: string[] = [];
let creationTexts: string[] = [];
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.stop();
});

/** Every response but the card creations, and every log line, must be free of every issued PAN. */
function expectNoPanAnywhere(harness: ApiHarness, issued: string[]): void {
  const creations = new Set(creationTexts);
  const texts = harness.calls.filter((call) => !creations.has(call.text)).map((call) => call.text);
  expect(texts.length).toBeGreaterThan(10);
  for (const pan of issued) {
    for (const text of texts) expect(text).not.toContain(pan);
    for (const line of harness.logLines) expect(line).not.toContain(pan);
  }
}

describe("masking", () => {
  test("no full PAN in any response but the card's creation, in any log line, or in the metrics", async () => {
    const { userId, cardId, pan } = await userWithCard(api, 10_000);
    pans.push(pan);
    creationTexts.push(api.calls.find((call) => call.text.includes(pan))!.text);
    const second = await api.request("POST", `/v1/users/${userId}/cards`, { body: {} });
    pans.push(second.json.pan);
    creationTexts.push(second.text);

    await api.store.ledger.authorizeBatch([authorization(pan, { amount: 100 }), authorization(pan, { amount: 999_999 })]);
    // Routes that show a card or its history.
    await api.request("GET", `/v1/cards/${cardId}`);
    await api.request("PATCH", `/v1/cards/${cardId}`, { body: { limits: { per_day_count_max: 10 } } });
    await api.request("GET", `/v1/users/${userId}/transactions?limit=1`);
    await api.request("GET", `/v1/users/${userId}/transactions`);
    await api.request("GET", `/v1/users/${userId}`);
    // Attempts to get the PAN echoed back: as an id, a field, a value, a cursor, a key, a bad body.
    await api.request("GET", `/v1/cards/${pan}`);
    await api.request("PATCH", `/v1/cards/${cardId}`, { body: { pan } });
    await api.request("PATCH", `/v1/cards/${cardId}`, { body: { status: pan } });
    await api.request("PATCH", `/v1/cards/${cardId}`, { body: { [pan]: 1 } });
    await api.request("POST", "/v1/users", { body: { external_id: Number(pan) } });
    await api.request("POST", "/v1/users", { rawBody: `{"name": ${pan}` });
    await api.request("GET", `/v1/users/${userId}/transactions?cursor=${pan}`);
    await api.request("GET", `/v1/users/${userId}/transactions?limit=${pan}`);
    await api.request("POST", `/v1/users/${userId}/topups`, { body: { amount: 1 }, headers: { "Idempotency-Key": pan } });
    await api.request("POST", `/v1/users/${userId}/topups`, { body: { amount: 2 }, headers: { "Idempotency-Key": pan } });
    await api.request("GET", `/v1/${pan}`);
    await api.request("GET", "/metrics", { token: null });
    await api.request("GET", "/openapi.json", { token: null });

    expectNoPanAnywhere(api, pans);
  });

  test("an unexpected failure whose message holds a PAN is a 500 that shows and logs it masked", async () => {
    const pan = pans[0]!;
    // Not a stand-in ledger: the real one, with one method made to fail the way a bug might.
    const faultyApi = await startApi(
      {},
      {
        wrapLedger: (real) =>
          new Proxy(real, {
            get(target, property, receiver) {
              if (property === "getCard") return async () => Promise.reject(new Error(`lookup failed for ${pan}`));
              const value = Reflect.get(target, property, receiver);
              return typeof value === "function" ? value.bind(target) : value;
            },
          }),
      },
    );
    try {
      const response = await faultyApi.request("GET", "/v1/cards/crd_1");
      expect(response.status).toBe(500);
      expect(response.json.error.code).toBe("internal_error");
      expect(response.text).not.toContain(pan);
      const logged = faultyApi.logLines.find((line) => line.includes("api.request_failed"));
      expect(logged).toBeDefined();
      expect(logged).toContain(pan.slice(0, 6) + "******" + pan.slice(-4));
      expect(logged).not.toContain(pan);
    } finally {
      await faultyApi.stop();
    }
  });
});
