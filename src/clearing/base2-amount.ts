/**
 * BASE II amounts carry two implied decimal places whatever the currency's exponent: ¥1,000 (JPY, exponent 0)
 * is `000000100000`, US$10.00 is `000000001000`. Minor units are what the rest of Sekisho counts in.
 */

/** The BASE II value in minor units of a currency with `exponent`, or null when the currency cannot hold it. */
export function base2ToMinor(value: number, exponent: number): number | null {
  if (exponent >= 2) return value * 10 ** (exponent - 2);
  const scale = 10 ** (2 - exponent);
  return value % scale === 0 ? value / scale : null;
}

/** Minor units of a currency with `exponent` as a BASE II value (two implied decimals). */
export function minorToBase2(minor: number, exponent: number): number {
  if (exponent <= 2) return minor * 10 ** (2 - exponent);
  const scale = 10 ** (exponent - 2);
  if (minor % scale !== 0) throw new RangeError("an amount below a hundredth of the major unit has no BASE II form");
  return minor / scale;
}
