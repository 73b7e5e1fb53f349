import { originatingBase1Header, type Base1Header } from "../iso8583/base1-header.ts";

/** Field values every part of the network side formats the same way. */
export const CURRENCY_JPY = "392";
/** The BASE I header of what the network sends: to the issuer's station from the network's. */
export const NETWORK_HEADER: Readonly<Base1Header> = originatingBase1Header({ destination: "000001", source: "000002" });
const DE95_TAIL = "0".repeat(30);
const DE90_FORWARDING = "0".repeat(11);
const ZEROS = ["", "0", "00", "000", "0000", "00000", "000000"];

/** DE 11 as six digits. */
export function stanString(stan: number): string {
  const digits = String(stan);
  return digits.length >= 6 ? digits : ZEROS[6 - digits.length]! + digits;
}

/** DE 95 of a partial reversal: the amount that stays authorized, then 30 zeros (settlement, fees). */
export function replacementAmounts(replacement: number): string {
  return String(replacement).padStart(12, "0") + DE95_TAIL;
}

/** DE 90: original MTI (4) + STAN (6) + DE 7 (10) + acquirer (11, zero-padded) + forwarding institution (11). */
export function originalDataElements(mti: number, stan: number, de7: string, acquirer: string): string {
  return String(mti).padStart(4, "0") + stanString(stan) + de7 + acquirer.padStart(11, "0") + DE90_FORWARDING;
}
