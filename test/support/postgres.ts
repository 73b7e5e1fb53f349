import { SQL } from "bun";
import { createThrowawayDatabase, type ThrowawayDatabase } from "../../src/bench/throwaway-database.ts";

/**
 * PostgreSQL for the tests: the server named by SEKISHO_TEST_POSTGRES_URL (.ci/run sets it to a
 * throwaway database of its own), else the local default. Tests never share a database: each suite or
 * test creates its own from that connection and drops it afterwards. A server that cannot be reached
 * fails the tests with a line saying so — they are never skipped.
 */
export const TEST_POSTGRES_URL = process.env.SEKISHO_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export type TestDatabase = ThrowawayDatabase;

/** A fresh, empty database on the test server. */
export async function createTestDatabase(prefix = "sekisho_test"): Promise<TestDatabase> {
  try {
    return await createThrowawayDatabase(TEST_POSTGRES_URL, prefix);
  } catch (error) {
    throw new Error(
      `PostgreSQL for the tests is not usable at ${TEST_POSTGRES_URL.replace(/:[^:@/]*@/, ":***@")} ` +
        `(${(error as Error).message}): start it (.ci/run does) or set SEKISHO_TEST_POSTGRES_URL`,
      { cause: error },
    );
  }
}

function admin(): SQL {
  return new SQL(TEST_POSTGRES_URL, { max: 1, connectionTimeout: 5 });
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
