import type { Counter, Histogram, MetricsRegistry } from "../ops/metrics.ts";
import type { Route } from "./route.ts";
import { ROUTES } from "./routes/index.ts";

/** The API's own metrics. Labels are route ids (a fixed set), never paths: a path holds ids. */
export interface ApiMetrics {
  readonly requests: Counter;
  readonly duration: Histogram;
}

const DURATION_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** The route label of a request no route took (404, 405). */
export const UNMATCHED_ROUTE = "unmatched";

/**
 * Registers the API's metrics. Known in advance, so at 0 from the start: each route with each status its
 * definition documents, and the duration of every route (and of requests no route took). The common
 * errors (400, 401, 404, 405, 413, 422, 500 …) are not part of a route's definition and appear when they
 * happen.
 */
export function registerApiMetrics(registry: MetricsRegistry, routes: readonly Route[] = ROUTES): ApiMetrics {
  const metrics = {
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
  for (const route of routes) {
    metrics.requests.initialize({ route: [route.operationId], status: Object.keys(route.responses) });
  }
  metrics.duration.initialize({ route: [...routes.map((route) => route.operationId), UNMATCHED_ROUTE] });
  return metrics;
}
