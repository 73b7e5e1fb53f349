import { openPostgresLedger, type PostgresLedgerOptions } from "../../src/ledger/postgres/postgres-ledger.ts";
import { SeededRandom } from "../../src/sim/random.ts";
import { createTestDatabase } from "../support/postgres.ts";
import { TEST_PAN_KEY_HEX, type HarnessOptions, type LedgerHarness } from "./harness.ts";
import { ledgerCases } from "./ledger.cases.ts";

/** A PostgreSQL ledger on a fresh database of its own, its clock and randomness under the test's control. */
export async function openPostgresHarness(options: HarnessOptions, extra: Partial<PostgresLedgerOptions> = {}): Promise<LedgerHarness> {
  const database = await createTestDatabase();
  const random = new SeededRandom(options.seed ?? 1);
  const harness: LedgerHarness = {
    ledger: undefined as never,
    nowMs: 0,
    async reopen() {
      await harness.ledger.close();
      harness.ledger = await open();
    },
    async dispose() {
      await harness.ledger.close();
      await database.drop();
    },
  };
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
      ...extra,
    });
  try {
    harness.ledger = await open();
  } catch (error) {
    await database.drop();
    throw error;
  }
  return harness;
}

ledgerCases("postgres", (options) => openPostgresHarness(options));
