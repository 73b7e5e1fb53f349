import type { Counter, Histogram, MetricsRegistry } from "../ops/metrics.ts";

/** The API's own metrics. Labels are route ids (a fixed set), never paths: a path holds ids. */
export interface ApiMetrics {
  readonly requests: Counter;
  readonly duration: Histogram;
}

const DURATION_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export function registerApiMetrics(registry: MetricsRegistry): ApiMetrics {
  return {
    requests: registry.counter("sekisho_api_requests_total", "Processor API requests, by route and status", [
      "route",
      "status",
    ]),
    duration: registry.histogram(
      "sekisho_api_request_duration_seconds",
      "Processor API request handling time, by route",
      DURATION_BUCKETS_SECONDS,
      ["route"],
    ),
  };
}
