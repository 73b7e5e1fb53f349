import { afterEach, expect } from "bun:test";
import type { Ledger } from "../../src/ledger/ledger.ts";
import { openPostgresLedger, type PostgresLedgerOptions } from "../../src/ledger/postgres/postgres-ledger.ts";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";
import type { TcpProxy } from "../support/tcp-proxy.ts";
import { TEST_PAN_KEY_HEX } from "./harness.ts";

/**
 * Ledger instances for the PostgreSQL-specific tests: each its own ledger with its own pool, as separate
 * processes would have, on throwaway databases; everything opened is closed and dropped after each test.
 */
export interface Instances {
  database(): Promise<TestDatabase>;
  instance(url: string, extra?: Partial<PostgresLedgerOptions>): Promise<Ledger>;
  twoInstances(): Promise<[Ledger, Ledger, TestDatabase]>;
  /** Runs after the test, in reverse order of registration. */
  later(cleanup: () => unknown): void;
}

export function usePostgresInstances(): Instances {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const instances: Instances = {
    later: (cleanup) => void cleanups.push(cleanup),
    async database() {
      const db = await createTestDatabase();
      cleanups.push(() => db.drop());
      return db;
    },
    async instance(url, extra = {}) {
      const ledger = await openPostgresLedger({
        url,
        poolMax: 6,
        connectTimeoutMs: 2000,
        statementTimeoutMs: 5000,
        holdTimeoutSeconds: 3600,
        currency: 392,
        panKeyHex: TEST_PAN_KEY_HEX,
        ...extra,
      });
      cleanups.push(() => ledger.close());
      return ledger;
    },
    async twoInstances() {
      const db = await instances.database();
      const [a, b] = await Promise.all([instances.instance(db.url), instances.instance(db.url)]);
      return [a, b, db];
    },
  };
  return instances;
}

export function expectConsistent(report: { consistent: boolean }): void {
  expect(report).toMatchObject({ consistent: true, journalSum: 0 });
}

export async function openPostgresLedgerError(
  instances: Instances,
  url: string,
  extra: Partial<PostgresLedgerOptions> = {},
): Promise<{ code: string; message: string }> {
  try {
    const ledger = await instances.instance(url, extra);
    await ledger.close();
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error("the ledger opened");
}

export function targetOf(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || 5432) };
}

export function viaProxy(url: string, proxy: TcpProxy): string {
  const parsed = new URL(url);
  parsed.hostname = "127.0.0.1";
  parsed.port = String(proxy.port);
  return parsed.toString();
}
