import { benchLedger, type LedgerBenchResult } from "../bench/ledger-bench.ts";
import { BENCH_ACQUIRERS_DEFAULT, BENCH_ACQUIRERS_MAX } from "../bench/purchases.ts";
import { isPostgresUrl } from "../ledger/open-options.ts";
import { UsageError, parseFlags } from "./cli.ts";

/** `sekisho bench ledger`: authorizations per second through the ledger alone (src/bench/ledger-bench.ts). */
export const benchLedgerUsage = `sekisho bench ledger [--db postgres://…] [--instances N] [--concurrency C] [--cards N] [--batch B]
                     [--acquirers A] [--duration S] [--synchronous full|normal] [--json]

Times authorizations through a ledger alone: batches of B purchase authorizations (0100) over N cards
from A acquirers, each batch one committed transaction. Keys as live traffic makes them: the acquirers
send at once, each with its own STAN sequence, DE 7 = now (--acquirers 1: the single-link case).
Defaults: 10000 cards, batch 256, ${BENCH_ACQUIRERS_DEFAULT} acquirers, 5 s.

Without --db: the embedded SQLite ledger on a fresh temporary file, one batch at a time, synchronous=full
unless --synchronous normal; also reports the disk bytes written per authorization and the key merges.

--db postgres://USER@HOST:PORT/DB: the shared PostgreSQL ledger, on a throwaway database created on that
server (the user needs CREATEDB) and dropped afterwards. One instance first; with --instances N, then N
instances sharing the database (each its own ledger and pool, in this process). Each instance keeps
--concurrency batches in flight (default 4, as the engine's authTasks); the rate is authorizations per
second of wall time, all instances together, with each instance's share; each instance has its own
A acquirers.`;

function positive(value: string | undefined, fallback: number, name: string, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!(n > 0 && n <= max)) throw new UsageError(`--${name} must be a number from 0 to ${max}`);
  return n;
}

function count(value: string | undefined, fallback: number, name: string, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!(Number.isInteger(n) && n >= 1 && n <= max)) throw new UsageError(`--${name} must be a whole number from 1 to ${max}`);
  return n;
}

export async function runBenchLedger(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    db: { type: "string" },
    instances: { type: "string" },
    concurrency: { type: "string" },
    cards: { type: "string" },
    batch: { type: "string" },
    acquirers: { type: "string" },
    duration: { type: "string" },
    synchronous: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    console.log(benchLedgerUsage);
    return 0;
  }
  const synchronous = values.synchronous ?? "full";
  if (synchronous !== "full" && synchronous !== "normal") throw new UsageError("--synchronous must be full or normal");
  if (values.db !== undefined && !isPostgresUrl(values.db)) throw new UsageError("--db must be a postgres:// URL (without it: a temporary SQLite file)");
  const instances = Math.trunc(positive(values.instances, 1, "instances", 8));
  if (instances > 1 && values.db === undefined) throw new UsageError("--instances above 1 needs a shared database: --db postgres://…");
  const result = await benchLedger({
    cards: Math.trunc(positive(values.cards, 10_000, "cards", 1_000_000)),
    batch: Math.trunc(positive(values.batch, 256, "batch", 4096)),
    acquirers: count(values.acquirers, BENCH_ACQUIRERS_DEFAULT, "acquirers", BENCH_ACQUIRERS_MAX),
    durationS: positive(values.duration, 5, "duration", 3600),
    synchronous,
    instances,
    loops: Math.trunc(positive(values.concurrency, 4, "concurrency", 64)),
    ...(values.db !== undefined ? { db: values.db } : {}),
  });
  if (values.json) console.log(JSON.stringify(result));
  else printReport(result);
  return result.ledger_consistent ? 0 : 1;
}

function printReport(result: LedgerBenchResult): void {
  if (result.ledger === "sqlite") {
    console.log(`authorizations/s  ${result.authorizations_per_second} in the ledger (${result.wall_authorizations_per_second} counting request building)`);
  } else {
    for (const phase of result.by_instances ?? []) {
      const shares = phase.per_instance_authorizations_per_second.join(" + ");
      console.log(`authorizations/s  ${phase.authorizations_per_second} with ${phase.instances} instance(s) (${shares}); batch p50 ${phase.batch_ms.p50} ms, p99 ${phase.batch_ms.p99} ms`);
    }
  }
  const inFlight = result.concurrency === undefined ? "" : `, ${result.concurrency} in flight per instance`;
  const acquirers = `${result.acquirers} acquirer${result.acquirers === 1 ? "" : "s"}${result.concurrency === undefined ? "" : " per instance"}`;
  console.log(`batch             ${result.batch_size} (${result.ledger}, ${result.synchronous}${inFlight}), ${result.batches} batches over ${result.cards} cards from ${acquirers}`);
  console.log(`batch latency ms  p50 ${result.batch_ms.p50}, p99 ${result.batch_ms.p99}, max ${result.batch_ms.max}`);
  if (result.ledger === "sqlite") {
    const disk = result.disk_bytes_per_authorization;
    console.log(`disk written      ${disk === null ? "not reported by this system" : `${disk} bytes per authorization`}`);
    const merges = result.key_merges;
    if (merges !== null) console.log(`key merges        ${merges.count} of ${merges.keys_mean} keys on average, ${merges.ms_mean} ms on average, ${merges.ms_max} ms at most`);
  }
  console.log(`approved          ${result.approved} of ${result.authorizations}; ledger consistent: ${result.ledger_consistent}`);
}
