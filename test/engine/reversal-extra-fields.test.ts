import { afterEach, describe, expect, test } from "bun:test";
import { MessageBuilder } from "../../src/iso8583/message-builder.ts";
import { loadProfile, type ProfileName } from "../../src/iso8583/profiles/index.ts";
import type { CompiledProfile } from "../../src/iso8583/spec.ts";
import { startHarness, type Harness } from "../support/processor-harness.ts";
import { testPan } from "../support/requests.ts";
import { openTestLedger, type TestLedger } from "../support/test-ledger.ts";
import { TEST_HEADER } from "../support/test-network.ts";
import { authorizationRequest } from "../support/wire-requests.ts";

let harness: Harness | null = null;
let store: TestLedger | null = null;
afterEach(async () => {
  await harness?.stop();
  await store?.cleanup();
  harness = null;
  store = null;
});

const TRANSMISSION = "1126101010";
const ACQUIRER = "123456";

/**
 * An 0400 for the 0100 with STAN `originalStan`, as an acquirer may send it: its own STAN, DE 90 naming the
 * original, and the card's expiry (DE 14) and the local date and time (DE 12, 13) besides.
 */
function reversalWithExpiry(profile: CompiledProfile, pan: string, stan: number, originalStan: number): Uint8Array {
  const builder = new MessageBuilder(profile).reset(400);
  if (profile.headerBytes > 0) builder.setHeader(TEST_HEADER);
  return builder
    .set(2, pan)
    .set(3, "000000")
    .setInteger(4, 1000)
    .set(7, TRANSMISSION)
    .set(11, String(stan).padStart(6, "0"))
    .set(12, "101010")
    .set(13, "1126")
    .set(14, "3012")
    .set(32, ACQUIRER)
    .set(37, "000000000001")
    .set(41, "TERM0001")
    .set(49, "392")
    .set(90, "0100" + String(originalStan).padStart(6, "0") + TRANSMISSION + ACQUIRER.padStart(11, "0") + "0".repeat(11))
    .encode();
}

const PROFILES: ProfileName[] = ["iso87-ascii", "visa-base1"];

for (const name of PROFILES) {
  const profile = loadProfile(name);

  describe(`a reversal carrying DE 14 (${name}), end to end through the SQLite ledger`, () => {
    test("is accepted (00) and releases the hold of its original", async () => {
      store = await openTestLedger();
      const ledger = store.ledger;
      const pan = testPan(name === "visa-base1" ? 8102 : 8101);
      const user = await ledger.createUser({ name: "Reversal Test", currency: 392 });
      await ledger.topUp(user.id, { amount: 5000, currency: 392, idempotencyKey: crypto.randomUUID(), fingerprint: crypto.randomUUID() });
      await ledger.issueCard(user.id, { pan, expiry: "3012" });

      harness = startHarness({ profileName: name, ledger });
      await harness.network.until(() => harness!.processor.ready, 5000, "ready");
      const connection = harness.network.signedOnConnections()[0]!;

      const purchase = authorizationRequest(profile, 701, { pan, amount: 1000, transmission: TRANSMISSION, acquirer: ACQUIRER });
      await harness.network.write(connection, harness.network.framed(purchase));
      await harness.network.until(() => connection.responses().length === 1, 5000, "the 0110");
      expect(connection.responses()[0]!.fields.get(39)).toBe("00");
      expect((await ledger.getUser(user.id))!.balances.heldAmount).toBe(1000);

      await harness.network.write(connection, harness.network.framed(reversalWithExpiry(profile, pan, 702, 701)));
      await harness.network.until(() => connection.responses().length === 2, 5000, "the 0410");
      const answer = connection.responses()[1]!;
      expect(answer.mti).toBe("0410");
      expect(answer.fields.get(39)).toBe("00");
      expect(answer.fields.get(11)).toBe("000702");
      const balances = (await ledger.getUser(user.id))!.balances;
      expect(balances.heldAmount).toBe(0);
      expect(balances.availableBalance).toBe(5000);
      expect(harness.registry.render()).not.toMatch(/^sekisho_format_errors_total\{.*\} [1-9]/m);
      const ignored = harness.logLines.map((line) => JSON.parse(line)).find((line) => line.event === "dispatch.fields_ignored");
      expect(ignored).toMatchObject({ level: "debug", mti: "0400", fields: [12, 13, 14] });
    });
  });
}
