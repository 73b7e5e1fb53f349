import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MIGRATIONS, SCHEMA_VERSION } from "../../src/ledger/sqlite/schema.ts";
import { openSqliteLedger, type SqliteLedgerOptions } from "../../src/ledger/sqlite/sqlite-ledger.ts";
import { RequestFactory } from "../support/requests.ts";
import { balances, cardholder, TEST_NOW_MS } from "./harness.ts";

/**
 * Files written by an earlier schema open with this build. test/fixtures/ledger/schema-v1.sql is schema 1
 * as released (an index on transactions(key)); a file made from it, holding the rows a ledger wrote, is
 * migrated at start-up and every original in it is found by its key.
 */
const SCHEMA_V1_SQL = readFileSync(join(import.meta.dir, "../fixtures/ledger/schema-v1.sql"), "utf8");
const OUTBOX_V1_COLUMNS = "seq, type, account_seq, txn_seq, data, created_at_ms, attempts, lease_owner, lease_until_ms, next_attempt_at_ms, last_error";
const V1_TABLES = ["meta", "users", "accounts", "cards", "transactions", "journal_lines", "topups", "early_reversals", "outbox"];

function options(path: string): SqliteLedgerOptions {
  return { path, synchronous: "full", busyTimeoutMs: 500, holdTimeoutSeconds: 7 * 86_400, currency: 392, panKeyHex: "6d".repeat(32), clock: () => TEST_NOW_MS };
}

/** A schema-1 file made from the fixture, holding the rows of `source` (written by a ledger). */
function schemaOneFile(path: string, source: string | null): void {
  const db = new Database(path, { create: true });
  try {
    db.run("PRAGMA journal_mode = WAL");
    db.run(SCHEMA_V1_SQL);
    db.run("PRAGMA user_version = 1");
    if (source === null) return;
    db.run(`ATTACH DATABASE '${source}' AS source`);
    db.transaction(() => {
      // The source is written by this build: its transactions as they stand now, changes applied (schema 3).
      for (const table of V1_TABLES) {
        // The outbox as schema 1 had it: without the delivery columns of schema 4, and delivered rows deleted.
        if (table === "outbox") db.run(`INSERT INTO main.outbox SELECT ${OUTBOX_V1_COLUMNS} FROM source.outbox WHERE queued = 1`);
        else db.run(`INSERT INTO main.${table} SELECT * FROM source.${table === "transactions" ? "transactions_now" : table}`);
      }
      db.run("DELETE FROM main.meta WHERE name IN ('keys_merged_through_seq', 'outbox_used_through_seq')");
    })();
    db.run("DETACH DATABASE source");
  } finally {
    db.close();
  }
}

function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "sekisho-migrate-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

describe("SQLite schema migrations", () => {
  test("schema 1 is kept as released", () => {
    expect(MIGRATIONS[0]!.version).toBe(1);
    expect(MIGRATIONS[0]!.sql).toBe(SCHEMA_V1_SQL);
  });

  test("a schema-1 file migrates: its keys move to transaction_keys and every original is found", async () => {
    const { dir, cleanup } = tempDir();
    try {
      // Rows as a ledger writes them, copied into a file made from schema 1.
      const source = join(dir, "source.db");
      let ledger = await openSqliteLedger(options(source));
      const requests = new RequestFactory(() => TEST_NOW_MS);
      const holder = await cardholder(ledger, { funds: 50_000, limits: { perDayCountMax: 1_000 } });
      const duplicated = requests.make(holder.pan, { amount: 1_000 });
      const reversed = requests.make(holder.pan, { amount: 2_000 });
      const advised = requests.make(holder.pan, { amount: 3_000 });
      const purchase = requests.make(holder.pan, { mti: 200, amount: 4_000 });
      const first = await ledger.authorizeBatch([duplicated, reversed, advised, purchase]);
      for (let i = 0; i < 20; i++) await ledger.authorizeBatch([requests.make(holder.pan, { amount: 10 + i })]);
      await ledger.close();
      const path = join(dir, "ledger.db");
      schemaOneFile(path, source);

      ledger = await openSqliteLedger(options(path));
      const keyed = 24;
      expect(ledger.keyIndexStats()).toMatchObject({ recentKeys: 0, mergedThroughSeq: 1 + keyed });
      expect(await ledger.checkConsistency()).toMatchObject({ consistent: true });
      const later = await ledger.authorizeBatch([
        requests.again(duplicated, { mti: 101 }),
        requests.reversal(reversed),
        requests.again(advised, { mti: 120, amount: 2_500, networkResponseCode: "00" }),
        requests.reversal(purchase, { replacementAmount: 1_000 }),
      ]);
      expect(later[0]).toMatchObject({ approvalCode: first[0]!.approvalCode, replayed: true });
      expect(later.slice(1).map((d) => [d.responseCode, d.replayed])).toEqual([["00", false], ["00", false], ["00", false]]);
      const heldBefore = 1_000 + 2_000 + 3_000 + (10 * 20 + (19 * 20) / 2);
      expect(await balances(ledger, holder.userId)).toMatchObject({ heldAmount: heldBefore - 2_000 - 500, ledgerBalance: 50_000 - 1_000 });
      expect(await ledger.checkConsistency()).toMatchObject({ consistent: true });
      await ledger.close();

      const db = new Database(path, { readonly: true });
      try {
        expect((db.query("PRAGMA user_version").get() as { user_version: number }).user_version).toBe(SCHEMA_VERSION);
        expect(db.query("SELECT name FROM sqlite_master WHERE name = 'transactions_key'").all()).toEqual([]);
        expect((db.query("SELECT COUNT(*) AS n FROM transaction_keys").get() as { n: number }).n).toBeGreaterThanOrEqual(keyed);
      } finally {
        db.close();
      }
    } finally {
      cleanup();
    }
  });

  test("an upgraded file never numbers an event with an id it may have used, and keeps its undelivered events queued", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const source = join(dir, "source.db");
      let ledger = await openSqliteLedger(options(source));
      const waiting = await cardholder(ledger, { funds: 222 }); // events 1, 2: never delivered
      const holder = await cardholder(ledger, { funds: 111 }); // events 3, 4
      const requests = new RequestFactory(() => TEST_NOW_MS);
      await ledger.authorizeBatch([requests.make(holder.pan, { amount: 10 })]); // event 5
      // The newest events delivered before the upgrade: schema 1 deleted their rows, and numbered on from
      // the highest row left — event 3 would have been handed out again.
      for (;;) {
        const claimed = await ledger.claimOutbox({ limit: 10, leaseMs: 30_000, owner: "old", nowMs: TEST_NOW_MS });
        const mine = claimed.filter((event) => event.data.user_id === holder.userId);
        for (const event of mine) await ledger.completeOutbox(event.id, "old");
        for (const event of claimed) if (!mine.includes(event)) await ledger.retryOutbox(event.id, "old", TEST_NOW_MS, "not yet");
        if (mine.length === 0) break;
      }
      const issued = (await ledger.listEvents({ limit: 100 })).items.map((event) => event.id);
      expect(issued).toHaveLength(5);
      await ledger.close();
      const path = join(dir, "ledger.db");
      schemaOneFile(path, source);

      ledger = await openSqliteLedger(options(path));
      expect(await ledger.outboxBacklog()).toBe(2);
      const claimed = await ledger.claimOutbox({ limit: 10, leaseMs: 30_000, owner: "new", nowMs: TEST_NOW_MS });
      expect(claimed.map((event) => [event.id, event.data.user_id])).toEqual([[issued[0]!, waiting.userId]]);
      await ledger.topUp(holder.userId, { amount: 333, idempotencyKey: "after-upgrade", fingerprint: "333" });
      await ledger.close();
      ledger = await openSqliteLedger(options(path));
      await ledger.topUp(holder.userId, { amount: 444, idempotencyKey: "after-restart", fingerprint: "444" });
      const listed = (await ledger.listEvents({ limit: 100 })).items.map((event) => event.id);
      expect(listed.slice(0, 2)).toEqual(issued.slice(0, 2));
      const after = listed.slice(2);
      expect(after).toHaveLength(2);
      for (const id of after) expect(id > issued[issued.length - 1]!).toBe(true);
      expect(after[1]! > after[0]!).toBe(true);
      await ledger.close();
    } finally {
      cleanup();
    }
  });

  test("a schema-4 file migrates to 5: its events show no balances, new ones do, and history finds each top-up's id", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, "ledger.db");
      let ledger = await openSqliteLedger(options(path));
      const holder = await cardholder(ledger, { funds: 5_000 });
      const [before] = (await ledger.listTransactions(holder.userId, { limit: 1 })).items;
      await ledger.close();
      // The file as schema 4 left it: without the balance columns and the top-ups' index of schema 5.
      const old = new Database(path);
      try {
        old.run("DROP INDEX topups_txn");
        old.run("ALTER TABLE outbox DROP COLUMN ledger_balance_minor");
        old.run("ALTER TABLE outbox DROP COLUMN available_balance_minor");
        old.run("PRAGMA user_version = 4");
      } finally {
        old.close();
      }

      ledger = await openSqliteLedger(options(path));
      await ledger.topUp(holder.userId, { amount: 300, idempotencyKey: "after-upgrade", fingerprint: "300" });
      const events = (await ledger.listEvents({ limit: 100 })).items;
      expect(events.map((event) => [event.type, event.data.account === null])).toEqual([
        ["card.updated", true],
        ["topup", true],
        ["topup", false],
      ]);
      expect(events[2]!.data.account).toMatchObject({ currency: 392, ledger_balance: 5_300, available_balance: 5_300, held_amount: 0 });
      const history = (await ledger.listTransactions(holder.userId, { limit: 10 })).items;
      expect(history.map((item) => [item.kind, item.topUpId?.startsWith("top_")])).toEqual([
        ["topup", true],
        ["topup", true],
      ]);
      expect(history[1]!.id).toBe(before!.id);
      expect(history[1]!.topUpId).toBe(before!.topUpId);
      await ledger.close();

      const db = new Database(path, { readonly: true });
      try {
        expect((db.query("PRAGMA user_version").get() as { user_version: number }).user_version).toBe(SCHEMA_VERSION);
        expect(db.query("SELECT name FROM sqlite_master WHERE name = 'topups_txn'").all()).toEqual([{ name: "topups_txn" }]);
      } finally {
        db.close();
      }
    } finally {
      cleanup();
    }
  });

  test("an empty schema-1 file migrates", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, "ledger.db");
      schemaOneFile(path, null);
      const ledger = await openSqliteLedger(options(path));
      expect(ledger.keyIndexStats()).toMatchObject({ recentKeys: 0, mergedThroughSeq: 0 });
      const holder = await cardholder(ledger);
      const request = new RequestFactory(() => TEST_NOW_MS).make(holder.pan);
      await ledger.authorizeBatch([request]);
      expect((await ledger.authorizeBatch([request]))[0]!.replayed).toBe(true);
      expect((await ledger.checkConsistency()).consistent).toBe(true);
      await ledger.close();
    } finally {
      cleanup();
    }
  });
});
