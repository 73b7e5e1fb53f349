import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, resolveConfig } from "../../src/config.ts";
import type { NetworkRecord } from "../../src/ledger/decision/records.ts";
import { AssertionFailure } from "../../src/ops/assert.ts";
import { openLedger } from "../../src/ledger/open.ts";
import { RecentRecords } from "../../src/ledger/sqlite/recent-records.ts";
import type { SqliteLedger } from "../../src/ledger/sqlite/sqlite-ledger.ts";
import { RequestFactory } from "../support/requests.ts";
import { balances, cardholder } from "./harness.ts";

/**
 * The SQLite ledger's newest records in memory (recent-records.ts): bounded, newest kept, and wired
 * from the setting. That they stay coherent with the rows is the shared case suite's job, which runs with
 * the default bound, with none and with two (sqlite.test.ts).
 */
const record = (seq: number) => ({ seq }) as NetworkRecord;

describe("recent records", () => {
  test("hold at most their bound; a newer record takes an older one's slot, never the reverse", () => {
    const recent = new RecentRecords(3);
    for (const seq of [1, 2, 3]) recent.add(record(seq));
    const first = recent.get(1);
    recent.add(record(1)); // already there: the object held stays
    expect(recent.get(1)).toBe(first!);
    recent.add(record(4)); // slot of 1
    expect(recent.size).toBe(3);
    expect([1, 2, 3, 4].map((seq) => recent.get(seq)?.seq ?? null)).toEqual([null, 2, 3, 4]);
    recent.add(record(1)); // an older row read back from the file does not push out a newer one
    expect([1, 4].map((seq) => recent.get(seq)?.seq ?? null)).toEqual([null, 4]);
    recent.add(record(7)); // but a newer one does
    expect([4, 7].map((seq) => recent.get(seq)?.seq ?? null)).toEqual([null, 7]);
    expect(recent.size).toBe(3);
  });

  test("a bound of 0 keeps none; a negative or fractional bound is a programming error", () => {
    const none = new RecentRecords(0);
    none.add(record(1));
    expect(none.size).toBe(0);
    expect(() => new RecentRecords(-1)).toThrow(AssertionFailure);
    expect(() => new RecentRecords(1.5)).toThrow(AssertionFailure);
  });

  test("sqliteRecentRecordsMax resolves at its edges and bounds the ledger that openLedger opens", async () => {
    expect(() => resolveConfig({ flags: { sqliteRecentRecordsMax: "-1" } })).toThrow(ConfigError);
    expect(() => resolveConfig({ flags: { sqliteRecentRecordsMax: String((1 << 20) + 1) } })).toThrow(ConfigError);
    expect(resolveConfig({ flags: { sqliteRecentRecordsMax: "0" } }).sqliteRecentRecordsMax).toBe(0);
    expect(resolveConfig({ flags: { sqliteRecentRecordsMax: String(1 << 20) } }).sqliteRecentRecordsMax).toBe(1 << 20);
    const dir = mkdtempSync(join(tmpdir(), "sekisho-recent-records-"));
    const config = resolveConfig({ flags: { db: join(dir, "ledger.db"), sqliteRecentRecordsMax: "5" } });
    const ledger = (await openLedger({ ...config, panKey: "3c".repeat(32) })) as SqliteLedger;
    try {
      const requests = new RequestFactory(() => Date.now());
      const holder = await cardholder(ledger, { funds: 10_000, limits: { perDayCountMax: 1_000 } });
      const purchases = Array.from({ length: 8 }, () => requests.make(holder.pan, { amount: 10 }));
      await ledger.authorizeBatch(purchases);
      expect(ledger.recentRecordStats()).toEqual({ records: 5, recordsMax: 5 });
      // Reversals of the 3 evicted and of 3 kept originals: each finds its original either way.
      const reversals = await ledger.authorizeBatch(purchases.slice(0, 6).map((original) => requests.reversal(original)));
      expect(reversals.map((d) => d.responseCode)).toEqual(Array(6).fill("00"));
      expect(await balances(ledger, holder.userId)).toMatchObject({ heldAmount: 20, availableBalance: 10_000 - 20 });
      expect((await ledger.checkConsistency()).consistent).toBe(true);
    } finally {
      await ledger.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
