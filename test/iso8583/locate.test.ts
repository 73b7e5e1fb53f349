import { describe, expect, test } from "bun:test";
import { CodecError } from "../../src/iso8583/errors.ts";
import { MessageBuilder } from "../../src/iso8583/message-builder.ts";
import { jsonToBuilder } from "../../src/iso8583/message-json.ts";
import { MessageView } from "../../src/iso8583/message-view.ts";
import { loadProfile, PROFILE_NAMES } from "../../src/iso8583/profiles/index.ts";
import { SeededRandom, seedFromEnvironment } from "../../src/sim/random.ts";
import { withBrokenPrefix, withBrokenValue } from "../support/broken-frames.ts";
import { randomMessage } from "../support/random-messages.ts";
import { authorizationRequest } from "../support/wire-requests.ts";

/** The request of test/support/wire-requests.ts carries DE 2, 3, 4, 7, 11, 14, 32, 37, 41, 49. */
const ALL_FIELDS = [2, 3, 4, 7, 11, 14, 32, 37, 41, 49];

function decodeFails(view: MessageView, frame: Uint8Array): CodecError {
  try {
    view.decode(frame);
  } catch (error) {
    expect(error).toBeInstanceOf(CodecError);
    return error as CodecError;
  }
  throw new Error("decoded without error");
}

function presentFields(view: MessageView): number[] {
  return Array.from(view.presentFields.subarray(0, view.presentCount));
}

for (const name of PROFILE_NAMES) {
  const profile = loadProfile(name);

  describe(`locate (${name})`, () => {
    test("a non-digit in fixed-length DE 4: decode stops there; locate steps over it and finds DE 7 to 49", () => {
      const frame = withBrokenValue(profile, 501, 4);
      const view = new MessageView(profile);
      expect(decodeFails(view, frame)).toMatchObject({ code: "not_numeric", field: 4 });
      expect(view.has(11)).toBe(false);
      view.locate(frame);
      expect(view.mti).toBe(100);
      expect(view.complete).toBe(false);
      expect(presentFields(view)).toEqual(ALL_FIELDS.filter((field) => field !== 4));
      expect(view.has(4)).toBe(false);
      expect(view.isBroken(4)).toBe(true);
      expect(view.located(4)).toBe(true);
      expect(view.string(11)).toBe("000501");
      expect(view.string(41)).toBe("TERM0001");
      expect(() => view.integer(4)).toThrow(RangeError); // a broken field is never read as a value
    });

    test("DE 32 with a readable prefix and bad content: located, broken, its bytes as received", () => {
      const frame = withBrokenValue(profile, 502, 32);
      const view = new MessageView(profile);
      expect(decodeFails(view, frame)).toMatchObject({ field: 32 });
      view.locate(frame);
      expect(view.isBroken(32)).toBe(true);
      expect(view.has(37)).toBe(true);
      expect(view.has(49)).toBe(true);
      const received = view.asReceived(32);
      const original = new MessageView(profile).decode(authorizationRequest(profile, 502)).raw(32);
      expect(received.length).toBe(original.length);
      expect(received[0]).toBe(original[0]!); // the prefix as it was
    });

    test("DE 32 whose length prefix cannot be read: locating stops there, what came before stays", () => {
      const frame = withBrokenPrefix(profile, 503, 32);
      const view = new MessageView(profile);
      expect(decodeFails(view, frame).field).toBe(32);
      view.locate(frame);
      expect(presentFields(view)).toEqual([2, 3, 4, 7, 11, 14]);
      expect(view.located(32)).toBe(false);
      expect(view.located(37)).toBe(false);
    });

    test("a field cut short at the end of the frame is not located; the fields before it are", () => {
      const valid = authorizationRequest(profile, 504);
      const view = new MessageView(profile).locate(valid.subarray(0, valid.length - 1));
      expect(presentFields(view)).toEqual(ALL_FIELDS.filter((field) => field !== 49));
      expect(view.located(49)).toBe(false);
    });

    test("a frame that decodes locates to the same fields; decode afterwards forgets the broken ones", () => {
      const valid = authorizationRequest(profile, 505);
      const view = new MessageView(profile).locate(withBrokenValue(profile, 505, 4));
      expect(view.brokenCount).toBe(1);
      view.decode(valid);
      expect(view.brokenCount).toBe(0);
      expect(view.isBroken(4)).toBe(false);
      const decoded = presentFields(view);
      view.locate(valid);
      expect(presentFields(view)).toEqual(decoded);
      expect(view.brokenCount).toBe(0);
    });

    test("an MTI that does not read leaves nothing located", () => {
      const frame = authorizationRequest(profile, 506);
      frame[profile.headerBytes] = profile.name === "visa-base1" ? 0xaa : 0x58;
      const view = new MessageView(profile).locate(frame);
      expect(view.mti).toBe(-1);
      expect(view.presentCount).toBe(0);
    });

    test("MessageBuilder.copyAsReceived echoes a broken field byte for byte, and a sound one as copy() does", () => {
      const frame = withBrokenValue(profile, 507, 32);
      const view = new MessageView(profile).locate(frame);
      const builder = new MessageBuilder(profile).reset(110);
      if (profile.headerBytes > 0) builder.headerFrom(view);
      const answer = builder.copyAsReceived(view, 11).copyAsReceived(view, 32).copyAsReceived(view, 4).set(39, "30").encode();
      const located = new MessageView(profile).locate(answer);
      expect(located.string(11)).toBe("000507");
      expect(Buffer.from(located.asReceived(32)).equals(Buffer.from(view.asReceived(32)))).toBe(true);
      expect(located.located(4)).toBe(true); // DE 4 was sound in this frame: copied like copy() would
    });
  });
}

test("locate never throws for what decode refuses, and reads only well-formed fields", () => {
  const seed = seedFromEnvironment();
  const random = new SeededRandom(seed);
  for (const name of PROFILE_NAMES) {
    const profile = loadProfile(name);
    const view = new MessageView(profile);
    for (let i = 0; i < 3000; i++) {
      const frame = jsonToBuilder(profile, randomMessage(random, profile)).encode();
      for (let flips = random.int(1, 3); flips > 0; flips--) frame[random.int(0, frame.length - 1)] = random.int(0, 255);
      try {
        view.locate(frame);
        for (let f = 0; f < view.presentCount; f++) view.string(view.presentFields[f]!);
        for (let f = 0; f < view.brokenCount; f++) expect(view.has(view.brokenFields[f]!)).toBe(false);
      } catch (error) {
        throw new Error(`seed ${seed} (SEKISHO_SEED=${seed}), ${name} message ${i}: ${(error as Error).stack}`);
      }
    }
  }
});
