import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Bearer-token check in constant time. Both sides are hashed first, so the comparison always runs over
 * 32 bytes whatever the presented token's length, and neither the length nor a prefix of the real token
 * leaks through timing.
 */
export const API_TOKEN_CHARS_MIN = 16;

export function bearerChecker(token: string): (authorization: string | null) => boolean {
  if (token.length < API_TOKEN_CHARS_MIN) throw new Error(`the API token must have at least ${API_TOKEN_CHARS_MIN} characters`);
  const expected = sha256(token);
  return (authorization) => {
    const match = authorization === null ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
    // Hash something even when the header is missing, so that both paths take about as long.
    const presented = sha256(match?.[1] ?? "");
    return timingSafeEqual(presented, expected) && match !== null;
  };
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}
