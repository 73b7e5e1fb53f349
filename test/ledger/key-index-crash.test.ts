import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteLedger, type SqliteLedger } from "../../src/ledger/sqlite/sqlite-ledger.ts";
import { SeededRandom, seedFromEnvironment } from "../../src/sim/random.ts";
import { testPan } from "../support/requests.ts";
import { runAndKill } from "./crash-run.ts";
import { crashBatch, crashLedgerOptions, CRASH_NOW_MS } from "./crash-workload.ts";

/**
 * Crash safety of the key index: SIGKILL between a batch's commit and the merge of its keys, in the middle
 * of a merge, and at random points while merges run before almost every batch. Reopened, the ledger finds
 * every reported decision by its key (a replay returns it), the key index agrees with the transactions
 * (checkConsistency), and later merges complete.
 */
const PAN_KEY_HEX = "5b".repeat(32);
const NEVER = 1_000_000_000;

interface Line {
  batch?: number;
  decisions?: Array<[string, string | null]>;
  hanging?: string;
  merged?: number;
  walBytes?: number;
}

function openLedger(path: string, keyMergeKeysMax: number): Promise<SqliteLedger> {
  return openSqliteLedger({ ...crashLedgerOptions(path, PAN_KEY_HEX), keyMergeKeysMax });
}

async function withLedgerFile(body: (path: string, pans: string[]) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "sekisho-key-crash-"));
  const path = join(dir, "ledger.db");
  try {
    const ledger = await openLedger(path, NEVER);
    const pans: string[] = [];
    for (let i = 0; i < 6; i++) {
      const user = await ledger.createUser({});
      pans.push(testPan(80_000 + i));
      await ledger.issueCard(user.id, { pan: pans[i]!, expiry: "9912", limits: { perDayCountMax: 100_000 } });
      await ledger.topUp(user.id, { amount: 50_000, idempotencyKey: "seed", fingerprint: "seed" });
    }
    await ledger.close();
    await body(path, pans);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every reported batch replays whole, with its first answers. */
async function expectReplays(ledger: SqliteLedger, seed: number, pans: string[], reports: Line[], context: string): Promise<void> {
  for (const report of reports) {
    const again = await ledger.authorizeBatch(crashBatch(seed, report.batch!, pans));
    expect({ context, batch: report.batch, answers: again.map((d) => [d.responseCode, d.approvalCode, d.replayed]) }).toEqual({
      context,
      batch: report.batch,
      answers: report.decisions!.map(([code, approval]) => [code, approval, true]),
    });
  }
}

/** Reopens after the kill: first with the keys still recent, then merged; the reports replay both times. */
async function checkAfterKill(path: string, seed: number, pans: string[], reports: Line[], context: string): Promise<void> {
  let ledger = await openLedger(path, NEVER);
  try {
    expect({ context, ...ledger.keyIndexStats() }).toMatchObject({ context, mergedThroughSeq: 0 });
    expect(ledger.keyIndexStats().recentKeys).toBeGreaterThan(reports.length);
    expect({ context, ...(await ledger.checkConsistency()) }).toMatchObject({ context, consistent: true });
    await expectReplays(ledger, seed, pans, reports, `${context}, keys recent`);
  } finally {
    await ledger.close();
  }
  ledger = await openLedger(path, 1);
  try {
    await ledger.expireHolds(CRASH_NOW_MS); // runs the merge that is due
    expect({ context, ...ledger.keyIndexStats() }).toMatchObject({ context, recentKeys: 0, merges: 1 });
    expect({ context, ...(await ledger.checkConsistency()) }).toMatchObject({ context, consistent: true });
    await expectReplays(ledger, seed, pans, reports, `${context}, keys merged`);
  } finally {
    await ledger.close();
  }
}

test("killed after batches committed and before their keys were merged, every decision is found again", async () => {
  const seed = seedFromEnvironment();
  await withLedgerFile(async (path, pans) => {
    const batches = 30;
    const lines = await runAndKill<Line>(join(import.meta.dir, "key-crash-child.ts"), [path, PAN_KEY_HEX, String(seed), String(batches), pans.join(","), "after-commit"], batches + 1, 0);
    expect(lines.at(-1)).toEqual({ hanging: "after-commit" });
    await checkAfterKill(path, seed, pans, lines.slice(0, -1), `seed ${seed} (replay: SEKISHO_SEED=${seed})`);
  });
}, 30_000);

test("killed in the middle of a merge, with part of it in the WAL, nothing of it stays and the next merge completes", async () => {
  const seed = seedFromEnvironment();
  await withLedgerFile(async (path, pans) => {
    const batches = 120;
    const lines = await runAndKill<Line>(join(import.meta.dir, "key-crash-child.ts"), [path, PAN_KEY_HEX, String(seed), String(batches), pans.join(","), "mid-merge"], batches + 1, 0);
    const hanging = lines.at(-1)!;
    expect(hanging).toMatchObject({ hanging: "mid-merge" });
    expect(hanging.merged).toBeGreaterThan(batches);
    expect(hanging.walBytes).toBeGreaterThan(0); // the uncommitted merge spilled pages into the WAL
    await checkAfterKill(path, seed, pans, lines.slice(0, -1), `seed ${seed} (replay: SEKISHO_SEED=${seed})`);
  });
}, 30_000);

test("killed at random points while keys merge before almost every batch, a slice at a time, the ledger keeps every reported decision", async () => {
  const seed = seedFromEnvironment();
  const random = new SeededRandom(seed ^ 0x5eed);
  await withLedgerFile(async (path, pans) => {
    const reported: Line[] = [];
    for (let round = 0; round < 4; round++) {
      const first = round * 1000;
      const keyMergeKeysMax = random.pick([1, 10, 60]);
      // Slices smaller than a merge leave runs under way, part of them committed beyond the merged sequence.
      const keyMergeSliceKeysMax = random.pick([1, 7, 2048]);
      const args = [path, PAN_KEY_HEX, String(seed), String(first), "100000", pans.join(","), String(keyMergeKeysMax), String(keyMergeSliceKeysMax)];
      const reports = await runAndKill<Line>(join(import.meta.dir, "crash-child.ts"), args, random.int(1, 25), random.int(0, 4));
      reports.forEach((report, i) => expect(report.batch).toBe(first + i));
      reported.push(...reports);
      const ledger = await openLedger(path, keyMergeKeysMax);
      try {
        const context = `seed ${seed} (replay: SEKISHO_SEED=${seed}), round ${round}, merge bound ${keyMergeKeysMax}, slice ${keyMergeSliceKeysMax}`;
        expect({ context, ...(await ledger.checkConsistency()) }).toMatchObject({ context, consistent: true });
        await expectReplays(ledger, seed, pans, reported, context);
        const inFlight = first + reports.length;
        const flags = (await ledger.authorizeBatch(crashBatch(seed, inFlight, pans))).map((d) => d.replayed);
        expect({ context, whole: flags.every((f) => f) || flags.every((f) => !f) }).toEqual({ context, whole: true });
        expect({ context, ...(await ledger.checkConsistency()) }).toMatchObject({ context, consistent: true });
      } finally {
        await ledger.close();
      }
    }
  });
}, 30_000);
