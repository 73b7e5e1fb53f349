import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Ledger } from "../ledger/ledger.ts";
import { openPostgresLedger } from "../ledger/postgres/postgres-ledger.ts";
import { openSqliteLedger, type SqliteLedgerOptions } from "../ledger/sqlite/sqlite-ledger.ts";
import { BENCH_PAN_KEY_HEX, PurchaseSource, seedCards } from "./purchases.ts";
import { timeBatches, type Timing } from "./timing.ts";
import { createThrowawayDatabase } from "./throwaway-database.ts";

/**
 * Authorizations per second through a ledger alone — no sockets, no codec: a fresh ledger gets its cards,
 * then batches of 0100 purchases are decided and committed back to back for `durationS` seconds, after a
 * warm-up.
 *
 * SQLite: a temporary file, one loop (the embedded ledger has one writer); authorizations_per_second counts
 * the time inside authorizeBatch, wall_authorizations_per_second also the harness's request building.
 *
 * PostgreSQL: a throwaway database on the server `db` names, dropped afterwards. First one instance, then
 * `instances` instances sharing the database — each its own ledger with its own pool, as separate
 * processes would have (here they share this process) — each with `loops` batches in flight, as the
 * engine's authorization tasks are; the rate is all instances' authorizations per second of wall time.
 */
export interface LedgerBenchInput {
  readonly cards: number;
  readonly batch: number;
  readonly durationS: number;
  /** SQLite only. */
  readonly synchronous: "full" | "normal";
  /** A postgres:// URL: bench the shared ledger on a throwaway database of that server. */
  readonly db?: string;
  /** PostgreSQL: the largest number of instances to measure (1, then this many). */
  readonly instances: number;
  /** PostgreSQL: batches in flight per instance. */
  readonly loops: number;
}

export interface InstancesResult {
  instances: number;
  authorizations_per_second: number;
  per_instance_authorizations_per_second: number[];
  batches: number;
  authorizations: number;
  approved: number;
  duration_s: number;
  batch_ms: { p50: number; p99: number; max: number };
}

export interface LedgerBenchResult {
  ledger: "sqlite" | "postgres";
  authorizations_per_second: number;
  wall_authorizations_per_second: number;
  batch_size: number;
  /** SQLite's synchronous mode, or PostgreSQL's synchronous_commit. */
  synchronous: string;
  batches: number;
  authorizations: number;
  approved: number;
  cards: number;
  duration_s: number;
  batch_ms: { p50: number; p99: number; max: number };
  ledger_consistent: boolean;
  /** PostgreSQL: batches in flight per instance, and the rate with 1 … `instances` instances. */
  concurrency?: number;
  by_instances?: InstancesResult[];
}

const WARMUP_BATCHES = 40;
const SEED_CONCURRENCY = 16;

export function benchLedger(input: LedgerBenchInput): Promise<LedgerBenchResult> {
  return input.db === undefined ? benchSqlite(input) : benchPostgres(input, input.db);
}

async function benchSqlite(input: LedgerBenchInput): Promise<LedgerBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), "sekisho-bench-ledger-"));
  const options: SqliteLedgerOptions = {
    path: join(dir, "ledger.db"),
    synchronous: input.synchronous,
    busyTimeoutMs: 5000,
    holdTimeoutSeconds: 7 * 86_400,
    currency: 392,
    panKeyHex: BENCH_PAN_KEY_HEX,
  };
  try {
    // Seeding is not what is measured: it commits without waiting for the disk.
    const seeder = await openSqliteLedger({ ...options, synchronous: "normal" });
    await seedCards(seeder, input.cards);
    await seeder.close();
    Bun.gc(true); // the seeding's garbage is not the ledger's to collect during the run
    const ledger = await openSqliteLedger(options);
    const timing = await timeBatches([{ ledger, source: new PurchaseSource(input.cards) }], { ...input, loops: 1, warmupBatches: WARMUP_BATCHES });
    const consistent = (await ledger.checkConsistency()).consistent;
    await ledger.close();
    return { ledger: "sqlite", ...common(input, timing, consistent), authorizations_per_second: timing.inLedgerPerSecond, synchronous: input.synchronous };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchPostgres(input: LedgerBenchInput, url: string): Promise<LedgerBenchResult> {
  const database = await createThrowawayDatabase(url, "sekisho_bench");
  const open = (poolMax: number) =>
    openPostgresLedger({
      url: database.url,
      poolMax,
      connectTimeoutMs: 5000,
      statementTimeoutMs: 30_000,
      holdTimeoutSeconds: 7 * 86_400,
      currency: 392,
      panKeyHex: BENCH_PAN_KEY_HEX,
    });
  try {
    const seeder = await open(SEED_CONCURRENCY + 2);
    await seedCards(seeder, input.cards, SEED_CONCURRENCY);
    const [setting] = await seeder.pool<Array<{ synchronous_commit: string }>>`SHOW synchronous_commit`;
    await seeder.close();
    Bun.gc(true);
    const counts = input.instances > 1 ? [1, input.instances] : [1];
    const phases: Array<{ instances: number; timing: Timing }> = [];
    for (const [phase, count] of counts.entries()) {
      const ledgers: Ledger[] = await Promise.all(Array.from({ length: count }, () => open(input.loops + 2)));
      try {
        const sources = ledgers.map((ledger, i) => ({ ledger, source: new PurchaseSource(input.cards, String(20_000_000 + phase * 100 + i)) }));
        phases.push({ instances: count, timing: await timeBatches(sources, { ...input, warmupBatches: WARMUP_BATCHES }) });
      } finally {
        await Promise.all(ledgers.map((ledger) => ledger.close()));
      }
    }
    const checker = await open(2);
    const consistent = (await checker.checkConsistency()).consistent;
    await checker.close();
    const first = phases[0]!.timing;
    return {
      ledger: "postgres",
      ...common(input, first, consistent),
      synchronous: `synchronous_commit=${setting?.synchronous_commit ?? "unknown"}`,
      concurrency: input.loops,
      by_instances: phases.map(({ instances, timing }) => ({
        instances,
        authorizations_per_second: timing.wallPerSecond,
        per_instance_authorizations_per_second: timing.perLedger.map((n) => Math.round(n / timing.elapsedS)),
        batches: timing.batches,
        authorizations: timing.authorizations,
        approved: timing.approved,
        duration_s: timing.elapsedS,
        batch_ms: timing.batchMs,
      })),
    };
  } finally {
    await database.drop();
  }
}

function common(input: LedgerBenchInput, timing: Timing, consistent: boolean) {
  return {
    authorizations_per_second: timing.wallPerSecond,
    wall_authorizations_per_second: timing.wallPerSecond,
    batch_size: input.batch,
    batches: timing.batches,
    authorizations: timing.authorizations,
    approved: timing.approved,
    cards: input.cards,
    duration_s: timing.elapsedS,
    batch_ms: timing.batchMs,
    ledger_consistent: consistent,
  };
}
