import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Ledger } from "../../src/ledger/ledger.ts";
import { openSqliteLedger } from "../../src/ledger/sqlite/sqlite-ledger.ts";
import { SeededRandom, seedFromEnvironment } from "../../src/sim/random.ts";
import { testPan } from "../support/requests.ts";
import { runAndKill as runChildAndKill } from "./crash-run.ts";
import { crashBatch, crashLedgerOptions } from "./crash-workload.ts";

/**
 * Crash safety: a child process applies batches and reports each one after its commit; it is killed with
 * SIGKILL at a random point. Reopened, the ledger must hold every reported decision (a replay returns it),
 * have applied the batch in flight either whole or not at all, and be consistent — including the values it
 * rebuilds in memory from the last checkpoint and the transactions after it.
 */
const PAN_KEY_HEX = "7a".repeat(32);
const ROUNDS = 6;
const BATCHES_PER_ROUND_MAX = 1000;

interface Report {
  batch: number;
  decisions: Array<[string, string | null]>;
}

async function seedCards(path: string, random: SeededRandom): Promise<string[]> {
  const ledger = await openLedger(path);
  const pans: string[] = [];
  for (let i = 0; i < 6; i++) {
    const user = await ledger.createUser({});
    const pan = testPan(70_000 + i);
    await ledger.issueCard(user.id, { pan, expiry: "9912", limits: { perDayCountMax: 60 } });
    await ledger.topUp(user.id, { amount: random.int(5_000, 60_000), idempotencyKey: "seed", fingerprint: "seed" });
    pans.push(pan);
  }
  await ledger.close();
  return pans;
}

function openLedger(path: string): Promise<Ledger> {
  return openSqliteLedger(crashLedgerOptions(path, PAN_KEY_HEX));
}

/** Runs the child from batch `first` and kills it after `linesBeforeKill` reports (and a random moment). */
function runAndKill(args: string[], linesBeforeKill: number, delayMs: number): Promise<Report[]> {
  return runChildAndKill<Report>(join(import.meta.dir, "crash-child.ts"), args, linesBeforeKill, delayMs);
}

test("killed at random points, the ledger keeps every reported decision and nothing half-applied", async () => {
  const seed = seedFromEnvironment();
  const random = new SeededRandom(seed);
  const dir = mkdtempSync(join(tmpdir(), "sekisho-crash-"));
  const path = join(dir, "ledger.db");
  try {
    const pans = await seedCards(path, random);
    const reported: Report[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const first = round * BATCHES_PER_ROUND_MAX;
      const checkpoint = String(random.pick([50, 200, 100_000]));
      const args = [path, PAN_KEY_HEX, String(seed), String(first), checkpoint, pans.join(",")];
      const reports = await runAndKill(args, random.int(1, 25), random.int(0, 4));
      reports.forEach((report, i) => expect(report.batch).toBe(first + i));
      reported.push(...reports);

      const ledger = await openLedger(path);
      try {
        const context = `seed ${seed} (replay: SEKISHO_SEED=${seed}), round ${round}`;
        expect({ context, ...(await ledger.checkConsistency()) }).toMatchObject({ context, consistent: true });
        // Every decision reported, in this round and before, is there: its replay is the same answer.
        for (const report of reported) {
          const again = await ledger.authorizeBatch(crashBatch(seed, report.batch, pans));
          expect({ context, batch: report.batch, answers: again.map((d) => [d.responseCode, d.approvalCode, d.replayed]) }).toEqual({
            context,
            batch: report.batch,
            answers: report.decisions.map(([code, approval]) => [code, approval, true]),
          });
        }
        // The batch in flight was committed whole or not at all; the one after it never started.
        const inFlight = first + reports.length;
        const flags = (await ledger.authorizeBatch(crashBatch(seed, inFlight, pans))).map((d) => d.replayed);
        expect({ context, whole: flags.every((f) => f) || flags.every((f) => !f) }).toEqual({ context, whole: true });
        const after = (await ledger.authorizeBatch(crashBatch(seed, inFlight + 1, pans))).map((d) => d.replayed);
        expect({ context, started: after.some((f) => f) }).toEqual({ context, started: false });
        expect({ context, ...(await ledger.checkConsistency()) }).toMatchObject({ context, consistent: true });
      } finally {
        await ledger.close();
      }
    }
    expect(reported.length).toBeGreaterThan(ROUNDS);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);
