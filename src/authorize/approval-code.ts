/**
 * Approval codes (DE 38): six characters from [0-9A-Z]. The randomness is injected — crypto-random in
 * production, seeded in tests — and drawn in blocks so that a batch costs one call to the source.
 */
export type RandomBytes = (buffer: Uint8Array) => void;
export type ApprovalCodeSource = () => string;

export const APPROVAL_CODE_LENGTH = 6;
const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALPHABET_CODES = Array.from(ALPHABET, (character) => character.charCodeAt(0));
/** 252 = 7 × 36: bytes at or above it are dropped so that every character is equally likely. */
const UNBIASED_LIMIT = 252;
const POOL_BYTES = 1024;

export function approvalCodeSource(fill: RandomBytes): ApprovalCodeSource {
  const pool = new Uint8Array(POOL_BYTES);
  let at = POOL_BYTES;
  const codes = new Array<number>(APPROVAL_CODE_LENGTH);
  return () => {
    let length = 0;
    while (length < APPROVAL_CODE_LENGTH) {
      if (at === POOL_BYTES) {
        fill(pool);
        at = 0;
      }
      const byte = pool[at++]!;
      if (byte < UNBIASED_LIMIT) codes[length++] = ALPHABET_CODES[byte % ALPHABET_CODES.length]!;
    }
    return String.fromCharCode(codes[0]!, codes[1]!, codes[2]!, codes[3]!, codes[4]!, codes[5]!);
  };
}

export function isApprovalCode(value: string): boolean {
  return /^[0-9A-Z]{6}$/.test(value);
}
