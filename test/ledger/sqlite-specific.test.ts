import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "bun:sqlite";
import { ConfigError, resolveConfig } from "../../src/config.ts";
import { DEFAULT_CARD_LIMITS } from "../../src/ledger/card-limits.ts";
import { openLedger } from "../../src/ledger/open.ts";
import type { SqliteContext } from "../../src/ledger/sqlite/context.ts";
import { loadState } from "../../src/ledger/sqlite/load-state.ts";
import { SCHEMA_VERSION } from "../../src/ledger/sqlite/schema.ts";
import { openSqliteLedger, type SqliteLedgerOptions } from "../../src/ledger/sqlite/sqlite-ledger.ts";
import { RequestFactory, testPan } from "../support/requests.ts";
import { TEST_NOW_MS } from "./harness.ts";

function tempPath(): { path: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "sekisho-sqlite-"));
  return { path: join(dir, "ledger.db"), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function options(path: string, extra: Partial<SqliteLedgerOptions> = {}): SqliteLedgerOptions {
  return { path, synchronous: "full", busyTimeoutMs: 200, holdTimeoutSeconds: 3600, currency: 392, panKeyHex: "11".repeat(32), clock: () => TEST_NOW_MS, ...extra };
}

describe("SQLite ledger specifics", () => {
  test("the file is in WAL mode with the versioned schema applied", async () => {
    const { path, cleanup } = tempPath();
    try {
      const ledger = await openSqliteLedger(options(path));
      await ledger.close();
      const db = new Database(path, { readonly: true });
      expect((db.query("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode).toBe("wal");
      expect((db.query("PRAGMA user_version").get() as { user_version: number }).user_version).toBe(SCHEMA_VERSION);
      db.close(true);
    } finally {
      cleanup();
    }
  });

  test("a second ledger on the same file is refused while the first is open", async () => {
    const { path, cleanup } = tempPath();
    try {
      const first = await openSqliteLedger(options(path));
      await expect(openSqliteLedger(options(path))).rejects.toMatchObject({ code: "unavailable" });
      await first.close();
      await (await openSqliteLedger(options(path))).close();
    } finally {
      cleanup();
    }
  });

  test("a file created with one PAN key refuses another", async () => {
    const { path, cleanup } = tempPath();
    try {
      await (await openSqliteLedger(options(path))).close();
      await expect(openSqliteLedger(options(path, { panKeyHex: "22".repeat(32) }))).rejects.toMatchObject({ code: "unavailable" });
    } finally {
      cleanup();
    }
  });

  test("frequent checkpoints and restarts keep history, usage and balances exact", async () => {
    const { path, cleanup } = tempPath();
    try {
      let ledger = await openSqliteLedger(options(path, { checkpointTransactions: 3 }));
      const user = await ledger.createUser({});
      const pan = testPan(5_000);
      await ledger.issueCard(user.id, { pan, expiry: "2712", limits: { perDayCountMax: 9 } });
      await ledger.topUp(user.id, { amount: 50_000, idempotencyKey: "t", fingerprint: "t" });
      const requests = new RequestFactory(() => TEST_NOW_MS);
      for (let round = 0; round < 4; round++) {
        await ledger.authorizeBatch([requests.make(pan, { amount: 100 }), requests.make(pan, { amount: 200 })]);
        await ledger.close();
        ledger = await openSqliteLedger(options(path, { checkpointTransactions: 3 }));
        expect((await ledger.checkConsistency()).consistent).toBe(true);
      }
      const decisions = await ledger.authorizeBatch([requests.make(pan, { amount: 1 }), requests.make(pan, { amount: 1 })]);
      expect(decisions.map((d) => d.responseCode)).toEqual(["00", "65"]);
      expect((await ledger.getUser(user.id))!.balances).toMatchObject({ heldAmount: 1_201, ledgerBalance: 50_000 });
      expect((await ledger.listTransactions(user.id, { limit: 100 })).items).toHaveLength(11);
      await ledger.close();
    } finally {
      cleanup();
    }
  });

  test("the context owns the state: the one put there is what batches decide against and write to", async () => {
    // A rebuild replaces the state in the context alone; the Authorizer, the writer and the record reader
    // read it from there. Replaced by hand here, as a rebuild does.
    const { path, cleanup } = tempPath();
    try {
      const ledger = await openSqliteLedger(options(path));
      const user = await ledger.createUser({});
      const pan = testPan(8_008);
      await ledger.issueCard(user.id, { pan, expiry: "9912" });
      await ledger.topUp(user.id, { amount: 10_000, idempotencyKey: "t", fingerprint: "t" });
      const ctx = (ledger as unknown as { ctx: SqliteContext }).ctx;
      const replaced = ctx.state;
      ctx.state = loadState(ctx.db, DEFAULT_CARD_LIMITS, TEST_NOW_MS);
      const requests = new RequestFactory(() => TEST_NOW_MS);
      const original = requests.make(pan, { amount: 4_000 });
      expect((await ledger.authorizeBatch([original]))[0]!.responseCode).toBe("00");
      const accountSeq = [...ctx.state.accountsByUser.values()][0]!.seq;
      expect(ctx.state.accounts.get(accountSeq)!.held).toBe(4_000);
      expect(replaced.accounts.get(accountSeq)!.held).toBe(0);
      expect(ctx.state.recentRecords.size).toBe(1);
      // A repeat finds the record through the new state's recent keys and replays it.
      expect((await ledger.authorizeBatch([{ ...original }]))[0]!.responseCode).toBe("00");
      expect((await ledger.getUser(user.id))!.balances).toMatchObject({ heldAmount: 4_000, availableBalance: 6_000 });
      expect((await ledger.checkConsistency()).consistent).toBe(true);
      await ledger.close();
    } finally {
      cleanup();
    }
  });

  test("a closed ledger refuses work", async () => {
    const { path, cleanup } = tempPath();
    try {
      const ledger = await openSqliteLedger(options(path));
      await ledger.close();
      await expect(ledger.createUser({})).rejects.toMatchObject({ code: "unavailable" });
      await expect(ledger.authorizeBatch([])).resolves.toEqual([]);
    } finally {
      cleanup();
    }
  });
});

describe("openLedger", () => {
  const base = { sqliteSynchronous: "full" as const, sqliteBusyTimeoutMs: 100, holdTimeoutSeconds: 3600, currency: 392, panKey: "33".repeat(32) };

  test("a path opens SQLite; no PAN key is refused (PostgreSQL URLs: postgres-specific.test.ts)", async () => {
    const { path, cleanup } = tempPath();
    try {
      const ledger = await openLedger({ ...base, db: path });
      expect((await ledger.checkConsistency()).consistent).toBe(true);
      await ledger.close();
      await expect(openLedger({ ...base, db: path, panKey: undefined })).rejects.toMatchObject({ code: "invalid_input" });
    } finally {
      cleanup();
    }
  });
});

describe("SQLite WAL checkpoints (sqliteWalAutocheckpointPages)", () => {
  test("the setting resolves at its edges and bounds the WAL of the ledger openLedger opens", async () => {
    expect(() => resolveConfig({ flags: { sqliteWalAutocheckpointPages: "99" } })).toThrow(ConfigError);
    expect(() => resolveConfig({ flags: { sqliteWalAutocheckpointPages: "1000001" } })).toThrow(ConfigError);
    expect(resolveConfig({ flags: { sqliteWalAutocheckpointPages: "100" } }).sqliteWalAutocheckpointPages).toBe(100);
    expect(resolveConfig({}).sqliteWalAutocheckpointPages).toBe(4_000);
    const walBytesAfterLoad = async (pages: number): Promise<number> => {
      const { path, cleanup } = tempPath();
      try {
        const config = resolveConfig({ flags: { db: path, sqliteWalAutocheckpointPages: String(pages) } });
        const ledger = await openLedger({ ...config, panKey: "11".repeat(32) });
        try {
          const user = await ledger.createUser({});
          const pan = testPan(4_242);
          await ledger.issueCard(user.id, { pan, expiry: "9912", limits: { perDayCountMax: 100_000, perDayAmountMax: 1e12 } });
          await ledger.topUp(user.id, { amount: 1_000_000_000, idempotencyKey: "wal", fingerprint: "wal" });
          const requests = new RequestFactory(() => Date.now());
          for (let i = 0; i < 25; i++) await ledger.authorizeBatch(Array.from({ length: 200 }, () => requests.make(pan, { amount: 1 })));
          return statSync(`${path}-wal`).size;
        } finally {
          await ledger.close();
        }
      } finally {
        cleanup();
      }
    };
    // 5,000 authorizations write several MB of WAL: checkpoints every 100 pages keep the file near that.
    const small = await walBytesAfterLoad(100);
    const large = await walBytesAfterLoad(1_000_000);
    expect(small).toBeLessThan(2 * 1024 * 1024);
    expect(large).toBeGreaterThan(2 * small);
  }, 60_000);
});

describe("SQLite transaction changes (schema 3)", () => {
  test("a reversal leaves its original's row as written and records the change beside it, read back after a restart", async () => {
    const { path, cleanup } = tempPath();
    try {
      let ledger = await openSqliteLedger(options(path, { recentRecordsMax: 0 }));
      const user = await ledger.createUser({});
      const pan = testPan(7_007);
      await ledger.issueCard(user.id, { pan, expiry: "9912" });
      await ledger.topUp(user.id, { amount: 10_000, idempotencyKey: "t", fingerprint: "t" });
      const requests = new RequestFactory(() => TEST_NOW_MS);
      const original = requests.make(pan, { amount: 4_000 });
      await ledger.authorizeBatch([original]);
      await ledger.authorizeBatch([requests.reversal(original, { replacementAmount: 1_000 })]);
      await ledger.close();
      const db = new Database(path, { readonly: true });
      try {
        const written = db.query("SELECT seq, status, hold_state, hold_amount_minor, reversed_amount_minor FROM transactions WHERE key = ?").get(original.key);
        const now = db.query("SELECT status, hold_state, hold_amount_minor, reversed_amount_minor FROM transactions_now WHERE key = ?").get(original.key);
        expect(written).toMatchObject({ status: "approved", hold_state: "pending", hold_amount_minor: 4_000, reversed_amount_minor: 0 });
        expect(now).toEqual({ status: "partially_reversed", hold_state: "pending", hold_amount_minor: 1_000, reversed_amount_minor: 3_000 });
        expect((db.query("SELECT COUNT(*) AS n FROM transaction_changes WHERE seq = ?").get((written as { seq: number }).seq) as { n: number }).n).toBe(1);
      } finally {
        db.close();
      }
      ledger = await openSqliteLedger(options(path, { recentRecordsMax: 0 }));
      const [again] = await ledger.authorizeBatch([requests.reversal(original)]);
      expect(again!.responseCode).toBe("00");
      expect((await ledger.getUser(user.id))!.balances).toMatchObject({ heldAmount: 0, availableBalance: 10_000 });
      expect((await ledger.checkConsistency()).consistent).toBe(true);
      await ledger.close();
    } finally {
      cleanup();
    }
  });

  test("the consistency check finds a change that names no transaction", async () => {
    const { path, cleanup } = tempPath();
    try {
      await (await openSqliteLedger(options(path))).close();
      const db = new Database(path);
      db.run("INSERT INTO transaction_changes (seq, status, reversed_amount_minor) VALUES (999, 'reversed', 0)");
      db.close();
      const ledger = await openSqliteLedger(options(path));
      expect(await ledger.checkConsistency()).toMatchObject({ consistent: false, holdsInvalid: 1 });
      await ledger.close();
    } finally {
      cleanup();
    }
  });
});
