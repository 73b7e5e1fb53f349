import { FieldReader } from "./base2-fields.ts";
import { TCR0, TRAILER, type Base2Field } from "./base2-layout.ts";
import { ClearingFileError } from "./errors.ts";

/**
 * What a batch (TC 91) or the file (TC 92) trailer counts, as SmartVista's writer counts it: every TCR and
 * every transaction up to and including the trailer itself; monetary transactions are the financial ones
 * (TC 05/06/07/25/26/27); the amounts are the plain sums of the BASE II source and destination amount fields
 * (two implied decimals, whatever the currency, reversals and credits added like the rest).
 */
export interface Tally {
  tcrs: number;
  transactions: number;
  monetary: number;
  sourceAmount: bigint;
  destinationAmount: bigint;
}

export function emptyTally(): Tally {
  return { tcrs: 0, transactions: 0, monetary: 0, sourceAmount: 0n, destinationAmount: 0n };
}

export function addTally(into: Tally, from: Tally): void {
  into.tcrs += from.tcrs;
  into.transactions += from.transactions;
  into.monetary += from.monetary;
  into.sourceAmount += from.sourceAmount;
  into.destinationAmount += from.destinationAmount;
}

/** A financial TCR 0 counted into `tally`; an amount that is not digits adds nothing (its record is rejected). */
export function countFinancial(tally: Tally, record: string): void {
  tally.tcrs += 1;
  tally.transactions += 1;
  tally.monetary += 1;
  const source = record.slice(TCR0.sourceAmount.start - 1, TCR0.sourceAmount.start - 1 + TCR0.sourceAmount.length);
  const destination = record.slice(TCR0.destinationAmount.start - 1, TCR0.destinationAmount.start - 1 + TCR0.destinationAmount.length);
  if (/^\d+$/.test(source)) tally.sourceAmount += BigInt(source);
  if (/^\d+$/.test(destination)) tally.destinationAmount += BigInt(destination);
}

/** The trailer's counts and totals, or trailer_invalid naming the first field that is not digits. */
export function readTrailer(record: string, recordNumber: number): (Tally & { batchNumberOrCount: number }) | ClearingFileError {
  const reader = new FieldReader(record, recordNumber);
  const numbers: Base2Field[] = [
    TRAILER.destinationAmount,
    TRAILER.monetaryTransactions,
    TRAILER.batchNumberOrCount,
    TRAILER.tcrs,
    TRAILER.transactions,
    TRAILER.sourceAmount,
  ];
  for (const spec of numbers) {
    if (reader.digits(spec) instanceof ClearingFileError) return reader.error("trailer_invalid", spec, `${spec.length} digits expected`);
  }
  return {
    tcrs: Number(reader.text(TRAILER.tcrs)),
    transactions: Number(reader.text(TRAILER.transactions)),
    monetary: Number(reader.text(TRAILER.monetaryTransactions)),
    sourceAmount: BigInt(reader.text(TRAILER.sourceAmount)),
    destinationAmount: BigInt(reader.text(TRAILER.destinationAmount)),
    batchNumberOrCount: Number(reader.text(TRAILER.batchNumberOrCount)),
  };
}

/** Every difference between what a trailer says and what the records before it add up to. */
export function compareTally(stated: Tally, counted: Tally, recordNumber: number): ClearingFileError[] {
  const checks: [Base2Field, bigint | number, bigint | number, ClearingFileError["code"]][] = [
    [TRAILER.tcrs, stated.tcrs, counted.tcrs, "count_mismatch"],
    [TRAILER.transactions, stated.transactions, counted.transactions, "count_mismatch"],
    [TRAILER.monetaryTransactions, stated.monetary, counted.monetary, "count_mismatch"],
    [TRAILER.sourceAmount, stated.sourceAmount, counted.sourceAmount, "amount_total_mismatch"],
    [TRAILER.destinationAmount, stated.destinationAmount, counted.destinationAmount, "amount_total_mismatch"],
  ];
  return checks
    .filter(([, said, found]) => said !== found)
    .map(
      ([spec, said, found, code]) =>
        new ClearingFileError(code, { recordNumber, position: spec.start, field: spec.name }, `the trailer says ${said}, the records add up to ${found}`),
    );
}
