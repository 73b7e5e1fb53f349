import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { transactionKey } from "../authorize/transaction-key.ts";
import type { AuthorizationRequest } from "../ledger/ledger.ts";
import { openSqliteLedger, type SqliteLedger, type SqliteLedgerOptions } from "../ledger/sqlite/sqlite-ledger.ts";
import { UsageError, parseFlags } from "./cli.ts";

/**
 * `sekisho bench ledger`: authorizations per second through the ledger alone — no sockets, no codec.
 * A fresh SQLite file in the temp directory gets `cards` cardholders (one card each, funded far beyond
 * what the run spends, limits out of the way), then batches of 0100 purchases spread over the cards are
 * decided and committed back to back for `duration` seconds, after a short warm-up.
 *
 * Keys are built as the engine builds them from live traffic: requests come from `acquirers` acquirers at
 * once (DE 32), each with its own STAN sequence (DE 11, starting at its own offset, wrapping after 999999),
 * and DE 7 is the batch's time (MMDDhhmmss, UTC). One acquirer reproduces the single-link figure.
 *
 * authorizations_per_second counts the time spent inside authorizeBatch (decide, write, commit); building
 * the request objects is the harness's work and is reported apart, as wall_authorizations_per_second.
 * disk_bytes_per_authorization is what the process wrote to storage during the timed run (write_bytes of
 * /proc/self/io: the WAL and its checkpoints), per authorization; null where the kernel does not say.
 */
export const benchLedgerUsage = `sekisho bench ledger [--cards N] [--batch B] [--acquirers A] [--duration S] [--synchronous full|normal] [--json]

Times authorizations through the embedded SQLite ledger alone: batches of B purchase authorizations
(0100) over N cards from A acquirers, each batch one committed transaction. Defaults: 10000 cards,
batch 256, 64 acquirers, 5 s, synchronous=full. The database is a fresh file in the temp directory,
removed afterwards.`;

export interface LedgerBenchResult {
  authorizations_per_second: number;
  wall_authorizations_per_second: number;
  batch_size: number;
  acquirers: number;
  synchronous: "full" | "normal";
  batches: number;
  authorizations: number;
  approved: number;
  cards: number;
  duration_s: number;
  batch_ms: { p50: number; p99: number; max: number };
  disk_bytes_per_authorization: number | null;
  /** Merges of recent keys into transaction_keys during the timed run; each pauses the batches. */
  key_merges: { count: number; keys_mean: number; ms_mean: number; ms_max: number };
  ledger_consistent: boolean;
}

const PAN_KEY_HEX = "5e".repeat(32);
const FUNDS_MINOR = 1_000_000_000;
const WARMUP_BATCHES = 40;
export const BENCH_ACQUIRERS_DEFAULT = 64;
export const BENCH_ACQUIRERS_MAX = 10_000;
const STAN_MAX = 999_999;

function panOf(index: number): string {
  return "4" + String(100_000_000_000_000 + index).slice(-15);
}

async function seedCards(options: SqliteLedgerOptions, cards: number): Promise<void> {
  // Seeding is not what is measured: it commits without waiting for the disk.
  const ledger = await openSqliteLedger({ ...options, synchronous: "normal" });
  const limits = { perTransactionMax: FUNDS_MINOR, perDayAmountMax: FUNDS_MINOR, perDayCountMax: 1_000_000 };
  for (let i = 0; i < cards; i++) {
    const user = await ledger.createUser({});
    await ledger.issueCard(user.id, { pan: panOf(i), expiry: "9912", limits });
    await ledger.topUp(user.id, { amount: FUNDS_MINOR, idempotencyKey: "seed", fingerprint: "seed" });
  }
  await ledger.close();
}

/** DE 7 as an acquirer sends it: MMDDhhmmss, UTC. */
function transmissionDateTimeOf(ms: number): string {
  const t = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  return two(t.getUTCMonth() + 1) + two(t.getUTCDate()) + two(t.getUTCHours()) + two(t.getUTCMinutes()) + two(t.getUTCSeconds());
}

class PurchaseSource {
  private counter = 0;
  private readonly pans: string[];
  private readonly acquirerIds: string[];
  /** The last STAN each acquirer used. */
  private readonly stans: number[];
  constructor(cards: number, acquirers: number) {
    this.pans = Array.from({ length: cards }, (_, i) => panOf(i));
    this.acquirerIds = Array.from({ length: acquirers }, (_, i) => String(40_000_000 + i * 1_117));
    this.stans = Array.from({ length: acquirers }, (_, i) => (i * 104_729) % STAN_MAX);
  }
  batch(size: number, nowMs: number): AuthorizationRequest[] {
    const requests = new Array<AuthorizationRequest>(size);
    const transmissionDateTime = transmissionDateTimeOf(nowMs);
    for (let i = 0; i < size; i++) {
      const n = this.counter++;
      const lane = n % this.acquirerIds.length;
      const acquirer = this.acquirerIds[lane]!;
      const stanNumber = this.stans[lane] === STAN_MAX ? 1 : this.stans[lane]! + 1;
      this.stans[lane] = stanNumber;
      const stan = String(stanNumber).padStart(6, "0");
      requests[i] = {
        mti: 100,
        acquirer,
        stan,
        transmissionDateTime,
        key: transactionKey({ mti: 100, acquirer, stan, transmissionDateTime }),
        pan: this.pans[(n * 7919) % this.pans.length]!,
        processingCode: "000000",
        amount: 100 + (n % 5000),
        currency: 392,
        billingAmount: null,
        billingCurrency: null,
        expiry: "9912",
        retrievalReference: null,
        merchantCategory: "5411",
        terminalId: "TERM0001",
        merchantId: "MERCHANT0000001",
        merchantNameLocation: "SEKISHO MART SHIBUYA     TOKYO        JP",
        originalKey: null,
        replacementAmount: null,
        networkResponseCode: null,
        partialAllowed: false,
        receivedAtMs: nowMs,
      };
    }
    return requests;
  }
}

export interface LedgerBenchInput {
  cards: number;
  batch: number;
  acquirers: number;
  durationS: number;
  synchronous: "full" | "normal";
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

export async function benchLedger(input: LedgerBenchInput): Promise<LedgerBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), "sekisho-bench-ledger-"));
  const options: SqliteLedgerOptions = {
    path: join(dir, "ledger.db"),
    synchronous: input.synchronous,
    busyTimeoutMs: 5000,
    holdTimeoutSeconds: 7 * 86_400,
    currency: 392,
    panKeyHex: PAN_KEY_HEX,
  };
  try {
    await seedCards(options, input.cards);
    Bun.gc(true); // the seeding's garbage is not the ledger's to collect during the run
    const ledger = await openSqliteLedger(options);
    const result = await timeBatches(ledger, input);
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function timeBatches(ledger: SqliteLedger, input: LedgerBenchInput): Promise<LedgerBenchResult> {
  const source = new PurchaseSource(input.cards, input.acquirers);
  for (let i = 0; i < WARMUP_BATCHES; i++) await ledger.authorizeBatch(source.batch(input.batch, Date.now()));
  const batchMs: number[] = [];
  let approved = 0;
  const diskBefore = diskBytesWritten();
  const mergesBefore = ledger.keyIndexStats();
  const startNs = Bun.nanoseconds();
  const endNs = startNs + input.durationS * 1e9;
  while (Bun.nanoseconds() < endNs) {
    const requests = source.batch(input.batch, Date.now());
    const t0 = Bun.nanoseconds();
    const decisions = await ledger.authorizeBatch(requests);
    batchMs.push((Bun.nanoseconds() - t0) / 1e6);
    for (const decision of decisions) if (decision.responseCode === "00") approved += 1;
  }
  const elapsedS = (Bun.nanoseconds() - startNs) / 1e9;
  const diskAfter = diskBytesWritten();
  const merges = ledger.keyIndexStats();
  const mergeCount = merges.merges - mergesBefore.merges;
  const perMerge = (total: number) => (mergeCount === 0 ? 0 : Math.round((total / mergeCount) * 1000) / 1000);
  const consistent = (await ledger.checkConsistency()).consistent;
  await ledger.close();
  batchMs.sort((a, b) => a - b);
  const at = (q: number) => Math.round(batchMs[Math.min(batchMs.length - 1, Math.floor(q * batchMs.length))]! * 1000) / 1000;
  const authorizations = batchMs.length * input.batch;
  const inLedgerS = batchMs.reduce((sum, ms) => sum + ms, 0) / 1000;
  return {
    authorizations_per_second: Math.round(authorizations / inLedgerS),
    wall_authorizations_per_second: Math.round(authorizations / elapsedS),
    batch_size: input.batch,
    acquirers: input.acquirers,
    synchronous: input.synchronous,
    batches: batchMs.length,
    authorizations,
    approved,
    cards: input.cards,
    duration_s: Math.round(elapsedS * 1000) / 1000,
    batch_ms: { p50: at(0.5), p99: at(0.99), max: at(1) },
    disk_bytes_per_authorization: diskBefore === null || diskAfter === null ? null : Math.round((diskAfter - diskBefore) / authorizations),
    key_merges: {
      count: mergeCount,
      keys_mean: Math.round(perMerge(merges.mergedKeys - mergesBefore.mergedKeys)),
      ms_mean: perMerge(merges.mergeMsTotal - mergesBefore.mergeMsTotal),
      ms_max: Math.round(merges.mergeMsMax * 1000) / 1000,
    },
    ledger_consistent: consistent,
  };
}

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
  const result = await benchLedger({
    cards: Math.trunc(positive(values.cards, 10_000, "cards", 1_000_000)),
    batch: Math.trunc(positive(values.batch, 256, "batch", 4096)),
    acquirers: count(values.acquirers, BENCH_ACQUIRERS_DEFAULT, "acquirers", BENCH_ACQUIRERS_MAX),
    durationS: positive(values.duration, 5, "duration", 3600),
    synchronous,
  });
  if (values.json) {
    console.log(JSON.stringify(result));
  } else {
    console.log(`authorizations/s  ${result.authorizations_per_second} in the ledger (${result.wall_authorizations_per_second} counting request building)`);
    console.log(`batch             ${result.batch_size} (synchronous=${result.synchronous}), ${result.batches} batches over ${result.cards} cards from ${result.acquirers} acquirers`);
    console.log(`batch latency ms  p50 ${result.batch_ms.p50}, p99 ${result.batch_ms.p99}, max ${result.batch_ms.max}`);
    const disk = result.disk_bytes_per_authorization;
    console.log(`disk written      ${disk === null ? "not reported by this system" : `${disk} bytes per authorization`}`);
    const merges = result.key_merges;
    console.log(`key merges        ${merges.count} of ${merges.keys_mean} keys on average, ${merges.ms_mean} ms on average, ${merges.ms_max} ms at most`);
    console.log(`approved          ${result.approved} of ${result.authorizations}; ledger consistent: ${result.ledger_consistent}`);
  }
  return result.ledger_consistent ? 0 : 1;
}
