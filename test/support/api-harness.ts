import { startApiServer, type ApiServer, type ApiServerOptions } from "../../src/api/server.ts";
import type { Ledger } from "../../src/ledger/ledger.ts";
import { createLogger } from "../../src/ops/log.ts";
import { MetricsRegistry } from "../../src/ops/metrics.ts";
import { openTestLedger, type TestLedger } from "./test-ledger.ts";

export const TEST_TOKEN = "test-token-0123456789abcdef";
export const TEST_BIN = "490000";

export interface ApiCall {
  method: string;
  path: string;
  status: number;
  text: string;
}

export interface ApiHarness {
  server: ApiServer;
  store: TestLedger;
  registry: MetricsRegistry;
  logLines: string[];
  /** Every response this harness received, for masking checks. */
  calls: ApiCall[];
  readiness: { ready: boolean; reason?: string };
  request(
    method: string,
    path: string,
    options?: { body?: unknown; rawBody?: RequestInit["body"]; headers?: Record<string, string>; token?: string | null },
  ): Promise<{ status: number; headers: Headers; json: any; text: string }>;
  stop(): Promise<void>;
}

/** The API on a free loopback port, over a fresh test ledger, with a JSON logger whose lines are kept. */
export async function startApi(
  overrides: Partial<ApiServerOptions> = {},
  options: { wrapLedger?: (ledger: Ledger) => Ledger } = {},
): Promise<ApiHarness> {
  const store = await openTestLedger();
  const registry = new MetricsRegistry();
  const logLines: string[] = [];
  const calls: ApiCall[] = [];
  const readiness: { ready: boolean; reason?: string } = { ready: true };
  const server = startApiServer({
    ledger: options.wrapLedger ? options.wrapLedger(store.ledger) : store.ledger,
    hostname: "127.0.0.1",
    port: 0,
    token: TEST_TOKEN,
    bodyBytesMax: 4096,
    currency: 392,
    cardBin: TEST_BIN,
    cardExpiryYears: 5,
    readiness: () => readiness,
    metrics: registry,
    logger: createLogger({ level: "debug", format: "json", write: (line) => logLines.push(line) }),
    ...overrides,
  });
  return {
    server,
    store,
    registry,
    logLines,
    calls,
    readiness,
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      const token = options.token === undefined ? TEST_TOKEN : options.token;
      if (token !== null) headers.Authorization = `Bearer ${token}`;
      let body: RequestInit["body"] | undefined = options.rawBody;
      if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers["Content-Type"] = "application/json";
      }
      const response = await fetch(server.url + path, { method, headers, body });
      const text = await response.text();
      calls.push({ method, path, status: response.status, text });
      let json: unknown = null;
      try {
        json = JSON.parse(text);
      } catch {
        // not JSON (metrics): callers use text
      }
      return { status: response.status, headers: response.headers, json, text };
    },
    async stop() {
      await server.stop({ graceMs: 500 });
      await store.cleanup();
    },
  };
}

/** A user with a card and a balance, made through the API. */
export async function userWithCard(
  api: ApiHarness,
  topUpAmount = 0,
): Promise<{ userId: string; cardId: string; pan: string }> {
  const user = await api.request("POST", "/v1/users", { body: { name: "Hanako" } });
  if (user.status !== 201) throw new Error(`create user: ${user.status} ${user.text}`);
  const card = await api.request("POST", `/v1/users/${user.json.id}/cards`, { body: {} });
  if (card.status !== 201) throw new Error(`create card: ${card.status} ${card.text}`);
  if (topUpAmount > 0) {
    const topUp = await api.request("POST", `/v1/users/${user.json.id}/topups`, {
      body: { amount: topUpAmount },
      headers: { "Idempotency-Key": crypto.randomUUID() },
    });
    if (topUp.status !== 201) throw new Error(`top up: ${topUp.status} ${topUp.text}`);
  }
  return { userId: user.json.id, cardId: card.json.id, pan: card.json.pan };
}
