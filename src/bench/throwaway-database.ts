import { SQL } from "bun";
import { AssertionFailure } from "../ops/assert.ts";

/**
 * A database of its own for one run, on the server a PostgreSQL URL names: created with CREATE DATABASE
 * over a connection to that URL's database (the user needs CREATEDB) and dropped afterwards, so that runs
 * never meet and leave nothing behind.
 */
export interface ThrowawayDatabase {
  readonly name: string;
  readonly url: string;
  /** Ends every session on it and drops it. */
  drop(): Promise<void>;
}

function adminOf(url: string): SQL {
  return new SQL(url, { max: 1, connectionTimeout: 5 });
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export async function createThrowawayDatabase(url: string, prefix: string): Promise<ThrowawayDatabase> {
  if (!/^[a-z][a-z0-9_]{0,30}$/.test(prefix)) throw new AssertionFailure(`database prefix ${prefix} is not a plain name`);
  const name = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = adminOf(url);
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.close();
  }
  return {
    name,
    url: withDatabase(url, name),
    async drop() {
      const sql = adminOf(url);
      try {
        await sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await sql.close();
      }
    },
  };
}
