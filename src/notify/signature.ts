import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Webhook signatures: `Sekisho-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
 * The timestamp is inside the MAC, so a receiver that checks it against its own clock refuses replays of old
 * deliveries. Receivers may use verifySignature (the tests' receiver does).
 */
export const SIGNATURE_HEADER = "Sekisho-Signature";
export const SIGNATURE_TOLERANCE_SECONDS_DEFAULT = 300;

export function signatureHex(secret: string, timestampSeconds: number, body: string): string {
  return createHmac("sha256", secret).update(`${timestampSeconds}.${body}`, "utf8").digest("hex");
}

export function signatureHeader(secret: string, timestampSeconds: number, body: string): string {
  return `t=${timestampSeconds},v1=${signatureHex(secret, timestampSeconds, body)}`;
}

export type SignatureProblem = "missing" | "malformed" | "stale" | "mismatch";

/** Null when `header` signs `body` with `secret` within the tolerance, else what is wrong. */
export function verifySignature(
  secret: string,
  header: string | null,
  body: string,
  options: { nowSeconds: number; toleranceSeconds?: number },
): SignatureProblem | null {
  if (header === null || header === "") return "missing";
  let timestamp: number | null = null;
  const candidates: string[] = [];
  for (const part of header.split(",")) {
    const [name, value] = part.trim().split("=", 2);
    if (name === "t" && value !== undefined && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (name === "v1" && value !== undefined && /^[0-9a-f]{64}$/.test(value)) candidates.push(value);
  }
  if (timestamp === null || candidates.length === 0) return "malformed";
  const tolerance = options.toleranceSeconds ?? SIGNATURE_TOLERANCE_SECONDS_DEFAULT;
  if (Math.abs(options.nowSeconds - timestamp) > tolerance) return "stale";
  const expected = Buffer.from(signatureHex(secret, timestamp, body), "hex");
  // Every candidate is compared (no early exit), each in constant time.
  let matched = false;
  for (const candidate of candidates) matched = timingSafeEqual(Buffer.from(candidate, "hex"), expected) || matched;
  return matched ? null : "mismatch";
}
