/**
 * Card numbers the API issues: the configured BIN, random digits, and a Luhn check digit, 16 digits in all.
 * The randomness comes from the platform's CSPRNG: a PAN must not be guessable from its neighbours.
 */
export const PAN_DIGITS = 16;

/** The Luhn check digit for `payload` (every digit but the last of a PAN). */
export function luhnCheckDigit(payload: string): number {
  let sum = 0;
  // Doubling starts at the rightmost payload digit, the one next to the check digit.
  for (let i = payload.length - 1, double = true; i >= 0; i--, double = !double) {
    let digit = payload.charCodeAt(i) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return (10 - (sum % 10)) % 10;
}

export function isLuhnValid(pan: string): boolean {
  if (!/^\d{2,19}$/.test(pan)) return false;
  return luhnCheckDigit(pan.slice(0, -1)) === pan.charCodeAt(pan.length - 1) - 48;
}

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
