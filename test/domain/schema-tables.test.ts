import { describe, expect, test } from "bun:test";
import { CARD_STATUSES, CARD_STATUS_TABLE, TERMINAL_CARD_STATUSES } from "../../src/domain/card-status.ts";
import { AUTHORIZED_MTIS, MESSAGE_TYPES, messageKind } from "../../src/domain/message-kinds.ts";
import { KEYED_MTIS, MIGRATIONS as POSTGRES_MIGRATIONS } from "../../src/ledger/postgres/schema.ts";
import { MIGRATIONS as SQLITE_MIGRATIONS } from "../../src/ledger/sqlite/schema.ts";

/**
 * The SQL both ledgers create spells out some of the domain tables (a released migration never changes,
 * so it cannot import them): what the newest migration says must be what the tables say.
 */
function allSql(migrations: readonly { readonly sql: string }[]): string {
  return migrations.map((migration) => migration.sql).join("\n");
}

/** Every `status … CHECK (status IN (…))` of the cards table, in migration order. */
function cardStatusChecks(sql: string): string[][] {
  const checks = [...sql.matchAll(/CREATE TABLE cards \(([\s\S]*?)\n\)/g)].flatMap((table) =>
    [...table[1]!.matchAll(/status \w+ NOT NULL CHECK \(status IN \(([^)]*)\)\)/gi)].map((check) => check[1]!),
  );
  return checks.map((list) => list.split(",").map((item) => item.trim().replace(/^'|'$/g, "")));
}

describe("card statuses in the schemas", () => {
  for (const [name, migrations] of [
    ["SQLite", SQLITE_MIGRATIONS],
    ["PostgreSQL", POSTGRES_MIGRATIONS],
  ] as const) {
    test(`${name}: the CHECK on cards.status lists the card-status table`, () => {
      const checks = cardStatusChecks(allSql(migrations));
      expect(checks.length).toBeGreaterThan(0);
      expect(checks.at(-1)!).toEqual([...CARD_STATUSES]);
      expect(allSql(migrations)).not.toMatch(/ALTER TABLE cards[^;]*status/i); // no later migration changes it
    });
  }

  test("the table: five statuses, lost / stolen / closed final, each decline with its code", () => {
    expect([...CARD_STATUSES]).toEqual(["active", "suspended", "lost", "stolen", "closed"]);
    expect(TERMINAL_CARD_STATUSES).toEqual(["lost", "stolen", "closed"]);
    expect(CARD_STATUSES.map((status) => CARD_STATUS_TABLE[status].declineCode)).toEqual([null, "62", "41", "43", "46"]);
  });
});

describe("keyed message types in the PostgreSQL schema", () => {
  test("the newest transactions_key index covers exactly the MTIs the ledger decides, as the reads do", () => {
    const indexes = [...allSql(POSTGRES_MIGRATIONS).matchAll(/CREATE UNIQUE INDEX transactions_key ON transactions \(key, kind\) WHERE mti IN (\([^)]*\))/g)];
    expect(indexes.length).toBeGreaterThan(0);
    expect(indexes.at(-1)![1]).toBe(KEYED_MTIS);
    expect(KEYED_MTIS).toBe(`(${[...AUTHORIZED_MTIS].join(", ")})`);
  });

  test("every repeat is of the kind and key class of what it repeats", () => {
    for (const [mti, type] of MESSAGE_TYPES) {
      expect(type.keyClass).toBe(String(Math.floor(mti / 100)).padStart(2, "0"));
      if (type.repeatOf === null) continue;
      const original = MESSAGE_TYPES.get(type.repeatOf)!;
      expect({ mti, kind: type.kind, keyClass: type.keyClass, validation: type.validation }).toEqual({
        mti,
        kind: original.kind,
        keyClass: original.keyClass,
        validation: original.validation,
      });
    }
    expect(messageKind(201)).toBe("financial");
  });
});
