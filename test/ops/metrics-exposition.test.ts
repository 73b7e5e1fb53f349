import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { registerApiMetrics } from "../../src/api/api-metrics.ts";
import { registerEngineMetrics } from "../../src/engine/engine-metrics.ts";
import { MessageBuilder } from "../../src/iso8583/message-builder.ts";
import { loadProfile } from "../../src/iso8583/profiles/index.ts";
import { registerNotifierMetrics } from "../../src/notify/notifier-metrics.ts";
import { MetricsRegistry } from "../../src/ops/metrics.ts";
import { maxOpenFiles, registerProcessMetrics, virtualMemoryBytes } from "../../src/ops/process-metrics.ts";
import { seedCard, startProcessorProcess, type ProcessorProcess } from "../support/processor-process.ts";
import { conventionProblems, parseExposition, sampleValue, seriesKey, type Exposition } from "../support/prometheus.ts";
import { TestNetwork } from "../support/test-network.ts";
import { WebhookReceiver } from "../support/webhook-receiver.ts";
import { authorizationRequest, concatBytes } from "../support/wire-requests.ts";

/**
 * Issue #15: every metric has a sample from the first scrape, so that rate() and increase() see the first
 * event, and the standard process_* metrics are there. `sekisho run` (webhooks on, so every room registers)
 * is scraped before any traffic and after some: both expositions must parse strictly and follow the naming
 * rules; the first must hold exactly the series of a freshly registered registry; the second the same
 * series plus only those whose label values nobody could list in advance.
 */
const profile = loadProfile("iso87-ascii");
const WEBHOOK_SECRET = "whsec-metrics-exposition-test-0001";

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function scrape(processor: ProcessorProcess): Promise<Exposition> {
  const response = await fetch(`${processor.apiUrl}/metrics`);
  expect(response.status).toBe(200);
  const exposition = parseExposition(await response.text());
  expect(conventionProblems(exposition)).toEqual([]);
  return exposition;
}

function seriesOf(exposition: Exposition): Set<string> {
  return new Set(exposition.samples.map(seriesKey));
}

/** What a registry holds before anything happened: every room's metrics as `sekisho run` registers them. */
function freshExposition(): Exposition {
  const registry = new MetricsRegistry();
  registerProcessMetrics(registry);
  registerEngineMetrics(registry);
  registerApiMetrics(registry);
  registerNotifierMetrics(registry);
  return parseExposition(registry.render());
}

function unseenRequest(stan: number): Uint8Array {
  // An 0300 (file update) asks for an answer, and we do not process that class: answered 12.
  return new MessageBuilder(profile)
    .reset(300)
    .set(3, "000000")
    .set(7, "1126101010")
    .set(11, String(stan).padStart(6, "0"))
    .set(32, "123456")
    .encode();
}

test("/metrics has every series from the first scrape, and traffic adds only label values nobody could list", async () => {
  const startedSeconds = Date.now() / 1000;
  const dir = mkdtempSync(join(tmpdir(), "sekisho-metrics-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const receiver = new WebhookReceiver(WEBHOOK_SECRET);
  cleanups.push(() => receiver.stop());
  const network = new TestNetwork({ profile }).listen();
  cleanups.push(() => network.close());
  const processor = startProcessorProcess({
    networkPort: network.port,
    db: join(dir, "ledger.db"),
    args: ["--webhook-poll-ms", "20"],
    env: { SEKISHO_WEBHOOK_URL: receiver.url, SEKISHO_WEBHOOK_SECRET: WEBHOOK_SECRET },
  });
  cleanups.push(() => {
    if (processor.child.exitCode === null) processor.child.kill("SIGKILL");
  });
  await processor.waitReady();

  // Before any traffic: the families a fresh registry declares, each with exactly its series.
  const before = await scrape(processor);
  const fresh = freshExposition();
  expect([...before.types].sort()).toEqual([...fresh.types].sort());
  expect([...seriesOf(before)].sort()).toEqual([...seriesOf(fresh)].sort());
  for (const family of before.types.keys()) {
    expect(before.samples.some((s) => s.name === family || s.name.startsWith(`${family}_`)) ? family : `${family}: no sample`).toBe(family);
  }
  for (const name of ["sekisho_shed_total", "sekisho_ledger_failures_total", "sekisho_deadline_expired_total", "sekisho_undelivered_total"]) {
    expect(`${name} ${sampleValue(before, name)}`).toBe(`${name} 0`);
  }
  expect(sampleValue(before, "sekisho_link_connects_total")).toBe(1);
  expect(sampleValue(before, "sekisho_authorization_latency_seconds_count")).toBe(0);
  expect(sampleValue(before, "sekisho_authorization_latency_seconds_bucket", { le: "+Inf" })).toBe(0);
  expect(sampleValue(before, "sekisho_messages_total", { mti: "0100", response_code: "51" })).toBe(0);
  expect(sampleValue(before, "sekisho_decode_errors_total", { code: "truncated" })).toBe(0);
  expect(sampleValue(before, "sekisho_webhook_failures_total", { reason: "timeout" })).toBe(0);
  expect(sampleValue(before, "sekisho_links", { state: "ready" })).toBe(1);

  // The process metrics are the child's, and plausible.
  const rss = sampleValue(before, "process_resident_memory_bytes")!;
  expect(rss).toBeGreaterThan(1024 * 1024);
  expect(sampleValue(before, "process_virtual_memory_bytes")!).toBeGreaterThanOrEqual(rss);
  expect(sampleValue(before, "process_cpu_seconds_total")!).toBeGreaterThan(0);
  const openFds = sampleValue(before, "process_open_fds")!;
  expect(openFds).toBeGreaterThanOrEqual(3);
  expect(sampleValue(before, "process_max_fds")!).toBeGreaterThanOrEqual(openFds);
  const startTime = sampleValue(before, "process_start_time_seconds")!;
  expect(startTime).toBeGreaterThanOrEqual(Math.floor(startedSeconds) - 1);
  expect(startTime).toBeLessThanOrEqual(Date.now() / 1000);

  // Traffic: API calls (one a 404), approvals and declines, a format error, an undecodable frame, and a
  // message class we do not process.
  const card = await seedCard(processor, 10_000);
  expect((await processor.api("GET", "/v1/users/usr_missing")).status).toBe(404);
  const [connection] = network.signedOnConnections();
  const requests = [
    authorizationRequest(profile, 1, { pan: card.pan, expiry: card.expiry, amount: 500 }),
    authorizationRequest(profile, 2, { pan: card.pan, expiry: card.expiry, amount: 1_000_000 }),
    authorizationRequest(profile, 3, { pan: card.pan, expiry: "3013" }),
    unseenRequest(4),
    authorizationRequest(profile, 5, { pan: card.pan, expiry: card.expiry }).subarray(0, 30),
  ];
  await network.write(connection!, concatBytes(requests.map((frame) => network.framed(frame))));
  await network.until(() => connection!.responses().length >= 4, 10_000, "four answers");
  await receiver.until(() => receiver.unique().length >= 1, 10_000, "a webhook delivery");

  const after = await scrape(processor);
  expect([...after.types].sort()).toEqual([...before.types].sort());
  const beforeSeries = seriesOf(before);
  const afterSeries = seriesOf(after);
  expect([...beforeSeries].filter((key) => !afterSeries.has(key))).toEqual([]);
  expect([...afterSeries].filter((key) => !beforeSeries.has(key)).sort()).toEqual([
    'sekisho_api_requests_total{route="getUser",status="404"}',
    'sekisho_messages_total{mti="0300",response_code="12"}',
  ]);
  expect(sampleValue(after, "sekisho_messages_total", { mti: "0100", response_code: "00" })).toBe(1);
  expect(sampleValue(after, "sekisho_messages_total", { mti: "0100", response_code: "51" })).toBe(1);
  expect(sampleValue(after, "sekisho_messages_total", { mti: "0100", response_code: "30" })).toBe(1);
  expect(sampleValue(after, "sekisho_decode_errors_total", { code: "truncated" })).toBe(1);
  expect(sampleValue(after, "sekisho_authorization_latency_seconds_count")).toBe(2);
  expect(sampleValue(after, "sekisho_webhook_deliveries_total", { outcome: "delivered" })!).toBeGreaterThanOrEqual(1);
  expect(sampleValue(after, "process_cpu_seconds_total")!).toBeGreaterThanOrEqual(sampleValue(before, "process_cpu_seconds_total")!);
  expect(sampleValue(after, "process_start_time_seconds")).toBe(startTime);
});

test("the procfs readings: the soft file limit, unlimited, and the virtual size after a command name with spaces", () => {
  const limits = [
    "Limit                     Soft Limit           Hard Limit           Units     ",
    "Max open files            1024                 524288               files     ",
  ].join("\n");
  expect(maxOpenFiles(limits)).toBe(1024);
  expect(maxOpenFiles(limits.replace("1024", "unlimited"))).toBe(Infinity);
  expect(maxOpenFiles("")).toBeNaN();
  const stat = "4242 (a b) c) S 1 4242 4242 0 -1 4194304 100 0 0 0 7 3 0 0 20 0 9 0 12345 987654321 2048 18446744073709551615";
  expect(virtualMemoryBytes(stat)).toBe(987654321);
});

test("a registry renders +Inf as the format spells it, and a histogram without observations whole", () => {
  const registry = new MetricsRegistry();
  registry.gauge("x_limit", "a limit").set(Infinity);
  registry.histogram("x_seconds", "a histogram", [0.1, 1], ["route"]).initialize({ route: ["a", "b"] });
  registry.counter("x_total", "a counter", ["code", "kind"]).initialize({ code: ["1", "2"], kind: ["k"] });
  const exposition = parseExposition(registry.render());
  expect(sampleValue(exposition, "x_limit")).toBe(Infinity);
  expect(exposition.samples.filter((s) => s.name === "x_seconds_bucket")).toHaveLength(6);
  expect(sampleValue(exposition, "x_seconds_count", { route: "b" })).toBe(0);
  expect(exposition.samples.filter((s) => s.name === "x_total").map(seriesKey)).toEqual([
    'x_total{code="1",kind="k"}',
    'x_total{code="2",kind="k"}',
  ]);
  expect(() => registry.counter("y_total", "c", ["code"]).initialize({ cod: ["1"] })).toThrow();
});

test("the parser rejects what a scraper would, and what would make a family meaningless", () => {
  const bad = [
    "# TYPE x counter\nx 1", // no final newline
    "y 1\n", // no TYPE
    '# TYPE x counter\nx{a="1" 1\n',
    "# TYPE x counter\nx one\n",
    '# TYPE x counter\nx{a="1",a="2"} 1\n', // a label twice
    '# TYPE x counter\nx{__a="1"} 1\n', // a reserved label name
    '# TYPE x counter\nx{a="\\t"} 1\n', // an escape the format does not have
    "# TYPE x counter\nx 1\nx 2\n", // a series twice
    "# TYPE x counter\nx -1\n", // a counter going negative
    "# TYPE x gauge\n# TYPE y gauge\nx 1\ny 1\nx{a=\"b\"} 1\n", // a family in two pieces
    "# TYPE x gauge\n# TYPE x gauge\nx 1\n",
    // histograms: no +Inf, not cumulative, +Inf not _count, no _sum, bounds out of order
    '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n',
    '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
    '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 2\n',
    '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 1\nh_count 1\n',
    '# TYPE h histogram\nh_bucket{le="2"} 0\nh_bucket{le="1"} 0\nh_bucket{le="+Inf"} 0\nh_sum 0\nh_count 0\n',
  ];
  for (const text of bad) expect(() => parseExposition(text)).toThrow();
  const good = parseExposition(
    '# HELP h a histogram\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 3\nh_count 2\n',
  );
  expect(conventionProblems(good)).toEqual([]);
  expect(conventionProblems(parseExposition("# HELP x a counter\n# TYPE x counter\nx 1\n"))).toEqual([
    "counter x does not end in _total",
  ]);
  expect(conventionProblems(parseExposition("# TYPE x_total counter\nx_total 1\n"))).toEqual(["x_total has no HELP"]);
});
