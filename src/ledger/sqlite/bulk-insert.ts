import type { Database, SQLQueryBindings, Statement } from "bun:sqlite";

/**
 * Rows gathered during a transaction and written with multi-row INSERT statements: one statement per
 * ROWS_PER_STATEMENT rows, and one exact-size statement for the rest. Each statement is prepared the first
 * time its size is needed and kept, so at most ROWS_PER_STATEMENT statements exist per table.
 */
export const ROWS_PER_STATEMENT = 64;

export class BulkInsert {
  private readonly statements = new Map<number, Statement>();
  private values: SQLQueryBindings[] = [];
  private rows = 0;
  readonly columnCount: number;

  constructor(
    private readonly db: Database,
    private readonly table: string,
    private readonly columns: readonly string[],
  ) {
    this.columnCount = columns.length;
    if (this.columnCount * ROWS_PER_STATEMENT > 32_766) throw new Error(`assertion: ${table} has too many columns for a bulk insert`);
  }

  /** One row's values, in the order of `columns`. */
  push(...row: SQLQueryBindings[]): void {
    if (row.length !== this.columnCount) throw new Error(`assertion: ${this.table} row has ${row.length} values, expected ${this.columnCount}`);
    for (let i = 0; i < row.length; i++) this.values.push(row[i]!);
    this.rows += 1;
    if (this.rows === ROWS_PER_STATEMENT) this.flush();
  }

  get pending(): number {
    return this.rows;
  }

  flush(): void {
    if (this.rows === 0) return;
    this.statement(this.rows).run(...this.values);
    this.values = [];
    this.rows = 0;
  }

  /** Drops rows not yet written (the transaction they belonged to failed). */
  discard(): void {
    this.values = [];
    this.rows = 0;
  }

  private statement(rows: number): Statement {
    let statement = this.statements.get(rows);
    if (statement === undefined) {
      const one = `(${this.columns.map(() => "?").join(", ")})`;
      const sql = `INSERT INTO ${this.table} (${this.columns.join(", ")}) VALUES ${Array.from({ length: rows }, () => one).join(", ")}`;
      statement = this.db.prepare(sql);
      this.statements.set(rows, statement);
    }
    return statement;
  }
}
