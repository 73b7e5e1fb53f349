import { TRANSACTION_COLUMNS, type TransactionRow } from "../decision/records.ts";
import { TRANSACTION_COLUMN_TYPES } from "./schema.ts";
import { AssertionFailure } from "../../ops/assert.ts";

/**
 * Rows as Bun's SQL client returns them, made into the ledger's numbers. PostgreSQL's bigint (int8) comes
 * back as a string (a double cannot hold every int8); every bigint the ledger stores is a sequence, a
 * time in ms or an amount bounded by MINOR_AMOUNT_MAX, all far inside 2^53, so Number() is exact — and
 * asserted.
 */
export function int(value: unknown): number {
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isSafeInteger(n)) throw new AssertionFailure(`${typeof value} ${String(value).slice(0, 24)} is not a safe integer`);
  return n;
}

export function intOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : int(value);
}

const COLUMNS = TRANSACTION_COLUMNS.map(([column, field]) => ({ column, field, big: TRANSACTION_COLUMN_TYPES[column] === "bigint" }));

/** A transactions row (all columns) as the shared TransactionRow. */
export function transactionRowOf(source: Record<string, unknown>): TransactionRow {
  const row: Record<string, unknown> = {};
  for (const { column, field, big } of COLUMNS) {
    const value = source[column];
    row[field] = value === null || value === undefined ? null : big ? int(value) : value;
  }
  return row as unknown as TransactionRow;
}

/** The transactions columns, for SELECTs that read whole rows. */
export const TRANSACTION_SELECT = TRANSACTION_COLUMNS.map(([column]) => column).join(", ");
