import type { z } from "zod";
import { LedgerError } from "../ledger/ledger.ts";
import { maskText } from "../ops/mask.ts";

/**
 * The API's failures as values with a stable code and HTTP status. Every message that leaves the process
 * passes through maskText first, so a PAN that slipped into a ledger error text still never reaches a client.
 */
export type ApiErrorCode =
  | "unauthorized"
  | "not_found"
  | "method_not_allowed"
  | "invalid_json"
  | "invalid_request"
  | "body_too_large"
  | "validation_failed"
  | "idempotency_conflict"
  | "card_status_final"
  | "conflict"
  | "invalid_amount"
  | "currency_mismatch"
  | "unavailable"
  | "internal_error";

export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly code: ApiErrorCode;
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(status: number, code: ApiErrorCode, message: string, options?: { cause?: unknown; headers?: Record<string, string> }) {
    super(message, options);
    this.status = status;
    this.code = code;
    this.headers = options?.headers ?? {};
  }
}

export const unauthorized = () =>
  new ApiError(401, "unauthorized", "a valid bearer token is required", { headers: { "WWW-Authenticate": 'Bearer realm="sekisho"' } });
export const notFound = (what: string) => new ApiError(404, "not_found", `${what} not found`);
export const invalidRequest = (message: string) => new ApiError(400, "invalid_request", message);
export const validationFailed = (message: string) => new ApiError(422, "validation_failed", message);

export function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message: maskText(message) } };
}

/** The first issues of a zod error as one line: `limits.per_day_count_max: Too small: expected …`. */
export function describeIssues(error: z.ZodError, issuesMax = 3): string {
  const parts = error.issues.slice(0, issuesMax).map((issue) => {
    const path = issue.path.map(String).join(".");
    return path === "" ? issue.message : `${path}: ${issue.message}`;
  });
  const more = error.issues.length > issuesMax ? ` (and ${error.issues.length - issuesMax} more)` : "";
  return parts.join("; ") + more;
}

/** A ledger failure as the API reports it; `context` lets a route say what a generic code means there. */
export function fromLedgerError(error: LedgerError, context: { invalidState?: ApiError } = {}): ApiError {
  switch (error.code) {
    case "not_found":
      return new ApiError(404, "not_found", error.message, { cause: error });
    case "idempotency_conflict":
      return new ApiError(409, "idempotency_conflict", error.message, { cause: error });
    case "conflict":
      return new ApiError(409, "conflict", error.message, { cause: error });
    case "invalid_state":
      return context.invalidState ?? new ApiError(409, "conflict", error.message, { cause: error });
    case "invalid_amount":
      return new ApiError(422, "invalid_amount", error.message, { cause: error });
    case "invalid_input":
      return new ApiError(422, "validation_failed", error.message, { cause: error });
    case "currency_mismatch":
      return new ApiError(422, "currency_mismatch", error.message, { cause: error });
    case "unavailable":
      return new ApiError(503, "unavailable", "the ledger is unavailable; retry later", { cause: error });
  }
}

/** Any thrown value as an ApiError: our own as they are, ledger errors mapped, anything else a 500. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof LedgerError) return fromLedgerError(error);
  return new ApiError(500, "internal_error", "internal error", { cause: error });
}
