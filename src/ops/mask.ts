import { maskPan } from "../iso8583/sensitive.ts";

/**
 * The one masking function every log line, error text and metric label passes through. It hides what is
 * recognisably card data anywhere in a string (track data, then any run of 13–19 digits, which is masked as
 * a PAN: first 6 / last 4), the values of fields whose names say they are secret, and the registered
 * secrets themselves (API token, webhook secret, PAN key) wherever they appear.
 */
const TRACK2 = /\d{12,19}[=D]\d{4,}/g;
const TRACK1 = /%?B\d{12,19}\^[^^]{0,26}\^\d{4,}[^?\s]*\??/g;
const PAN_LIKE = /(?<!\d)\d{13,19}(?!\d)/g;
const SECRET_NAME = /(^|_|-|\b)(pan|track|pin|pin_?block|cvv2?|cvc|token|secret|password|authorization|pan_?key)$/i;
const MASKED_ALREADY = /^\d{6}\*+\d{4}$/;

const registeredSecrets = new Set<string>();

/** Registers a secret value (at least 8 characters) so that it is redacted wherever it shows up. */
export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 8) registeredSecrets.add(value);
}

export function maskText(text: string): string {
  let out = text;
  for (const secret of registeredSecrets) {
    if (out.includes(secret)) out = out.split(secret).join("[redacted]");
  }
  if (!/\d{12}/.test(out)) return out; // fast path: no long digit run, nothing card-like
  return out
    .replace(TRACK2, (track) => "*".repeat(track.length))
    .replace(TRACK1, (track) => "*".repeat(track.length))
    .replace(PAN_LIKE, (pan) => maskPan(pan));
}

/** Masks a value for output: strings by content, object fields also by name; returns a new value. */
export function maskValue(value: unknown, name = "", depth = 0): unknown {
  if (typeof value === "string") {
    if (SECRET_NAME.test(name) && !MASKED_ALREADY.test(value)) return value.length === 0 ? "" : "[redacted]";
    return maskText(value);
  }
  if (value === null || typeof value !== "object" || depth > 6) return value;
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: maskText(value.message), ...(code !== undefined ? { code } : {}) };
  }
  if (Array.isArray(value)) return value.map((item) => maskValue(item, name, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = maskValue(item, key, depth + 1);
  return out;
}
