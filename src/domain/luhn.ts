/**
 * The Luhn check digit (ISO/IEC 7812) that ends every PAN: the API computes it for the cards it issues, the
 * simulator for the cards it plans.
 */

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
