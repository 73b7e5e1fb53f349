import type { OutboxEvent } from "./ledger.ts";
import { splitMerchant } from "./views.ts";
import { maskValue } from "../ops/mask.ts";

/**
 * The JSON a webhook receiver gets: `{ id, type, created_at, data }`, in the API's conventions whatever the
 * ledger stored — keys in snake_case, currencies as ISO 4217 alphabetic codes — and masked like a log line,
 * so no full card number can leave in an event. A DE 43 `name_location` also gets the `name` and `location`
 * the history shows.
 */
export interface WebhookBody {
  id: string;
  type: OutboxEvent["type"];
  created_at: string;
  data: Record<string, unknown>;
}

export function webhookBody(event: OutboxEvent, currencyAlpha: (numeric: number) => string): WebhookBody {
  return {
    id: event.id,
    type: event.type,
    created_at: event.createdAt,
    data: maskValue(conventions(event.data, currencyAlpha, 0)) as Record<string, unknown>,
  };
}

const DEPTH_MAX = 6;

function snakeCase(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}

function conventions(value: unknown, currencyAlpha: (numeric: number) => string, depth: number): unknown {
  if (value === null || typeof value !== "object" || depth > DEPTH_MAX) return value;
  if (Array.isArray(value)) return value.map((item) => conventions(item, currencyAlpha, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const name = snakeCase(key);
    out[name] =
      (name === "currency" || name.endsWith("_currency")) && typeof item === "number"
        ? currencyAlpha(item)
        : conventions(item, currencyAlpha, depth + 1);
  }
  if (typeof out.name_location === "string") {
    const merchant = splitMerchant(out.name_location);
    out.name ??= merchant.name;
    out.location ??= merchant.location;
  }
  return out;
}
