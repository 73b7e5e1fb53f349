import type { SQL } from "bun";
import type { Directory } from "./directory.ts";
import { int } from "./rows.ts";
import type { Row } from "./state-rows.ts";
import { AssertionFailure } from "../../ops/assert.ts";

/**
 * The program's funding and settlement accounts per currency. They are created once per currency (by the
 * first user in it, on any instance) and never change, so an instance remembers them; a currency it has
 * not seen yet sends it back to the table once.
 */
export async function rememberSystemAccounts(sql: SQL, directory: Directory): Promise<void> {
  const rows = await sql`SELECT seq, id, kind, currency FROM accounts WHERE user_seq IS NULL`;
  for (const row of rows as Array<{ seq: unknown; id: string; kind: string; currency: unknown }>) directory.rememberSystemAccount(row);
}

/** Makes sure the directory knows the system accounts of every currency of `accounts` (locked rows). */
export async function ensureSystemAccounts(sql: SQL, directory: Directory, accounts: readonly Row[]): Promise<void> {
  const known = (row: Row) => {
    const currency = int(row.currency);
    return directory.systemAccount("funding", currency) !== undefined && directory.systemAccount("settlement", currency) !== undefined;
  };
  if (accounts.every(known)) return;
  await rememberSystemAccounts(sql, directory);
  const unknown = accounts.find((row) => !known(row));
  if (unknown !== undefined) throw new AssertionFailure(`no system accounts for currency ${String(unknown.currency)}`);
}
