import { SQL } from "bun";

/**
 * PostgreSQL for the tests: the server named by SEKISHO_TEST_POSTGRES_URL (.ci/run sets it to a
 * throwaway database of its own), else the local default. Tests never share a database: each suite or
 * test creates its own from that connection and drops it afterwards. A server that cannot be reached
 * fails the tests with a line saying so — they are never skipped.
 */
export const TEST_POSTGRES_URL = process.env.SEKISHO_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  /** Closes every session on it (other instances' pools too) and drops it. */
  drop(): Promise<void>;
}

function admin(): SQL {
  return new SQL(TEST_POSTGRES_URL, { max: 1, connectionTimeout: 5 });
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** A fresh, empty database on the test server. */
export async function createTestDatabase(prefix = "sekisho_test"): Promise<TestDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const sql = admin();
  try {
    await sql.unsafe(`CREATE DATABASE ${name}`);
  } catch (error) {
    throw new Error(
      `PostgreSQL for the tests is not usable at ${TEST_POSTGRES_URL.replace(/:[^:@/]*@/, ":***@")} ` +
        `(${(error as Error).message}): start it (.ci/run does) or set SEKISHO_TEST_POSTGRES_URL`,
      { cause: error },
    );
  } finally {
    await sql.close();
  }
  return {
    name,
    url: withDatabase(TEST_POSTGRES_URL, name),
    async drop() {
      const sql = admin();
      try {
        await sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await sql.close();
      }
    },
  };
}

/** Ends every session on `database` but the caller's: a connection cut, as a restarted server would. */
export async function cutConnections(database: string): Promise<number> {
  const sql = admin();
  try {
    const [row] = await sql`SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE datname = ${database} AND pid <> pg_backend_pid()`;
    return Number(row.n);
  } finally {
    await sql.close();
  }
}
