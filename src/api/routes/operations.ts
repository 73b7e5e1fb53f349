import { defineRoute } from "../route.ts";
import * as schemas from "../schemas.ts";

/** Probes, metrics and the API's own description: no token, no card data. */
export const healthz = defineRoute({
  method: "GET",
  path: "/healthz",
  operationId: "healthz",
  summary: "The process is alive",
  tag: "operations",
  auth: false,
  responses: { 200: { description: "alive", schema: schemas.Health } },
  handle: () => ({ status: 200, json: { status: "ok" } }),
});

export const readyz = defineRoute({
  method: "GET",
  path: "/readyz",
  operationId: "readyz",
  summary: "Ready: a link is signed on and the ledger is open, and we are not shutting down",
  tag: "operations",
  auth: false,
  responses: {
    200: { description: "ready", schema: schemas.Readiness },
    503: { description: "not ready, with the reason", schema: schemas.Readiness, example: { status: "not_ready", reason: "no link signed on to the network" } },
  },
  handle({ deps }) {
    if (deps.stopping()) return { status: 503, json: { status: "not_ready", reason: "shutting down" } };
    const readiness = deps.readiness();
    if (readiness.ready) return { status: 200, json: { status: "ready" } };
    return { status: 503, json: { status: "not_ready", reason: readiness.reason ?? "not ready" } };
  },
});

export const metrics = defineRoute({
  method: "GET",
  path: "/metrics",
  operationId: "metrics",
  summary: "Prometheus metrics (text exposition format 0.0.4)",
  tag: "operations",
  auth: false,
  responses: {
    200: {
      description: "the exposition",
      contentType: "text/plain; version=0.0.4",
      example: "# HELP sekisho_api_requests_total Processor API requests, by route and status\n# TYPE sekisho_api_requests_total counter\n" +
        'sekisho_api_requests_total{route="getUser",status="200"} 42\n',
    },
  },
  handle: ({ deps }) =>
    new Response(deps.metrics.render(), { headers: { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" } }),
});

export const openApi = defineRoute({
  method: "GET",
  path: "/openapi.json",
  operationId: "openapi",
  summary: "This API as an OpenAPI 3.1 document",
  tag: "operations",
  auth: false,
  responses: {
    200: {
      description: "the document",
      contentType: "application/json",
      example: { openapi: "3.1.0", info: { title: "Sekisho Processor API", version: "1.0.0" }, paths: {} },
    },
  },
  handle: ({ deps }) => ({ status: 200, json: deps.openApiDocument() }),
});
