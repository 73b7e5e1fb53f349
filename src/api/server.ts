import packageJson from "../../package.json" with { type: "json" };
import type { Ledger } from "../ledger/ledger.ts";
import { AssertionFailure, failLoudly, type AssertionFailureSink } from "../ops/assert.ts";
import type { Logger } from "../ops/log.ts";
import { registerSecret } from "../ops/mask.ts";
import type { MetricsRegistry } from "../ops/metrics.ts";
import { registerApiMetrics } from "./api-metrics.ts";
import { API_TOKEN_CHARS_MIN, bearerChecker } from "./auth.ts";
import { currencyByNumeric } from "../domain/currency.ts";
import { ApiError, notFound, unauthorized } from "./errors.ts";
import { buildOpenApiDocument } from "./openapi.ts";
import { generatePan } from "./pan.ts";
import { errorResponse, runRoute, type PipelineContext } from "./pipeline.ts";
import type { ApiDeps, Readiness, Route } from "./route.ts";
import { ROUTES } from "./routes/index.ts";
import { splitHostPort } from "../domain/host-port.ts";

export interface ApiServerOptions {
  readonly ledger: Ledger;
  /** Listen address; port 0 picks a free one (tests). */
  readonly hostname: string;
  readonly port: number;
  /** SEKISHO_API_TOKEN. The server refuses to start without one (at least 16 characters). */
  readonly token: string | undefined;
  /** config.apiBodyBytesMax */
  readonly bodyBytesMax: number;
  /** config.currency: ISO 4217 numeric currency of new accounts; must be in the API's table. */
  readonly currency: number;
  /** config.cardBin, config.cardExpiryYears */
  readonly cardBin: string;
  readonly cardExpiryYears: number;
  /** Ready to take traffic (a link signed on, ledger open); /readyz answers 503 with `reason` otherwise. */
  readonly readiness: () => Readiness;
  /** The process's registry: /metrics renders all of it, and the API registers its own metrics in it. */
  readonly metrics: MetricsRegistry;
  readonly logger: Logger;
  readonly clock?: () => number;
  /** Candidate PANs (tests inject collisions); by default the BIN + CSPRNG digits + Luhn digit. */
  readonly generatePan?: () => string;
  /** Where a broken invariant met by a request goes (the process's fatal handler); thrown uncaught by default. */
  readonly onAssertionFailure?: AssertionFailureSink;
}

export interface ApiServer {
  readonly url: string;
  readonly port: number;
  /** /readyz turns 503 ("shutting down"); every other route keeps serving until stop(). */
  beginShutdown(): void;
  /** Stops listening; requests in flight get up to `graceMs` to finish, then are cut. */
  stop(options?: { graceMs?: number }): Promise<void>;
}

export class ApiStartError extends Error {
  override readonly name = "ApiStartError";
  readonly code = "api_start";
}

const STOP_GRACE_MS_DEFAULT = 2000;
/** Bun.serve's maxRequestBodySize when the API's own limit is the one that answers. */
const BUN_BODY_BYTES_UNLIMITED = Number.MAX_SAFE_INTEGER;

/** `HOST:PORT` (config.api) as Bun.serve's hostname and port; `[::1]:8080` for IPv6. */
export function parseListenAddress(address: string): { hostname: string; port: number } {
  const parts = splitHostPort(address);
  if (parts === null) throw new ApiStartError(`not a HOST:PORT: ${address}`);
  return { hostname: parts.host.replace(/^\[|\]$/g, ""), port: parts.port };
}

function patternOf(path: string): RegExp {
  return new RegExp("^" + path.replace(/:[A-Za-z_][A-Za-z0-9_]*/g, "[^/]+") + "$");
}

function checkOptions(options: ApiServerOptions): string {
  if (options.token === undefined || options.token.length < API_TOKEN_CHARS_MIN) {
    throw new ApiStartError(`SEKISHO_API_TOKEN must be set (at least ${API_TOKEN_CHARS_MIN} characters) to serve the API`);
  }
  if (currencyByNumeric(options.currency) === undefined) {
    throw new ApiStartError(`currency ${options.currency} is not one the API can show (see src/domain/currency.ts)`);
  }
  if (!/^\d{6,8}$/.test(options.cardBin)) throw new ApiStartError("cardBin must have 6 to 8 digits");
  return options.token;
}

export function startApiServer(options: ApiServerOptions): ApiServer {
  const token = checkOptions(options);
  registerSecret(token);
  const metrics = registerApiMetrics(options.metrics);
  let stopping = false;
  let openApi: unknown = null;
  const deps: ApiDeps = {
    ledger: options.ledger,
    currency: options.currency,
    cardExpiryYears: options.cardExpiryYears,
    generatePan: options.generatePan ?? (() => generatePan(options.cardBin)),
    clock: options.clock ?? Date.now,
    readiness: options.readiness,
    stopping: () => stopping,
    metrics: options.metrics,
    logger: options.logger,
    openApiDocument: () => (openApi ??= buildOpenApiDocument(ROUTES, packageJson.version)),
  };
  const context: PipelineContext = { deps, bodyBytesMax: options.bodyBytesMax, tokenMatches: bearerChecker(token) };

  const observed = async (route: Route | null, run: () => Promise<Response>): Promise<Response> => {
    const startedMs = performance.now();
    const response = await run();
    const label = route?.operationId ?? "unmatched";
    metrics.requests.inc({ route: label, status: response.status });
    metrics.duration.observe((performance.now() - startedMs) / 1000, { route: label });
    if (options.logger.enabled("debug")) {
      options.logger.debug("api.request", { route: label, status: response.status, ms: Math.round(performance.now() - startedMs) });
    }
    return response;
  };

  const routes: Record<string, Record<string, (request: Request & { params: Record<string, string> }) => Promise<Response>>> = {};
  for (const route of ROUTES) {
    (routes[route.path] ??= {})[route.method] = (request) =>
      observed(route, () => runRoute(route, request, request.params, context));
  }
  const patterns = ROUTES.map((route) => ({ route, pattern: patternOf(route.path) }));

  // Requests no route took: a known path with another method (405), or nothing (404). Under /v1 the token
  // is checked first, so that a caller without one learns nothing about which paths exist.
  const fallback = async (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname;
    if (path.startsWith("/v1/") && !context.tokenMatches(request.headers.get("authorization"))) return errorResponse(unauthorized());
    const allowed = patterns.filter(({ pattern }) => pattern.test(path)).map(({ route }) => route.method);
    if (allowed.length === 0) return errorResponse(notFound("route"));
    return errorResponse(
      new ApiError(405, "method_not_allowed", `use ${allowed.join(", ")}`, { headers: { Allow: allowed.join(", ") } }),
    );
  };

  const server = Bun.serve({
    hostname: options.hostname,
    port: options.port,
    // Bun's own limit answers a bare 413, with no JSON, before any route runs: it is lifted, and the
    // API's limit (bodyBytesMax, readBodyBytes) refuses a larger body in the API's error shape — by its
    // Content-Length before reading, or as it streams. A body no route reads is never buffered.
    maxRequestBodySize: BUN_BODY_BYTES_UNLIMITED,
    routes,
    fetch: (request) => observed(null, () => fallback(request)),
    error(error) {
      // A broken invariant: the answer is a plain 500, and the process stops (src/ops/fatal-errors.ts).
      if (error instanceof AssertionFailure) (options.onAssertionFailure ?? failLoudly)(error);
      else options.logger.error("api.unhandled", { error });
      return errorResponse(new ApiError(500, "internal_error", "internal error"));
    },
  });
  const port = server.port ?? options.port;
  const host = options.hostname.includes(":") ? `[${options.hostname}]` : options.hostname;
  options.logger.info("api.listening", { address: `${host}:${port}` });

  let stopped: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}`,
    port,
    beginShutdown() {
      stopping = true;
    },
    stop(stopOptions = {}) {
      stopping = true;
      stopped ??= (async () => {
        const graceMs = stopOptions.graceMs ?? STOP_GRACE_MS_DEFAULT;
        let timer: ReturnType<typeof setTimeout> | undefined;
        const cut = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
        await Promise.race([server.stop(false), cut]);
        clearTimeout(timer);
        await server.stop(true);
        options.logger.info("api.stopped");
      })();
      return stopped;
    },
  };
}
