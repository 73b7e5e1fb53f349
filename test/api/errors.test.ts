import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { LedgerError } from "../../src/ledger/ledger.ts";
import { startApi, type ApiHarness } from "../support/api-harness.ts";

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi(); // bodyBytesMax 4096
});
afterAll(async () => {
  await api.stop();
});

function streamOf(chunkBytes: number, chunks: number): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < chunks; i++) controller.enqueue(new Uint8Array(chunkBytes).fill(0x20));
      controller.close();
    },
  });
}

describe("the API's own limits answer in its error shape", () => {
  test("a body far over the limit (1 MiB, past where Bun's own limit used to answer bare) is a JSON 413", async () => {
    const json = JSON.stringify({ name: "z" });
    const declared = await api.request("POST", "/v1/users", { rawBody: json + " ".repeat(1 << 20), headers: { "Content-Type": "application/json" } });
    expect(declared.status).toBe(413);
    expect(declared.json).toEqual({ error: { code: "body_too_large", message: "the request body exceeds 4096 bytes" } });

    const streamed = await api.request("POST", "/v1/users", { rawBody: streamOf(64 * 1024, 16), headers: { "Content-Type": "application/json" } });
    expect(streamed.status).toBe(413);
    expect(streamed.json.error.code).toBe("body_too_large");
  });

  test("at the limit the body is read; one byte over it is a JSON 413", async () => {
    const json = JSON.stringify({ name: "edge" });
    const atLimit = await api.request("POST", "/v1/users", { rawBody: json + " ".repeat(4096 - json.length) });
    expect(atLimit.status).toBe(201);
    const overLimit = await api.request("POST", "/v1/users", { rawBody: json + " ".repeat(4097 - json.length) });
    expect(overLimit.status).toBe(413);
    expect(overLimit.json.error.code).toBe("body_too_large");
  });

  test("a body sent to a route that reads none does not get in the way", async () => {
    const unknown = await api.request("POST", "/v1/nothing-here", { rawBody: " ".repeat(1 << 20) });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe("not_found");
  });
});

describe("an unavailable ledger", () => {
  test("is a 503 logged at warn as api.unavailable, not as an internal failure; a real bug stays an error", async () => {
    let failure: Error = new LedgerError("unavailable", "PostgreSQL unavailable (read user): no answer within 3000 ms");
    const down = await startApi(
      {},
      {
        wrapLedger: (real) =>
          new Proxy(real, {
            get(target, property, receiver) {
              if (property === "getUser") return async () => Promise.reject(failure);
              const value = Reflect.get(target, property, receiver);
              return typeof value === "function" ? value.bind(target) : value;
            },
          }),
      },
    );
    try {
      const response = await down.request("GET", "/v1/users/usr_1");
      expect(response.status).toBe(503);
      expect(response.json.error.code).toBe("unavailable");
      const lines = down.logLines.map((line) => JSON.parse(line) as { level: string; event: string; route?: string });
      expect(lines.filter((line) => line.event === "api.unavailable")).toEqual([expect.objectContaining({ level: "warn", route: "getUser" })]);
      expect(lines.filter((line) => line.level === "error")).toEqual([]);

      failure = new Error("a bug");
      expect((await down.request("GET", "/v1/users/usr_1")).status).toBe(500);
      const errors = down.logLines.map((line) => JSON.parse(line) as { level: string; event: string }).filter((line) => line.level === "error");
      expect(errors.map((line) => line.event)).toEqual(["api.request_failed"]);
    } finally {
      await down.stop();
    }
  });
});
