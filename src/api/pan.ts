import { luhnCheckDigit } from "../domain/luhn.ts";

/**
 * Card numbers the API issues: the configured BIN, random digits, and a Luhn check digit, 16 digits in all.
 * The randomness comes from the platform's CSPRNG: a PAN must not be guessable from its neighbours.
 */
export const PAN_DIGITS = 16;

/** One uniformly random decimal digit (rejection sampling keeps the distribution flat). */
export function cryptoDigit(): number {
  const byte = new Uint8Array(1);
  for (;;) {
    crypto.getRandomValues(byte);
    if (byte[0]! < 250) return byte[0]! % 10;
  }
}

export function generatePan(bin: string, digit: () => number = cryptoDigit): string {
  if (!/^\d{6,8}$/.test(bin)) throw new Error("a BIN has 6 to 8 digits");
  let payload = bin;
  while (payload.length < PAN_DIGITS - 1) payload += String(digit());
  return payload + String(luhnCheckDigit(payload));
}
