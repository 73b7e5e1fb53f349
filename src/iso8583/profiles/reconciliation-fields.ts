import type { FieldSpec } from "../spec.ts";

/**
 * Fields 66–90 are numerics of the same lengths in every ISO 8583:1987 table (settlement code, message
 * numbers, the reconciliation counts and amounts, original data elements); only how a profile stores digits
 * differs, so each profile passes its own numeric field factory.
 */
export function reconciliationFields(n: (name: string, max: number) => FieldSpec): Array<readonly [number, FieldSpec]> {
  const fields: Array<readonly [number, FieldSpec]> = [
    [66, n("Settlement code", 1)],
    [67, n("Extended payment code", 2)],
    [68, n("Receiving institution country code", 3)],
    [69, n("Settlement institution country code", 3)],
    [70, n("Network management information code", 3)],
    [71, n("Message number", 4)],
    [72, n("Message number, last", 4)],
    [73, n("Date, action", 6)],
  ];
  const counts = ["Credits, number", "Credits, reversal number", "Debits, number", "Debits, reversal number"];
  counts.push("Transfer, number", "Transfer, reversal number", "Inquiries, number", "Authorizations, number");
  counts.forEach((name, i) => fields.push([74 + i, n(name, 10)]));
  const fees = ["Credits, processing fee amount", "Credits, transaction fee amount"];
  fees.push("Debits, processing fee amount", "Debits, transaction fee amount");
  fees.forEach((name, i) => fields.push([82 + i, n(name, 12)]));
  const totals = ["Credits, amount", "Credits, reversal amount", "Debits, amount", "Debits, reversal amount"];
  totals.forEach((name, i) => fields.push([86 + i, n(name, 16)]));
  fields.push([90, n("Original data elements", 42)]);
  return fields;
}
