import type { Ledger } from "../../src/ledger/ledger.ts";
import { openPostgresLedger, type PostgresLedgerOptions } from "../../src/ledger/postgres/postgres-ledger.ts";
import { SeededRandom } from "../../src/sim/random.ts";
import { createTestDatabase } from "../support/postgres.ts";
import { TEST_PAN_KEY_HEX, type HarnessOptions, type LedgerHarness } from "./harness.ts";
import { ledgerCases } from "./ledger.cases.ts";
import { propertyCases } from "./ledger.property.ts";

/**
 * The shared ledger suite on PostgreSQL: each harness a database of its own on the test server, its clock
 * and randomness under the test's control. With `instances: 2`, every call goes to the next of two
 * instances on that database in turn — whatever one instance remembers must never hide what the other
 * changed.
 */
export async function openPostgresHarness(
  options: HarnessOptions,
  extra: Partial<PostgresLedgerOptions> = {},
  instances: 1 | 2 = 1,
): Promise<LedgerHarness> {
  const database = await createTestDatabase();
  const random = new SeededRandom(options.seed ?? 1);
  let ledgers: Ledger[] = [];
  let turn = 0;
  const open = () =>
    openPostgresLedger({
      url: database.url,
      poolMax: 4,
      connectTimeoutMs: 5000,
      statementTimeoutMs: 10_000,
      holdTimeoutSeconds: options.holdTimeoutSeconds ?? 7 * 86_400,
      currency: 392,
      panKeyHex: TEST_PAN_KEY_HEX,
      clock: () => harness.nowMs,
      randomBytes: (buffer) => buffer.set(random.bytes(buffer.length)),
      ...(options.queueEvents === undefined ? {} : { queueEvents: options.queueEvents }),
      ...extra,
    });
  const openAll = async () => {
    ledgers = [];
    for (let i = 0; i < instances; i++) ledgers.push(await open());
  };
  const closeAll = () => Promise.all(ledgers.map((ledger) => ledger.close()));
  const inTurn = new Proxy({} as Ledger, {
    get(_, name: keyof Ledger) {
      const ledger = ledgers[turn++ % ledgers.length]!;
      const member = ledger[name];
      return typeof member === "function" ? member.bind(ledger) : member;
    },
  });
  const harness: LedgerHarness = {
    ledger: instances === 1 ? (undefined as never) : inTurn,
    nowMs: 0,
    async reopen() {
      await closeAll();
      await openAll();
      if (instances === 1) harness.ledger = ledgers[0]!;
    },
    async dispose() {
      await closeAll();
      await database.drop();
    },
  };
  try {
    await openAll();
  } catch (error) {
    await closeAll();
    await database.drop();
    throw error;
  }
  if (instances === 1) harness.ledger = ledgers[0]!;
  return harness;
}

ledgerCases("postgres", (options) => openPostgresHarness(options));
propertyCases("postgres, two instances in turn", (options) => openPostgresHarness(options, {}, 2));
