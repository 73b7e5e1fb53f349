import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Ledger } from "../ledger/ledger.ts";
import { openPostgresLedger } from "../ledger/postgres/postgres-ledger.ts";
import { openSqliteLedger, type KeyIndexStats, type SqliteLedger, type SqliteLedgerOptions } from "../ledger/sqlite/sqlite-ledger.ts";
import { BENCH_PAN_KEY_HEX, PurchaseSource, seedCards } from "./purchases.ts";
import { timeBatches, type TimedRunProbe, type Timing } from "./timing.ts";
import { createThrowawayDatabase } from "./throwaway-database.ts";
import { AssertionFailure } from "../ops/assert.ts";

/**
 * Authorizations per second through a ledger alone — no sockets, no codec: a fresh ledger gets its cards,
 * then batches of 0100 purchases are decided and committed back to back for `durationS` seconds, after a
 * warm-up. Keys are built as live traffic makes them (PurchaseSource): `acquirers` acquirers at once per
 * instance, each with its own STAN sequence, DE 7 = now.
 *
 * SQLite: a temporary file, one loop (the embedded ledger has one writer); authorizations_per_second counts
 * the time inside authorizeBatch, wall_authorizations_per_second also the harness's request building.
 * disk_bytes_per_authorization is what the process wrote to storage during the timed run (write_bytes of
 * /proc/self/io: the WAL and its checkpoints), per authorization; null where the kernel does not say.
 * key_merges: the merges of recent keys into transaction_keys during the timed run (each pauses a batch).
 *
 * PostgreSQL: a throwaway database on the server `db` names, dropped afterwards. First one instance, then
 * `instances` instances sharing the database — each its own ledger with its own pool, as separate
 * processes would have (here they share this process) — each with `loops` batches in flight, as the
 * engine's authorization tasks are; the rate is all instances' authorizations per second of wall time.
 * The database server does the writing, so disk_bytes_per_authorization is null, and so is key_merges (the
 * key is a unique index of the transactions table there, nothing to merge).
 */
export interface LedgerBenchInput {
  readonly cards: number;
  readonly batch: number;
  /** Acquirers sending at once, per instance (1: the single-link case). */
  readonly acquirers: number;
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
  acquirers: number;
  /** SQLite's synchronous mode, or PostgreSQL's synchronous_commit. */
  synchronous: string;
  batches: number;
  authorizations: number;
  approved: number;
  cards: number;
  duration_s: number;
  batch_ms: { p50: number; p99: number; max: number };
  /** SQLite: bytes the process wrote to storage during the timed run, per authorization; else null. */
  disk_bytes_per_authorization: number | null;
  /** SQLite: merges of recent keys into transaction_keys during the timed run; PostgreSQL: null. */
  key_merges: KeyMergesResult | null;
  ledger_consistent: boolean;
  /** PostgreSQL: batches in flight per instance, and the rate with 1 … `instances` instances. */
  concurrency?: number;
  by_instances?: InstancesResult[];
}

export interface KeyMergesResult {
  count: number;
  keys_mean: number;
  ms_mean: number;
  ms_max: number;
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
    const probe = new SqliteProbe(ledger);
    const source = new PurchaseSource(input.cards, input.acquirers);
    const timing = await timeBatches([{ ledger, source }], { ...input, loops: 1, warmupBatches: WARMUP_BATCHES, probe });
    const consistent = (await ledger.checkConsistency()).consistent;
    await ledger.close();
    return {
      ledger: "sqlite",
      ...common(input, timing, consistent),
      authorizations_per_second: timing.inLedgerPerSecond,
      synchronous: input.synchronous,
      disk_bytes_per_authorization: probe.diskBytesPerAuthorization(timing.authorizations),
      key_merges: probe.keyMerges(),
    };
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
        // Each instance its own acquirers (phase 0: source 0; phase 1: sources 1 … count): no two share a key.
        const sources = ledgers.map((ledger, i) => ({ ledger, source: new PurchaseSource(input.cards, input.acquirers, phase === 0 ? 0 : 1 + i) }));
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
    acquirers: input.acquirers,
    batches: timing.batches,
    authorizations: timing.authorizations,
    approved: timing.approved,
    cards: input.cards,
    duration_s: timing.elapsedS,
    batch_ms: timing.batchMs,
    disk_bytes_per_authorization: null,
    key_merges: null,
    ledger_consistent: consistent,
  };
}

/** Bytes this process has caused to be written to storage so far; null where /proc does not say. */
function diskBytesWritten(): number | null {
  try {
    const match = /^write_bytes: (\d+)$/m.exec(readFileSync("/proc/self/io", "utf8"));
    return match === null ? null : Number(match[1]);
  } catch {
    return null;
  }
}

/** The SQLite run's disk writes and key merges, from the end of the warm-up to the last batch. */
class SqliteProbe implements TimedRunProbe {
  private diskBefore: number | null = null;
  private diskAfter: number | null = null;
  private mergesBefore: KeyIndexStats | null = null;
  private mergesAfter: KeyIndexStats | null = null;

  constructor(private readonly ledger: SqliteLedger) {}

  start(): void {
    this.diskBefore = diskBytesWritten();
    this.mergesBefore = this.ledger.keyIndexStats();
  }

  stop(): void {
    this.diskAfter = diskBytesWritten();
    this.mergesAfter = this.ledger.keyIndexStats();
  }

  diskBytesPerAuthorization(authorizations: number): number | null {
    if (this.diskBefore === null || this.diskAfter === null || authorizations === 0) return null;
    return Math.round((this.diskAfter - this.diskBefore) / authorizations);
  }

  keyMerges(): KeyMergesResult {
    const before = this.mergesBefore;
    const after = this.mergesAfter;
    if (before === null || after === null) throw new AssertionFailure("the probe ran around the timed run");
    const count = after.merges - before.merges;
    const perMerge = (total: number) => (count === 0 ? 0 : Math.round((total / count) * 1000) / 1000);
    return {
      count,
      keys_mean: Math.round(perMerge(after.mergedKeys - before.mergedKeys)),
      ms_mean: perMerge(after.mergeMsTotal - before.mergeMsTotal),
      ms_max: Math.round(after.mergeMsMax * 1000) / 1000,
    };
  }
}
