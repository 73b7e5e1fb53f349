import type { Counter, Gauge, Histogram, MetricsRegistry } from "../ops/metrics.ts";

export interface NotifierMetrics {
  readonly backlog: Gauge;
  readonly inFlight: Gauge;
  readonly deliveries: Counter;
  readonly failures: Counter;
  readonly duration: Histogram;
  readonly claimFailures: Counter;
}

/** Every failure reason the notifier gives: the HTTP status class of a non-2xx answer, or no answer. */
const WEBHOOK_FAILURE_REASONS = ["http_3xx", "http_4xx", "http_5xx", "timeout", "network"];

const DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Registers the notifier's metrics, every outcome and failure reason at 0. */
export function registerNotifierMetrics(registry: MetricsRegistry): NotifierMetrics {
  const metrics = {
    backlog: registry.gauge("sekisho_webhook_backlog", "Outbox events not yet acknowledged by the webhook (sampled)"),
    inFlight: registry.gauge("sekisho_webhook_in_flight", "Webhook deliveries in progress"),
    deliveries: registry.counter("sekisho_webhook_deliveries_total", "Webhook delivery attempts, by outcome", ["outcome"]),
    failures: registry.counter(
      "sekisho_webhook_failures_total",
      "Failed webhook attempts, by reason (http_3xx/4xx/5xx, timeout, network)",
      ["reason"],
    ),
    duration: registry.histogram("sekisho_webhook_delivery_seconds", "Time of one webhook attempt", DURATION_BUCKETS_SECONDS),
    claimFailures: registry.counter("sekisho_webhook_claim_failures_total", "Ledger errors while reading or updating the outbox"),
  };
  metrics.deliveries.initialize({ outcome: ["delivered", "failed"] });
  metrics.failures.initialize({ reason: WEBHOOK_FAILURE_REASONS });
  return metrics;
}
