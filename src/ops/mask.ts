import { maskPan } from "../iso8583/sensitive.ts";

/**
 * The one masking function every log line, error text and metric label passes through. It hides what is
 * recognisably card data anywhere in a string (track data, then any run of 13–19 digits, which is masked as
 * a PAN: first 6 / last 4), values written next to a name that says they are secret (`cvv=123`,
 * `"pin_block":"…"`), the password in a URL's user info (`postgres://user:***@host`), the values of object
 * fields whose names say they are secret, and the registered secrets themselves (API token, webhook
 * secret, PAN key) wherever they appear.
 */
const TRACK2 = /\d{12,19}[=D]\d{4,}/g;
const TRACK1 = /%?B\d{12,19}\^[^^]{0,26}\^\d{4,}[^?\s]*\??/g;
const PAN_LIKE = /(?<!\d)\d{13,19}(?!\d)/g;
/** Names whose values are secret; tested on the snake_case form of a field name (`pinBlock` → `pin_block`). */
const SECRET_NAME =
  /(^|_|-)(pan|track[12]?|track_?data|pin|pin_?block|cvv2?|cvc2?|cav2|csc|card_?security_?code|token|api_?token|secret|password|passwd|authorization|pan_?key|api_?key|private_?key)$/i;
/** The same names written in text, followed by `=` or `:` and a value of digits or hex. */
const SECRET_NAMED_IN_TEXT =
  /(?<![A-Za-z0-9])(cvv2?|cvc2?|cav2|csc|card_?security_?code|pin|pin_?block)(\\?["']?\s*[:=]\s*\\?["']?)([0-9A-Fa-f]{3,32})(?![0-9A-Za-z])/gi;
/** `scheme://user:password@` — the password goes, the user stays. */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*):[^\s/@]*@/gi;
const MASKED_ALREADY = /^\d{6}\*+\d{4}$/;

const registeredSecrets = new Set<string>();

/**
 * Registers a secret value (at least 8 characters) so that it is redacted wherever it shows up; a hex
 * secret (the PAN key) in either case.
 */
export function registerSecret(value: string | undefined | null): void {
  if (!value || value.length < 8) return;
  registeredSecrets.add(value);
  if (/^[0-9A-Fa-f]+$/.test(value)) {
    registeredSecrets.add(value.toLowerCase());
    registeredSecrets.add(value.toUpperCase());
  }
}

export function maskText(text: string): string {
  let out = text;
  for (const secret of registeredSecrets) {
    if (out.includes(secret)) out = out.split(secret).join("[redacted]");
  }
  if (out.includes("://")) out = out.replace(URL_PASSWORD, "$1:***@");
  out = out.replace(SECRET_NAMED_IN_TEXT, (_whole, name: string, between: string) => `${name}${between}***`);
  if (!/\d{12}/.test(out)) return out; // fast path: no long digit run, nothing card-like
  return out
    .replace(TRACK2, (track) => "*".repeat(track.length))
    .replace(TRACK1, (track) => "*".repeat(track.length))
    .replace(PAN_LIKE, (pan) => maskPan(pan));
}

function isSecretName(name: string): boolean {
  return name !== "" && SECRET_NAME.test(name.replace(/([a-z0-9])([A-Z])/g, "$1_$2"));
}

/** Masks a value for output: strings by content, object fields also by name; returns a new value. */
export function maskValue(value: unknown, name = "", depth = 0): unknown {
  if (typeof value === "string") {
    if (isSecretName(name) && !MASKED_ALREADY.test(value)) return value.length === 0 ? "" : "[redacted]";
    return maskText(value);
  }
  if (typeof value === "number" && Number.isInteger(value) && Math.abs(value) >= 1e14) {
    // A number of 15 or more digits (an unquoted card number someone parsed as JSON) is masked like a PAN;
    // shorter ones are left alone: millisecond timestamps have 13 digits. A secret-named one keeps nothing.
    if (isSecretName(name)) return "[redacted]";
    const digits = String(value);
    return /^-?\d{13,19}$/.test(digits) ? maskText(digits) : value;
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

/** A text stream whose every write passes through maskText (for commands that print lines of their own). */
export function maskedStream(stream: { isTTY?: boolean; write(text: string): unknown }): { isTTY: boolean; write(text: string): void } {
  return { isTTY: stream.isTTY === true, write: (text: string) => void stream.write(maskText(text)) };
}
