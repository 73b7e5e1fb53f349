/** A primary account number (PAN) has 12 to 19 digits (ISO/IEC 7812). */
export const PAN_DIGITS_MIN = 12;
export const PAN_DIGITS_MAX = 19;

/** A whole value that is a PAN's digits and nothing else. */
export const PAN_PATTERN = new RegExp(`^\\d{${PAN_DIGITS_MIN},${PAN_DIGITS_MAX}}$`);

/** "12 to 19 digits", for messages that say what a PAN must be. */
export const PAN_DIGITS_TEXT = `${PAN_DIGITS_MIN} to ${PAN_DIGITS_MAX} digits`;

export function isPanDigits(value: string): boolean {
  return PAN_PATTERN.test(value);
}
