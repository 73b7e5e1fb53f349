import { afterEach, describe, expect, test } from "bun:test";
import { MessageView } from "../../src/iso8583/message-view.ts";
import { loadProfile, PROFILE_NAMES } from "../../src/iso8583/profiles/index.ts";
import type { CompiledProfile } from "../../src/iso8583/spec.ts";
import { withBrokenPrefix, withBrokenValue } from "../support/broken-frames.ts";
import { startHarness, type Harness } from "../support/processor-harness.ts";
import { ScriptedLedger } from "../support/scripted-ledger.ts";
import type { ReceivedFrame } from "../support/test-network.ts";
import { concatBytes } from "../support/wire-requests.ts";

let harness: Harness | null = null;
afterEach(async () => {
  await harness?.stop();
  harness = null;
});

/** A field's bytes as they sit in `frame` (prefix included), broken or not; null when it cannot be located. */
function asReceived(profile: CompiledProfile, frame: Uint8Array, field: number): string | null {
  const view = new MessageView(profile).locate(frame);
  return view.located(field) ? Buffer.from(view.asReceived(field)).toString("hex") : null;
}

/** The answer whose DE 11, as received, is the request's. */
function answerTo(profile: CompiledProfile, answers: ReceivedFrame[], request: Uint8Array): ReceivedFrame {
  const stan = asReceived(profile, request, 11);
  const found = answers.filter((answer) => asReceived(profile, answer.frame, 11) === stan);
  expect(found.length).toBe(1);
  return found[0]!;
}

for (const name of PROFILE_NAMES) {
  const profile = loadProfile(name);

  describe(`requests that do not decode (${name})`, () => {
    test("answered 30 when MTI, bitmap and DE 11 can be located, identifying fields echoed as received", async () => {
      const ledger = new ScriptedLedger();
      harness = startHarness({ profileName: name, ledger });
      await harness.network.until(() => harness!.processor.ready, 5000, "ready");
      const connection = harness.network.signedOnConnections()[0]!;
      const amountBroken = withBrokenValue(profile, 601, 4); // letters in DE 4 (nibble A in BCD)
      const acquirerBroken = withBrokenValue(profile, 602, 32); // DE 32's prefix reads, its content does not
      const acquirerUnreadable = withBrokenPrefix(profile, 603, 32); // DE 32's length cannot be known
      const stanBroken = withBrokenValue(profile, 604, 11);
      const frames = [amountBroken, acquirerBroken, acquirerUnreadable, stanBroken];
      await harness.network.write(connection, concatBytes(frames.map((frame) => harness!.network.framed(frame))));
      await harness.network.until(() => connection.responses().length === 4, 5000, "four answers");
      const answers = connection.responses();
      expect(answers.every((answer) => answer.mti === "0110" && answer.fields.get(39) === "30")).toBe(true);

      const amount = answerTo(profile, answers, amountBroken);
      for (const field of [7, 11, 32, 37, 41]) {
        expect(asReceived(profile, amount.frame, field)).toBe(asReceived(profile, amountBroken, field));
      }
      expect(amount.fields.get(11)).toBe("000601");
      expect(amount.fields.has(4)).toBe(false); // letters are not echoed back as an amount

      const acquirer = answerTo(profile, answers, acquirerBroken);
      expect(asReceived(profile, acquirer.frame, 32)).toBe(asReceived(profile, acquirerBroken, 32));
      expect(acquirer.fields.get(11)).toBe("000602");
      expect(acquirer.fields.get(41)).toBe("TERM0001");

      // Nothing after a prefix that cannot be read can be placed: DE 32, 37 and 41 stay out.
      const unreadable = answerTo(profile, answers, acquirerUnreadable);
      expect(unreadable.fields.get(11)).toBe("000603");
      expect(unreadable.fields.get(7)).toBe("1126101010");
      for (const field of [32, 37, 41]) expect(asReceived(profile, unreadable.frame, field)).toBeNull();

      const stan = answerTo(profile, answers, stanBroken);
      expect(stan.fields.has(11)).toBe(false); // broken, so echoed only as received
      expect(stan.fields.get(32)).toBe("123456");

      expect(ledger.seen.length).toBe(0);
      const metrics = harness.registry.render();
      expect(metrics).toContain('sekisho_messages_total{mti="0100",response_code="30"} 4');
      expect(connection.closed).toBe(false);
    });
  });
}
