import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startApi, type ApiHarness } from "../support/api-harness.ts";

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.stop();
});

describe("users", () => {
  test("POST /v1/users creates a user with an empty JPY account; GET returns the same", async () => {
    const created = await api.request("POST", "/v1/users", { body: { external_id: "prog-42", name: "Taro Yamada" } });
    expect(created.status).toBe(201);
    expect(created.headers.get("content-type")).toContain("application/json");
    expect(created.json).toMatchObject({
      external_id: "prog-42",
      name: "Taro Yamada",
      account: { currency: "JPY", ledger_balance: 0, available_balance: 0, held_amount: 0 },
    });
    expect(typeof created.json.id).toBe("string");
    expect(typeof created.json.account.id).toBe("string");
    expect(Number.isNaN(Date.parse(created.json.created_at))).toBe(false);

    const fetched = await api.request("GET", `/v1/users/${created.json.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.json).toEqual(created.json);
  });

  test("an empty body (or {}) is a user without external id or name", async () => {
    for (const options of [{}, { body: {} }]) {
      const created = await api.request("POST", "/v1/users", options);
      expect(created.status).toBe(201);
      expect(created.json.external_id).toBeNull();
      expect(created.json.name).toBeNull();
    }
  });

  test("an external_id already taken is 409 conflict", async () => {
    expect((await api.request("POST", "/v1/users", { body: { external_id: "prog-dup" } })).status).toBe(201);
    const again = await api.request("POST", "/v1/users", { body: { external_id: "prog-dup", name: "Other" } });
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe("conflict");
  });

  test("GET of an unknown or impossible id is 404 not_found", async () => {
    for (const id of ["usr_does_not_exist", "has%20space", "x".repeat(65)]) {
      const response = await api.request("GET", `/v1/users/${id}`);
      expect(response.status).toBe(404);
      expect(response.json.error.code).toBe("not_found");
      expect(typeof response.json.error.message).toBe("string");
    }
  });

  test("invalid fields are 422 validation_failed naming the field; unknown fields are refused", async () => {
    const wrongType = await api.request("POST", "/v1/users", { body: { name: 42 } });
    expect(wrongType.status).toBe(422);
    expect(wrongType.json.error.code).toBe("validation_failed");
    expect(wrongType.json.error.message).toContain("name");

    const tooLong = await api.request("POST", "/v1/users", { body: { external_id: "x".repeat(201) } });
    expect(tooLong.status).toBe(422);
    expect(tooLong.json.error.message).toContain("external_id");

    const unknown = await api.request("POST", "/v1/users", { body: { nickname: "T" } });
    expect(unknown.status).toBe(422);
    expect(unknown.json.error.message).toContain("nickname");

    const notObject = await api.request("POST", "/v1/users", { body: [1, 2] });
    expect(notObject.status).toBe(422);
  });

  test("malformed JSON is 400 invalid_json", async () => {
    const response = await api.request("POST", "/v1/users", {
      rawBody: '{"name": "unterminated',
      headers: { "Content-Type": "application/json" },
    });
    expect(response.status).toBe(400);
    expect(response.json.error.code).toBe("invalid_json");
  });

  test("a body over the limit is 413 body_too_large, by Content-Length and when streamed without one", async () => {
    const big = JSON.stringify({ name: "x".repeat(5000) });
    const declared = await api.request("POST", "/v1/users", { rawBody: big, headers: { "Content-Type": "application/json" } });
    expect(declared.status).toBe(413);
    expect(declared.json.error.code).toBe("body_too_large");

    const chunks = [big.slice(0, 2000), big.slice(2000, 4000), big.slice(4000)];
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
        controller.close();
      },
    });
    const streamed = await api.request("POST", "/v1/users", { rawBody: stream, headers: { "Content-Type": "application/json" } });
    expect(streamed.status).toBe(413);
    expect(streamed.json.error.code).toBe("body_too_large");

    // The limit is 4096 bytes in this harness: exactly that much is accepted, one byte more is not.
    const json = JSON.stringify({ name: "y".repeat(200) });
    const atLimit = await api.request("POST", "/v1/users", { rawBody: json + " ".repeat(4096 - json.length) });
    expect(atLimit.status).toBe(201);
    const overLimit = await api.request("POST", "/v1/users", { rawBody: json + " ".repeat(4097 - json.length) });
    expect(overLimit.status).toBe(413);
  });

  test("wrong method on a known path is 405 with Allow; unknown paths are 404", async () => {
    const wrong = await api.request("DELETE", "/v1/users/usr_1");
    expect(wrong.status).toBe(405);
    expect(wrong.json.error.code).toBe("method_not_allowed");
    expect(wrong.headers.get("allow")).toBe("GET");
    const unknown = await api.request("GET", "/v1/nothing-here");
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe("not_found");
  });
});
