import type { z } from "zod";
import type { Ledger } from "../ledger/ledger.ts";
import type { Logger } from "../ops/log.ts";
import type { MetricsRegistry } from "../ops/metrics.ts";

/**
 * A route is data plus one handler: its method and path, the zod schemas of its params, query and body,
 * and its documented responses. The server validates with the schemas before the handler runs, and the
 * OpenAPI document is built from the same list — so a route cannot exist undocumented.
 */
export type Method = "GET" | "POST" | "PATCH";

export interface Readiness {
  readonly ready: boolean;
  readonly reason?: string;
}

/** What handlers may use. */
export interface ApiDeps {
  readonly ledger: Ledger;
  /** ISO 4217 numeric currency of new accounts. */
  readonly currency: number;
  readonly cardExpiryYears: number;
  /** A fresh candidate PAN (BIN + random digits + Luhn digit). */
  readonly generatePan: () => string;
  readonly clock: () => number;
  readonly readiness: () => Readiness;
  readonly stopping: () => boolean;
  readonly metrics: MetricsRegistry;
  readonly logger: Logger;
  readonly openApiDocument: () => unknown;
}

export interface RouteInput<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly headers: Headers;
  readonly deps: ApiDeps;
}

/** JSON to send, or a ready Response (for text bodies such as the metrics exposition). */
export type RouteOutput = { status: number; json: unknown; headers?: Record<string, string> } | Response;

export interface HeaderDoc {
  readonly name: string;
  readonly required: boolean;
  readonly description: string;
  readonly schema: z.ZodType;
}

export interface ResponseDoc {
  readonly description: string;
  readonly schema?: z.ZodType;
  /** application/json unless said otherwise. */
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
  /** What the document shows; by default the example of `schema` (every named schema has one). */
  readonly example?: unknown;
}

export interface Route {
  readonly method: Method;
  /** Bun.serve pattern, `/v1/users/:id`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: string;
  /** Requires the bearer token. */
  readonly auth: boolean;
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  readonly headers?: readonly HeaderDoc[];
  /** Success responses and route-specific errors; the common errors (401, 404, 400, 413, 422) are implied. */
  readonly responses: Readonly<Record<number, ResponseDoc>>;
  handle(input: RouteInput<any, any, any>): Promise<RouteOutput> | RouteOutput;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

/** Declares a route with its handler typed by its own schemas. */
export function defineRoute<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(
  route: Omit<Route, "handle" | "params" | "query" | "body"> & {
    params?: P;
    query?: Q;
    body?: B;
    handle(input: RouteInput<Out<P>, Out<Q>, Out<B>>): Promise<RouteOutput> | RouteOutput;
  },
): Route {
  return route as Route;
}
