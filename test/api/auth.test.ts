import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ApiStartError, startApiServer } from "../../src/api/server.ts";
import { silentLogger } from "../../src/ops/log.ts";
import { MetricsRegistry } from "../../src/ops/metrics.ts";
import { startApi, TEST_TOKEN, type ApiHarness } from "../support/api-harness.ts";
import { openTestLedger } from "../support/test-ledger.ts";

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.stop();
});

const PROTECTED: Array<[string, string]> = [
  ["POST", "/v1/users"],
  ["GET", "/v1/users/usr_1"],
  ["POST", "/v1/users/usr_1/cards"],
  ["GET", "/v1/cards/crd_1"],
  ["PATCH", "/v1/cards/crd_1"],
  ["POST", "/v1/users/usr_1/topups"],
  ["GET", "/v1/users/usr_1/transactions"],
];

describe("bearer token", () => {
  test("every /v1 route refuses a missing token, a wrong one, and another scheme with 401", async () => {
    const variants: Array<{ token?: string | null; headers?: Record<string, string> }> = [
      { token: null },
      { token: "wrong-token-0123456789abcdef" },
      { token: TEST_TOKEN.slice(0, -1) },
      { token: TEST_TOKEN + "x" },
      { token: null, headers: { Authorization: `Basic ${btoa("user:" + TEST_TOKEN)}` } },
      { token: null, headers: { Authorization: TEST_TOKEN } },
    ];
    for (const [method, path] of PROTECTED) {
      for (const variant of variants) {
        const response = await api.request(method, path, { ...variant, body: method === "GET" ? undefined : {} });
        expect(response.status).toBe(401);
        expect(response.json.error.code).toBe("unauthorized");
        expect(response.headers.get("www-authenticate")).toContain("Bearer");
      }
    }
  });

  test("the right token is accepted (any case of the scheme)", async () => {
    expect((await api.request("POST", "/v1/users", { body: {} })).status).toBe(201);
    const lower = await api.request("POST", "/v1/users", { token: null, headers: { Authorization: `bearer ${TEST_TOKEN}` } });
    expect(lower.status).toBe(201);
  });

  test("without a token unknown /v1 paths are 401 too (no probing); probes and docs need none", async () => {
    expect((await api.request("GET", "/v1/secret-route", { token: null })).status).toBe(401);
    for (const path of ["/healthz", "/readyz", "/metrics", "/openapi.json"]) {
      expect((await api.request("GET", path, { token: null })).status).toBe(200);
    }
  });

  test("the token never appears in a log line", () => {
    expect(api.logLines.length).toBeGreaterThan(0);
    for (const line of api.logLines) expect(line).not.toContain(TEST_TOKEN);
  });

  test("start-up refuses to serve without a token, or with a short one", async () => {
    const store = await openTestLedger();
    try {
      for (const token of [undefined, "", "short-token"]) {
        expect(() =>
          startApiServer({
            ledger: store.ledger,
            hostname: "127.0.0.1",
            port: 0,
            token,
            bodyBytesMax: 4096,
            currency: 392,
            cardBin: "490000",
            cardExpiryYears: 5,
            readiness: () => ({ ready: true }),
            metrics: new MetricsRegistry(),
            logger: silentLogger,
          }),
        ).toThrow(ApiStartError);
      }
    } finally {
      await store.cleanup();
    }
  });
});
