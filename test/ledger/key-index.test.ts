import { afterEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KEY_MERGE_INTERVAL_MS, keyFromTimeFirstSql, keyTimeFirst, keyTimeFirstSql } from "../../src/ledger/sqlite/key-index.ts";
import { ConfigError, resolveConfig } from "../../src/config.ts";
import { openLedger } from "../../src/ledger/open.ts";
import { MIGRATIONS } from "../../src/ledger/sqlite/schema.ts";
import { openSqliteLedger, type SqliteLedger, type SqliteLedgerOptions } from "../../src/ledger/sqlite/sqlite-ledger.ts";
import { RequestFactory } from "../support/requests.ts";
import { balances, cardholder, TEST_NOW_MS } from "./harness.ts";

/**
 * The key index (key-index.ts): a duplicate, a repeat, an advice or a reversal finds its original whether
 * the original's key was merged into transaction_keys or is still among the recent keys in memory, in the
 * same process or after a restart, at any age; merges start on their bounds and leave transaction_keys
 * exactly the keyed transactions up to the merged sequence.
 */
const NEVER = 1_000_000;

class Fixture {
  nowMs = TEST_NOW_MS;
  ledger!: SqliteLedger;
  readonly requests = new RequestFactory(() => this.nowMs);
  private readonly dir = mkdtempSync(join(tmpdir(), "sekisho-keys-"));
  readonly path = join(this.dir, "ledger.db");

  constructor(private readonly extra: Partial<SqliteLedgerOptions>) {}

  async open(): Promise<this> {
    this.ledger = await openSqliteLedger({
      path: this.path,
      synchronous: "full",
      busyTimeoutMs: 500,
      holdTimeoutSeconds: 7 * 86_400,
      currency: 392,
      panKeyHex: "3c".repeat(32),
      clock: () => this.nowMs,
      ...this.extra,
    });
    return this;
  }

  async restart(): Promise<void> {
    await this.ledger.close();
    await this.open();
  }

  async dispose(): Promise<void> {
    await this.ledger.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const fixtures: Fixture[] = [];
afterEach(async () => {
  for (const fixture of fixtures.splice(0)) await fixture.dispose();
});

async function fixture(extra: Partial<SqliteLedgerOptions>): Promise<Fixture> {
  const opened = await new Fixture(extra).open();
  fixtures.push(opened);
  return opened;
}

/** The transactions that reversal events name as their originals, delivering the whole outbox. */
async function originalsNamedByEvents(ledger: SqliteLedger): Promise<unknown[]> {
  const named: unknown[] = [];
  for (;;) {
    const events = await ledger.claimOutbox({ limit: 1000, leaseMs: 60_000, owner: "test", nowMs: TEST_NOW_MS });
    if (events.length === 0) return named;
    for (const event of events) {
      if (event.type === "reversal") named.push(event.data.original_transaction_id);
      await ledger.completeOutbox(event.id, "test");
    }
  }
}

describe("key index: a later message finds its original", () => {
  for (const where of ["merged to disk", "in memory"] as const) {
    for (const restart of [false, true]) {
      test(`duplicate, reversal and advice, original ${where}${restart ? ", after a restart" : ""}`, async () => {
        const f = await fixture({ keyMergeKeysMax: where === "merged to disk" ? 1 : NEVER });
        const holder = await cardholder(f.ledger, { funds: 20_000 });
        const duplicated = f.requests.make(holder.pan, { amount: 1_000 });
        const reversed = f.requests.make(holder.pan, { amount: 2_000 });
        const advised = f.requests.make(holder.pan, { amount: 3_000 });
        const first = await f.ledger.authorizeBatch([duplicated, reversed, advised]);
        expect(first.map((d) => d.responseCode)).toEqual(["00", "00", "00"]);
        // Expiry work runs a merge that is due: with a bound of one key, the three go to disk.
        await f.ledger.expireHolds(f.nowMs);
        if (restart) await f.restart();
        expect(f.ledger.keyIndexStats().recentKeys).toBe(where === "merged to disk" ? 0 : 3);

        const later = await f.ledger.authorizeBatch([
          f.requests.again(duplicated, {}),
          f.requests.reversal(reversed),
          f.requests.again(advised, { mti: 120, amount: 3_500, networkResponseCode: "00" }),
        ]);
        expect(later[0]).toMatchObject({ responseCode: "00", approvalCode: first[0]!.approvalCode, replayed: true });
        expect(later[1]).toMatchObject({ responseCode: "00", replayed: false });
        expect(later[2]).toMatchObject({ responseCode: "00", replayed: false });
        // The reversal released its original's hold; the advice moved the hold it found instead of adding one.
        expect(await balances(f.ledger, holder.userId)).toMatchObject({ heldAmount: 1_000 + 3_500 });
        const authorizations = (await f.ledger.listTransactions(holder.userId, { limit: 10 })).items.filter((t) => t.kind === "authorization");
        expect(authorizations.map((t) => t.status).sort()).toEqual(["approved", "approved", "reversed"]);
        expect(await originalsNamedByEvents(f.ledger)).toEqual([authorizations.find((t) => t.status === "reversed")!.id]);
        expect(await f.ledger.checkConsistency()).toMatchObject({ consistent: true, keysWithSeveralHolds: 0 });
      });
    }
  }

  test("a key with records on disk and in memory: the repeat replays the first answer, the reversal finds the hold", async () => {
    const f = await fixture({ keyMergeKeysMax: 1 });
    const holder = await cardholder(f.ledger);
    const original = f.requests.make(holder.pan, { amount: 2_000 });
    const [answer] = await f.ledger.authorizeBatch([original]);
    await f.ledger.expireHolds(f.nowMs); // the original's key goes to disk
    await f.ledger.authorizeBatch([f.requests.again(original, { mti: 120, amount: 2_400, networkResponseCode: "00" })]);
    expect(f.ledger.keyIndexStats()).toMatchObject({ recentKeys: 1 }); // the advice's key, same as the original's
    for (const round of [1, 2]) {
      const [repeat] = await f.ledger.authorizeBatch([f.requests.again(original, { mti: 101 })]);
      expect({ round, ...repeat }).toMatchObject({ round, responseCode: "00", approvalCode: answer!.approvalCode, replayed: true });
      await f.restart();
    }
    expect(await balances(f.ledger, holder.userId)).toMatchObject({ heldAmount: 2_400 });
    await f.ledger.authorizeBatch([f.requests.reversal(original)]);
    expect(await balances(f.ledger, holder.userId)).toMatchObject({ heldAmount: 0, availableBalance: 10_000 });
    expect((await f.ledger.checkConsistency()).consistent).toBe(true);
  });

  test("a batch whose keys name more records than one query reads (some merged, some recent) replays them all", async () => {
    const f = await fixture({ keyMergeKeysMax: 100 });
    const holder = await cardholder(f.ledger, { funds: 1_000_000, limits: { perDayCountMax: 1_000 } });
    const originals = Array.from({ length: 150 }, () => f.requests.make(holder.pan, { amount: 7 }));
    const first = [...(await f.ledger.authorizeBatch(originals.slice(0, 100))), ...(await f.ledger.authorizeBatch(originals.slice(100)))];
    expect(f.ledger.keyIndexStats()).toMatchObject({ merges: 1, mergedKeys: 100, recentKeys: 50 });
    const again = await f.ledger.authorizeBatch(originals.map((original) => f.requests.again(original, { mti: 101 })));
    expect(again.map((d) => [d.approvalCode, d.replayed])).toEqual(first.map((d) => [d.approvalCode, true]));
    expect(await balances(f.ledger, holder.userId)).toMatchObject({ heldAmount: 150 * 7 });
  });

  test("at any age: weeks and many merges later, past the hold timeout, the original is still found", async () => {
    const f = await fixture({ keyMergeKeysMax: 16 });
    const holder = await cardholder(f.ledger, { funds: 1_000_000, limits: { perDayCountMax: 1_000 } });
    const original = f.requests.make(holder.pan, { amount: 700 });
    const purchase = f.requests.make(holder.pan, { mti: 200, amount: 900 });
    const first = await f.ledger.authorizeBatch([original, purchase]);
    for (let day = 0; day < 30; day++) {
      f.nowMs += 86_400_000;
      await f.ledger.authorizeBatch(Array.from({ length: 12 }, () => f.requests.make(holder.pan, { amount: 10 })));
      await f.ledger.expireHolds(f.nowMs);
    }
    expect(f.ledger.keyIndexStats().merges).toBeGreaterThan(10);
    const [repeat, reversal] = await f.ledger.authorizeBatch([f.requests.again(original, { mti: 101 }), f.requests.reversal(purchase)]);
    expect(repeat).toMatchObject({ approvalCode: first[0]!.approvalCode, replayed: true });
    expect(reversal!.responseCode).toBe("00");
    // The reversal credited the financial it found back (an unknown original would have been remembered instead).
    expect(await balances(f.ledger, holder.userId)).toMatchObject({ ledgerBalance: 1_000_000 });
    expect((await f.ledger.checkConsistency()).consistent).toBe(true);
  });
});

describe("key index: merges", () => {
  test("start when the recent keys reach their bound, in the next batch's transaction, ahead of it", async () => {
    const f = await fixture({ keyMergeKeysMax: 8 });
    const holder = await cardholder(f.ledger, { limits: { perDayCountMax: 1_000 } });
    const batch = () => Array.from({ length: 5 }, () => f.requests.make(holder.pan, { amount: 1 }));
    await f.ledger.authorizeBatch(batch());
    await f.ledger.authorizeBatch(batch());
    expect(f.ledger.keyIndexStats()).toMatchObject({ recentKeys: 10, merges: 0 });
    await f.ledger.authorizeBatch(batch());
    expect(f.ledger.keyIndexStats()).toMatchObject({ recentKeys: 5, merges: 1, mergedKeys: 10 });
  });

  test(`start ${KEY_MERGE_INTERVAL_MS} ms after the oldest recent key, on a batch or on expiry work`, async () => {
    const f = await fixture({ keyMergeKeysMax: NEVER });
    const holder = await cardholder(f.ledger);
    await f.ledger.authorizeBatch([f.requests.make(holder.pan, { amount: 1 })]);
    f.nowMs += KEY_MERGE_INTERVAL_MS - 1;
    await f.ledger.authorizeBatch([f.requests.make(holder.pan, { amount: 1 })]);
    await f.ledger.expireHolds(f.nowMs);
    expect(f.ledger.keyIndexStats()).toMatchObject({ recentKeys: 2, merges: 0 });
    f.nowMs += 1;
    await f.ledger.authorizeBatch([f.requests.make(holder.pan, { amount: 1 })]);
    expect(f.ledger.keyIndexStats()).toMatchObject({ recentKeys: 1, merges: 1 });
    f.nowMs += KEY_MERGE_INTERVAL_MS;
    await f.ledger.expireHolds(f.nowMs);
    expect(f.ledger.keyIndexStats()).toMatchObject({ recentKeys: 0, merges: 2, mergedKeys: 3 });
  });

  test("are written a slice per batch; a merge's keys leave memory with its last slice, and are found all along", async () => {
    const f = await fixture({ keyMergeKeysMax: 8, keyMergeSliceKeysMax: 4 });
    const holder = await cardholder(f.ledger, { funds: 100_000, limits: { perDayCountMax: 1_000 } });
    const batch = (count: number) => Array.from({ length: count }, () => f.requests.make(holder.pan, { amount: 3 }));
    const first = batch(10);
    const answers = await f.ledger.authorizeBatch(first);
    const replay = async (count: number) => {
      const again = await f.ledger.authorizeBatch(first.slice(0, count).map((request) => f.requests.again(request, { mti: 101 })));
      expect(again.map((d) => [d.approvalCode, d.replayed])).toEqual(answers.slice(0, count).map((d) => [d.approvalCode, true]));
    };
    // Due: the next batch stages the 10 keys (sorting them is its share) ahead of its own.
    await f.ledger.authorizeBatch(batch(1));
    expect(f.ledger.keyIndexStats()).toMatchObject({ recentKeys: 11, stagedKeysLeft: 10, merges: 0, mergedKeys: 0, mergedThroughSeq: 0 });
    await f.ledger.authorizeBatch(batch(1)); // a slice of 4
    expect(f.ledger.keyIndexStats()).toMatchObject({ recentKeys: 12, stagedKeysLeft: 6, merges: 0, mergedKeys: 4, mergedThroughSeq: 0 });
    expect(await f.ledger.checkConsistency()).toMatchObject({ consistent: true, derivedMismatched: 0 });
    await replay(2); // found on disk and in memory; replays write no row: 4 more staged keys written, none added
    expect(f.ledger.keyIndexStats()).toMatchObject({ recentKeys: 12, stagedKeysLeft: 2, merges: 0, mergedKeys: 8 });
    await f.ledger.authorizeBatch(batch(1)); // the last 2: the merge completes, its 10 keys leave memory
    const stats = f.ledger.keyIndexStats();
    expect(stats).toMatchObject({ recentKeys: 3, stagedKeysLeft: 0, merges: 1, mergedKeys: 10 });
    expect(stats.mergedThroughSeq).toBeGreaterThan(0);
    await replay(10);
    expect(await f.ledger.checkConsistency()).toMatchObject({ consistent: true, derivedMismatched: 0 });
    expect(await balances(f.ledger, holder.userId)).toMatchObject({ heldAmount: 13 * 3 });
  });

  test("keep up with batches larger than a slice: a batch writes twice its own keys, so memory stays bounded", async () => {
    const keysMax = 8;
    const batchSize = 10;
    const f = await fixture({ keyMergeKeysMax: keysMax, keyMergeSliceKeysMax: 1 });
    const holder = await cardholder(f.ledger, { funds: 1_000_000, limits: { perDayCountMax: 10_000 } });
    let recentMax = 0;
    for (let i = 0; i < 40; i++) {
      await f.ledger.authorizeBatch(Array.from({ length: batchSize }, () => f.requests.make(holder.pan, { amount: 1 })));
      recentMax = Math.max(recentMax, f.ledger.keyIndexStats().recentKeys);
    }
    // A slice of 1 key alone would leave 9 of every batch's 10 keys behind: 360 in memory by now.
    expect(recentMax).toBeLessThan(2 * (keysMax + 2 * batchSize));
    expect(f.ledger.keyIndexStats().merges).toBeGreaterThan(5);
    expect(await f.ledger.checkConsistency()).toMatchObject({ consistent: true, derivedMismatched: 0 });
  });

  test("a merge cut short (closed, or killed, between slices) is written again from the start, nothing twice", async () => {
    const f = await fixture({ keyMergeKeysMax: 6, keyMergeSliceKeysMax: 4 });
    const holder = await cardholder(f.ledger, { funds: 100_000, limits: { perDayCountMax: 1_000 } });
    const first = Array.from({ length: 9 }, () => f.requests.make(holder.pan, { amount: 2 }));
    const answers = await f.ledger.authorizeBatch(first);
    await f.ledger.authorizeBatch([f.requests.make(holder.pan, { amount: 2 })]); // stages the 9
    await f.ledger.authorizeBatch([f.requests.make(holder.pan, { amount: 2 })]); // writes 4 of them
    expect(f.ledger.keyIndexStats()).toMatchObject({ stagedKeysLeft: 5, mergedKeys: 4, mergedThroughSeq: 0 });
    await f.restart();
    // The 4 entries on disk are beyond the merged sequence; their keys are recent again, with the rest.
    expect(f.ledger.keyIndexStats()).toMatchObject({ recentKeys: 11, stagedKeysLeft: 0, mergedThroughSeq: 0 });
    expect(await f.ledger.checkConsistency()).toMatchObject({ consistent: true, derivedMismatched: 0 });
    const again = await f.ledger.authorizeBatch(first.map((request) => f.requests.again(request, { mti: 101 })));
    expect(again.map((d) => [d.approvalCode, d.replayed])).toEqual(answers.map((d) => [d.approvalCode, true]));
    await f.ledger.expireHolds(f.nowMs); // idle work writes a due merge whole
    expect(f.ledger.keyIndexStats()).toMatchObject({ recentKeys: 0, stagedKeysLeft: 0, merges: 1 });
    expect(await f.ledger.checkConsistency()).toMatchObject({ consistent: true, derivedMismatched: 0 });
    await f.ledger.close();
    const db = new Database(f.path, { readonly: true });
    try {
      const entries = db.query("SELECT COUNT(*) AS n FROM transaction_keys").get() as { n: number };
      const keyed = db.query("SELECT COUNT(*) AS n FROM transactions WHERE key IS NOT NULL").get() as { n: number };
      expect(entries.n).toBe(keyed.n);
    } finally {
      db.close();
      await f.open();
    }
  });

  test("leave transaction_keys exactly the keyed transactions up to the merged sequence, DE 7 first, in key order", async () => {
    const f = await fixture({ keyMergeKeysMax: 7 });
    const holder = await cardholder(f.ledger, { funds: 100_000, limits: { perDayCountMax: 1_000 } });
    for (let i = 0; i < 9; i++) {
      const requests = Array.from({ length: 4 }, (_, j) =>
        f.requests.make(holder.pan, { amount: 5, acquirer: String(1000 + ((i * 4 + j) % 3)), transmissionDateTime: `11151200${String(59 - i).padStart(2, "0")}` }),
      );
      // The advice shares its original's key: that key has two transactions.
      await f.ledger.authorizeBatch([...requests, f.requests.again(requests[0]!, { mti: 120, networkResponseCode: "00" })]);
    }
    const stats = f.ledger.keyIndexStats();
    expect(stats.merges).toBeGreaterThan(2);
    expect(stats.recentKeys).toBeGreaterThan(0);
    expect((await f.ledger.checkConsistency()).derivedMismatched).toBe(0);
    await f.ledger.close();
    const db = new Database(f.path, { readonly: true });
    try {
      const merged = db.query("SELECT key_time_first, seq FROM transaction_keys").values() as Array<[string, number]>;
      const keyed = db.query("SELECT key, seq FROM transactions WHERE key IS NOT NULL AND seq <= ? ORDER BY seq").values(stats.mergedThroughSeq) as Array<[string, number]>;
      const expected = keyed.map(([key, seq]) => [keyTimeFirst(key), seq] as [string, number]);
      expected.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
      expect(merged).toEqual(expected);
      for (const [stored] of merged) expect(stored).toMatch(/^11151200[5-9]\d:01:100[0-2]:\d{6}$/);
      expect(new Set(merged.map(([stored]) => stored)).size).toBeLessThan(merged.length);
      const meta = db.query("SELECT value FROM meta WHERE name = 'keys_merged_through_seq'").get() as { value: string };
      expect(Number(meta.value)).toBe(stats.mergedThroughSeq);
    } finally {
      db.close();
      await f.open();
    }
  });
});

describe("key index: the consistency check", () => {
  for (const [damage, sql] of [
    ["an entry missing", "DELETE FROM transaction_keys WHERE seq = (SELECT MIN(seq) FROM transaction_keys)"],
    ["an entry with another key", "UPDATE transaction_keys SET key_time_first = key_time_first || '0' WHERE seq = (SELECT MAX(seq) FROM transaction_keys)"],
    ["an entry too many", "INSERT INTO transaction_keys SELECT key_time_first, seq + 1000 FROM transaction_keys LIMIT 1"],
    // (Behind is what a crash in the middle of a merge leaves: the entries beyond it are then merely early.)
    ["the merged sequence ahead", "UPDATE meta SET value = CAST(value + 1 AS TEXT) WHERE name = 'keys_merged_through_seq'"],
  ] as const) {
    test(`finds ${damage}`, async () => {
      const f = await fixture({ keyMergeKeysMax: 3 });
      const holder = await cardholder(f.ledger);
      for (let i = 0; i < 4; i++) await f.ledger.authorizeBatch([f.requests.make(holder.pan, { amount: 1 }), f.requests.make(holder.pan, { amount: 1 })]);
      expect(await f.ledger.checkConsistency()).toMatchObject({ consistent: true, derivedMismatched: 0 });
      await f.ledger.close();
      const db = new Database(f.path);
      db.run(sql);
      db.close();
      await f.open();
      const report = await f.ledger.checkConsistency();
      expect(report.consistent).toBe(false);
      expect(report.derivedMismatched).toBeGreaterThan(0);
    });
  }
});

describe("keyTimeFirst", () => {
  const samples = ["01:12345678:123456:1126071245", "04:0:000001:0101000000", "plain", "", ":", "a:", ":b", "a::b", "x:y:z", "ü:ключ:键", "01:1:2:3:4"];

  test("moves the part after the last colon to the front, as the SQL expression does; its SQL inverse undoes it", () => {
    expect(keyTimeFirst("01:12345678:123456:1126071245")).toBe("1126071245:01:12345678:123456");
    const db = new Database(":memory:");
    try {
      const sql = db.query(`SELECT ${keyTimeFirstSql("?1")} AS rotated, ${keyFromTimeFirstSql("?2")} AS back`);
      for (const key of samples) {
        const row = sql.get(key, keyTimeFirst(key)) as { rotated: string; back: string };
        expect({ key, ...row }).toEqual({ key, rotated: keyTimeFirst(key), back: key });
      }
    } finally {
      db.close();
    }
  });

  test("schema 2 builds transaction_keys with the same expression", () => {
    expect(MIGRATIONS.find((migration) => migration.version === 2)!.sql.replace(/\s+/g, " ")).toContain(keyTimeFirstSql("key"));
  });

  test("never maps two keys to one", () => {
    const rotated = new Map<string, string>();
    for (const key of samples) {
      const other = rotated.get(keyTimeFirst(key));
      expect({ key, other }).toEqual({ key, other: undefined });
      rotated.set(keyTimeFirst(key), key);
    }
  });
});

describe("key index: the merge bounds as configured (sqliteKeyMergeKeysMax, sqliteKeyMergeSliceKeysMax)", () => {
  test("resolve at their edges and reach the ledger that openLedger opens", async () => {
    for (const key of ["sqliteKeyMergeKeysMax", "sqliteKeyMergeSliceKeysMax"] as const) {
      expect(() => resolveConfig({ flags: { [key]: "0" } })).toThrow(ConfigError);
      expect(() => resolveConfig({ flags: { [key]: String((1 << 20) + 1) } })).toThrow(ConfigError);
      expect(resolveConfig({ flags: { [key]: String(1 << 20) } })[key]).toBe(1 << 20);
      expect(resolveConfig({ flags: { [key]: "1" } })[key]).toBe(1);
    }
    const dir = mkdtempSync(join(tmpdir(), "sekisho-keys-config-"));
    const config = resolveConfig({ flags: { db: join(dir, "ledger.db"), sqliteKeyMergeKeysMax: "6", sqliteKeyMergeSliceKeysMax: "3" } });
    const ledger = (await openLedger({ ...config, panKey: "3c".repeat(32) })) as SqliteLedger;
    try {
      const requests = new RequestFactory(() => Date.now());
      const holder = await cardholder(ledger, { limits: { perDayCountMax: 1_000 } });
      const purchases = (count: number) => Array.from({ length: count }, () => requests.make(holder.pan, { amount: 1 }));
      await ledger.authorizeBatch(purchases(6));
      expect(ledger.keyIndexStats()).toMatchObject({ recentKeys: 6, stagedKeysLeft: 0, merges: 0 });
      // Six recent keys reach a bound of 6: the next batch stages them, the two after it write 3 each.
      await ledger.authorizeBatch(purchases(1));
      expect(ledger.keyIndexStats()).toMatchObject({ stagedKeysLeft: 6, mergedKeys: 0 });
      await ledger.authorizeBatch(purchases(1));
      expect(ledger.keyIndexStats()).toMatchObject({ stagedKeysLeft: 3, mergedKeys: 3, merges: 0 });
      await ledger.authorizeBatch(purchases(1));
      expect(ledger.keyIndexStats()).toMatchObject({ stagedKeysLeft: 0, mergedKeys: 6, merges: 1, recentKeys: 3 });
    } finally {
      await ledger.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
