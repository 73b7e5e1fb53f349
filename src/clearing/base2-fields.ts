import { currencyByNumeric, type CurrencyInfo } from "../domain/currency.ts";
import { isLuhnValid } from "../domain/luhn.ts";
import { isPanDigits } from "../domain/pan.ts";
import { base2ToMinor } from "./base2-amount.ts";
import { read, type Base2Field } from "./base2-layout.ts";
import { ClearingFileError } from "./errors.ts";

/**
 * Reading one BASE II field into a value, or the rejection that names the record, the position and the
 * field — never the value.
 */
export class FieldReader {
  constructor(
    readonly record: string,
    readonly recordNumber: number,
  ) {}

  error(code: ClearingFileError["code"], spec: Base2Field, detail?: string): ClearingFileError {
    return new ClearingFileError(code, { recordNumber: this.recordNumber, position: spec.start, field: spec.name }, detail);
  }

  text(spec: Base2Field): string {
    return read(this.record, spec);
  }

  /** The field's digits, or a rejection when it holds anything else. */
  digits(spec: Base2Field): string | ClearingFileError {
    const value = read(this.record, spec);
    return /^\d+$/.test(value) ? value : this.error("field_not_numeric", spec, `${spec.length} digits expected`);
  }

  /** A currency of the table in src/domain/currency.ts, by its numeric code. */
  currency(spec: Base2Field): CurrencyInfo | ClearingFileError {
    const digits = this.digits(spec);
    if (digits instanceof ClearingFileError) return digits;
    return currencyByNumeric(Number(digits)) ?? this.error("currency_unknown", spec, "not a currency Sekisho keeps");
  }

  /** A 12-digit BASE II amount (two implied decimals) in minor units of `currency`. */
  amount(spec: Base2Field, currency: CurrencyInfo): number | ClearingFileError {
    const digits = this.digits(spec);
    if (digits instanceof ClearingFileError) return digits;
    const minor = base2ToMinor(Number(digits), currency.exponent);
    return minor ?? this.error("amount_fraction", spec, `a fraction ${currency.alpha} cannot hold`);
  }
}

/**
 * The PAN in the 19 positions of account number and extension. It is left-justified; trailing spaces are
 * padding; a 16-digit PAN may come with its 3-digit extension zero-filled ("000"), which the Luhn digit of
 * the first 16 tells from a 19-digit PAN ending in 000. Null when it is no PAN.
 */
export function panOf(account: string): string | null {
  const digits = account.replace(/ +$/, "");
  if (!/^\d+$/.test(digits)) return null;
  if (digits.length === 19 && digits.endsWith("000") && isLuhnValid(digits.slice(0, 16))) return digits.slice(0, 16);
  return isPanDigits(digits) ? digits : null;
}

/** A 19-digit PAN ending in 000 whose first 16 digits pass Luhn would read back as 16 digits. */
export function isAmbiguousPan(pan: string): boolean {
  return pan.length === 19 && pan.endsWith("000") && isLuhnValid(pan.slice(0, 16));
}
