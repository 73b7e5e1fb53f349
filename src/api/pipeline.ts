import type { z } from "zod";
import { readJsonBody } from "./body.ts";
import { ApiError, describeIssues, errorBody, invalidRequest, notFound, toApiError, unauthorized, validationFailed } from "./errors.ts";
import type { ApiDeps, Route, RouteOutput } from "./route.ts";
import { rethrowAssertionFailure } from "../ops/assert.ts";

/**
 * One request through one route: token → path params → query → body (size-limited, JSON, schema) →
 * handler → JSON response. Every failure along the way becomes the API's error shape; nothing a handler
 * throws leaves as anything else — but a broken invariant (AssertionFailure), which is no failure of the
 * request: it goes on up, to the server's error handler, which hands it to the process's fatal handler.
 */
export interface PipelineContext {
  readonly deps: ApiDeps;
  readonly bodyBytesMax: number;
  readonly tokenMatches: (authorization: string | null) => boolean;
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", ...headers },
  });
}

export function errorResponse(error: ApiError): Response {
  return jsonResponse(error.status, errorBody(error.code, error.message), error.headers);
}

function parse<S extends z.ZodType>(schema: S, value: unknown, fail: (message: string) => ApiError): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw fail(describeIssues(result.error));
  return result.data;
}

async function handle(route: Route, request: Request, rawParams: Record<string, string>, context: PipelineContext): Promise<RouteOutput> {
  if (route.auth && !context.tokenMatches(request.headers.get("authorization"))) throw unauthorized();
  // An id that could never name a resource is simply not found.
  const params = route.params === undefined ? undefined : parse(route.params, rawParams, () => notFound("resource"));
  const query =
    route.query === undefined
      ? undefined
      : parse(route.query, Object.fromEntries(new URL(request.url).searchParams), (message) => invalidRequest(message));
  const body =
    route.body === undefined
      ? undefined
      : parse(route.body, await readJsonBody(request, context.bodyBytesMax), (message) => validationFailed(message));
  return route.handle({ params, query, body, headers: request.headers, deps: context.deps });
}

export async function runRoute(
  route: Route,
  request: Request,
  rawParams: Record<string, string>,
  context: PipelineContext,
): Promise<Response> {
  try {
    const output = await handle(route, request, rawParams, context);
    return output instanceof Response ? output : jsonResponse(output.status, output.json, output.headers);
  } catch (thrown) {
    rethrowAssertionFailure(thrown);
    const error = toApiError(thrown);
    if (error.code === "unavailable") {
      // An operating condition (the ledger down, a bound reached), answered 503 for the client to retry.
      context.deps.logger.warn("api.unavailable", { route: route.operationId, error: error.cause ?? error });
    } else if (error.status >= 500) {
      context.deps.logger.error("api.request_failed", { route: route.operationId, code: error.code, error: error.cause ?? error });
    }
    return errorResponse(error);
  }
}
