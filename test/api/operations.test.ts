import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startApi, userWithCard, type ApiHarness } from "../support/api-harness.ts";
import { runCli } from "../support/cli.ts";
import { parseExposition, sampleValue } from "../support/prometheus.ts";

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.stop();
});

describe("probes", () => {
  test("/healthz is 200 while the process serves", async () => {
    const response = await api.request("GET", "/healthz", { token: null });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ status: "ok" });
  });

  test("/readyz follows readiness, with the reason when not ready", async () => {
    api.readiness.ready = false;
    api.readiness.reason = "no link signed on";
    const down = await api.request("GET", "/readyz", { token: null });
    expect(down.status).toBe(503);
    expect(down.json).toEqual({ status: "not_ready", reason: "no link signed on" });
    api.readiness.ready = true;
    const up = await api.request("GET", "/readyz", { token: null });
    expect(up.status).toBe(200);
    expect(up.json).toEqual({ status: "ready" });
  });

  test("sekisho health exits 0 when ready, 1 with the reason when not, 1 when nothing listens", async () => {
    const address = api.server.url.replace("http://", "");
    const ready = await runCli(["health", "--api", address]);
    expect(ready.exitCode).toBe(0);
    api.readiness.ready = false;
    api.readiness.reason = "ledger closed";
    const notReady = await runCli(["health", "--api", address]);
    api.readiness.ready = true;
    expect(notReady.exitCode).toBe(1);
    expect(notReady.stderr.trim().split("\n")).toHaveLength(1);
    expect(notReady.stderr).toContain("ledger closed");
    const nobody = await runCli(["health", "--api", "127.0.0.1:1"]);
    expect(nobody.exitCode).toBe(1);
    expect(nobody.stderr).toContain("cannot reach");
    expect((await runCli(["health", "--api", "no-port"])).exitCode).toBe(2);
  });

  test("/metrics is a parseable Prometheus exposition with the API's and the registry's metrics", async () => {
    const { userId } = await userWithCard(api, 500);
    await api.request("GET", `/v1/users/${userId}`);
    await api.request("GET", "/v1/users/usr_missing");
    // A metric registered by another part of the process shows up too: the registry is shared.
    api.registry.gauge("sekisho_test_gauge", "a gauge of the test").set(7);
    const response = await api.request("GET", "/metrics", { token: null });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const exposition = parseExposition(response.text);
    expect(exposition.types.get("sekisho_api_requests_total")).toBe("counter");
    expect(exposition.types.get("sekisho_api_request_duration_seconds")).toBe("histogram");
    expect(sampleValue(exposition, "sekisho_api_requests_total", { route: "getUser", status: "200" })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(exposition, "sekisho_api_requests_total", { route: "getUser", status: "404" })).toBe(1);
    expect(sampleValue(exposition, "sekisho_api_requests_total", { route: "createTopUp", status: "201" })).toBe(1);
    expect(sampleValue(exposition, "sekisho_test_gauge")).toBe(7);
    const buckets = exposition.samples.filter((s) => s.name === "sekisho_api_request_duration_seconds_bucket" && s.labels.route === "getUser");
    expect(buckets.at(-1)!.labels.le).toBe("+Inf");
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
    // Labels are route ids: no path, so no id or card number can become a label.
    expect(response.text).not.toContain(userId);
  });

  test("the parser itself rejects what a scraper would", () => {
    expect(() => parseExposition("# TYPE x counter\nx 1")).toThrow();
    expect(() => parseExposition("y 1\n")).toThrow();
    expect(() => parseExposition('# TYPE x counter\nx{a="1" 1\n')).toThrow();
    expect(() => parseExposition("# TYPE x counter\nx one\n")).toThrow();
  });

  test("after beginShutdown /readyz is 503 while other routes still serve; stop() closes the port", async () => {
    const local = await startApi();
    try {
      local.server.beginShutdown();
      const ready = await local.request("GET", "/readyz", { token: null });
      expect(ready.status).toBe(503);
      expect(ready.json.reason).toBe("shutting down");
      expect((await local.request("POST", "/v1/users", {})).status).toBe(201);
      await local.server.stop({ graceMs: 200 });
      await expect(fetch(local.server.url + "/healthz")).rejects.toThrow();
    } finally {
      await local.stop();
    }
  });
});
