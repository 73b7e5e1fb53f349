import type { Database, SQLQueryBindings, Statement } from "bun:sqlite";
import { AssertionFailure } from "../../ops/assert.ts";

/**
 * Rows gathered during a transaction and written with multi-row INSERT statements: one statement per
 * `rowsPerStatement` rows (ROWS_PER_STATEMENT unless told), and one exact-size statement for the rest.
 * Each statement is prepared the first time its size is needed and kept, so at most that many exist per
 * table. Values go into one preallocated array, written in place, so a row costs no allocation of its own.
 */
export const ROWS_PER_STATEMENT = 64;

export class BulkInsert {
  private readonly statements = new Map<number, Statement>();
  private readonly values: SQLQueryBindings[];
  private filled = 0;
  readonly columnCount: number;

  constructor(
    private readonly db: Database,
    private readonly table: string,
    private readonly columns: readonly string[],
    rowsPerStatement = ROWS_PER_STATEMENT,
    /** "INSERT OR IGNORE" where a row may be on disk already and would be identical. */
    private readonly verb: "INSERT" | "INSERT OR IGNORE" = "INSERT",
  ) {
    this.columnCount = columns.length;
    if (this.columnCount * rowsPerStatement > 32_766) throw new AssertionFailure(`${table} has too many columns for a bulk insert`);
    this.values = new Array<SQLQueryBindings>(this.columnCount * rowsPerStatement).fill(null);
  }

  /** One row's values, in the order of `columns`. */
  push(...row: SQLQueryBindings[]): void {
    if (row.length !== this.columnCount) throw new AssertionFailure(`${this.table} row has ${row.length} values, expected ${this.columnCount}`);
    for (let i = 0; i < row.length; i++) this.values[this.filled++] = row[i]!;
    this.rowDone();
  }

  /** One row taken from an object's fields, named by `fields` in column order. */
  pushFields<T>(source: T, fields: ReadonlyArray<keyof T>): void {
    if (fields.length !== this.columnCount) throw new AssertionFailure(`${this.table} row has ${fields.length} fields, expected ${this.columnCount}`);
    for (let i = 0; i < fields.length; i++) this.values[this.filled++] = source[fields[i]!] as SQLQueryBindings;
    this.rowDone();
  }

  get pending(): number {
    return this.filled / this.columnCount;
  }

  flush(): void {
    const rows = this.filled / this.columnCount;
    if (rows === 0) return;
    const values = this.filled === this.values.length ? this.values : this.values.slice(0, this.filled);
    this.statement(rows).run(values as unknown as SQLQueryBindings);
    this.filled = 0;
  }

  /** Drops rows not yet written (the transaction they belonged to failed). */
  discard(): void {
    this.filled = 0;
  }

  private rowDone(): void {
    if (this.filled === this.values.length) this.flush();
  }

  private statement(rows: number): Statement {
    let statement = this.statements.get(rows);
    if (statement === undefined) {
      const one = `(${this.columns.map(() => "?").join(", ")})`;
      const sql = `${this.verb} INTO ${this.table} (${this.columns.join(", ")}) VALUES ${Array.from({ length: rows }, () => one).join(", ")}`;
      statement = this.db.prepare(sql);
      this.statements.set(rows, statement);
    }
    return statement;
  }
}
