import type { Counter, Gauge, Histogram, MetricsRegistry } from "../ops/metrics.ts";

/** The engine's metrics, registered once; see the metrics list in docs/operating.md. */
export interface EngineMetrics {
  readonly messages: Counter;
  readonly latency: Histogram;
  readonly batchSize: Histogram;
  readonly ringDepth: Gauge;
  readonly readsPaused: Gauge;
  readonly linksWritePaused: Gauge;
  readonly links: Gauge;
  readonly decodeErrors: Counter;
  readonly formatErrors: Counter;
  readonly shed: Counter;
  readonly deadlineExpired: Counter;
  readonly undelivered: Counter;
  readonly ledgerFailures: Counter;
  readonly rejects: Counter;
  readonly unexpected: Counter;
  readonly reconnects: Counter;
  readonly framingLost: Counter;
}

const LATENCY_BUCKETS_SECONDS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];

export function registerEngineMetrics(registry: MetricsRegistry): EngineMetrics {
  return {
    messages: registry.counter(
      "sekisho_messages_total",
      "Requests answered, by request MTI and response code (DE 39)",
      ["mti", "response_code"],
    ),
    latency: registry.histogram(
      "sekisho_authorization_latency_seconds",
      "From a request read off the link to its response queued for writing",
      LATENCY_BUCKETS_SECONDS,
    ),
    batchSize: registry.histogram("sekisho_batch_size", "Requests per ledger batch", BATCH_BUCKETS),
    ringDepth: registry.gauge("sekisho_ring_depth", "Requests queued for authorization"),
    readsPaused: registry.gauge("sekisho_reads_paused", "1 while reading is paused on every link (ring above high water)"),
    linksWritePaused: registry.gauge(
      "sekisho_links_write_paused",
      "Links not reading because their unsent responses reached linkPendingBytesHighWater",
    ),
    links: registry.gauge("sekisho_links", "Links by state", ["state"]),
    decodeErrors: registry.counter("sekisho_decode_errors_total", "Frames that did not decode, by codec error", ["code"]),
    formatErrors: registry.counter("sekisho_format_errors_total", "Requests answered 30, by validation code", ["code"]),
    shed: registry.counter("sekisho_shed_total", "Requests answered 91 because the ring was full or the processor stopping"),
    deadlineExpired: registry.counter("sekisho_deadline_expired_total", "Requests answered 91 because their deadline passed"),
    undelivered: registry.counter(
      "sekisho_undelivered_total",
      "Responses lost: not queued (link gone, write buffer full) or still unsent when their link closed",
    ),
    ledgerFailures: registry.counter("sekisho_ledger_failures_total", "Ledger batches that failed (answered 91)"),
    rejects: registry.counter("sekisho_base1_rejects_total", "BASE I reject messages received"),
    unexpected: registry.counter("sekisho_unexpected_messages_total", "Responses nobody waited for, or unsupported messages"),
    reconnects: registry.counter("sekisho_link_connects_total", "TCP connections established to the network"),
    framingLost: registry.counter(
      "sekisho_framing_lost_total",
      "Links closed because their byte stream could not be framed, by cause",
      ["code"],
    ),
  };
}
