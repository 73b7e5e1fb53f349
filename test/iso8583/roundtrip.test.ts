import { describe, expect, test } from "bun:test";
import { CodecError } from "../../src/iso8583/errors.ts";
import { MessageBuilder } from "../../src/iso8583/message-builder.ts";
import { jsonToBuilder, viewToJson } from "../../src/iso8583/message-json.ts";
import { MessageView } from "../../src/iso8583/message-view.ts";
import { loadProfile, PROFILE_NAMES } from "../../src/iso8583/profiles/index.ts";
import { compileProfile, type CompiledProfile, type FieldSpec } from "../../src/iso8583/spec.ts";
import { SeededRandom, seedFromEnvironment } from "../../src/sim/random.ts";
import { randomHeader, randomMessage, randomValue } from "../support/random-messages.ts";

const PREFIX_CAPACITY: Record<string, number> = { ascii: 99, ebcdic: 99, bcd: 99, binary: 255 };

function expectCodecError(run: () => unknown, code: CodecError["code"]): CodecError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CodecError);
    expect((error as CodecError).code).toBe(code);
    return error as CodecError;
  }
  throw new Error(`expected CodecError ${code}, nothing was thrown`);
}

function encodeSingle(profile: CompiledProfile, field: number, value: string): Uint8Array {
  const builder = new MessageBuilder(profile).reset(100);
  if (profile.headerBytes > 0) builder.setHeader(randomHeader(new SeededRandom(1)));
  return builder.set(field, value).encode();
}

/** A copy of the profile in which `field` may be one unit longer: it writes what the real one must refuse. */
function widened(profile: CompiledProfile, field: number): CompiledProfile {
  const fields = profile.definition.fields.map(([n, spec]) =>
    n === field ? ([n, { ...spec, max: spec.max + 1 }] as const) : ([n, spec] as const),
  );
  return compileProfile({ ...profile.definition, name: `${profile.name}-widened`, fields });
}

for (const name of PROFILE_NAMES) {
  const profile = loadProfile(name);

  describe(`${name} round trip`, () => {
    test("random valid messages encode → decode → encode byte-identical", () => {
      const seed = seedFromEnvironment();
      const random = new SeededRandom(seed);
      const view = new MessageView(profile);
      for (let i = 0; i < 2000; i++) {
        const json = randomMessage(random, profile);
        const first = jsonToBuilder(profile, json).encode();
        try {
          view.decode(first);
          expect(view.mtiString()).toBe(json.mti);
          const second = jsonToBuilder(profile, viewToJson(view, { unmasked: true })).encode();
          expect(Buffer.from(second).equals(Buffer.from(first))).toBe(true);
        } catch (error) {
          throw new Error(`seed ${seed}, message ${i}: ${(error as Error).message}`);
        }
      }
    });

    test("every field at length 0, 1 and max round-trips; max+1 fails on encode and decode", () => {
      const random = new SeededRandom(42);
      const view = new MessageView(profile);
      for (let field = 2; field <= 128; field++) {
        const spec = profile.specs[field] as FieldSpec | undefined;
        if (spec === undefined) continue;
        const lengths = spec.length === "fixed" ? [spec.max] : [0, 1, spec.max];
        for (const units of lengths) {
          const value = randomValue(random, spec, units);
          const frame = encodeSingle(profile, field, value);
          view.decode(frame);
          expect(view.has(field)).toBe(true);
          const again = new MessageBuilder(profile).reset(100);
          if (profile.headerBytes > 0) again.setHeader(view.header()!);
          expect(Buffer.from(again.set(field, view.string(field)).encode()).equals(Buffer.from(frame))).toBe(true);
        }
        const tooLong = randomValue(random, spec, spec.max + 1);
        const error = expectCodecError(() => encodeSingle(profile, field, tooLong), "length_over_max");
        expect(error.field).toBe(field);
        const capacity = spec.length === "LLL" ? 999 : (PREFIX_CAPACITY[spec.prefix ?? ""] ?? 0);
        if (spec.length !== "fixed" && spec.max + 1 <= capacity) {
          const frame = encodeSingle(widened(profile, field), field, tooLong);
          const decodeError = expectCodecError(() => view.decode(frame), "length_over_max");
          expect(decodeError.field).toBe(field);
        }
      }
    });

    test("a fixed field shorter than its length is padded (digits left with 0, text right with spaces)", () => {
      const view = new MessageView(profile);
      view.decode(encodeSingle(profile, 4, "12345"));
      expect(view.string(4)).toBe("000000012345");
      expect(view.integer(4)).toBe(12345);
      view.decode(encodeSingle(profile, 41, "T1"));
      expect(view.string(41)).toBe("T1      ");
    });

    test("the secondary bitmap appears exactly when a field above 64 is present", () => {
      const view = new MessageView(profile);
      const primaryOnly = encodeSingle(profile, 11, "000001");
      const withSecondary = new MessageBuilder(profile).reset(800);
      if (profile.headerBytes > 0) withSecondary.setHeader(randomHeader(new SeededRandom(2)));
      const both = withSecondary.set(11, "000001").set(70, "301").encode();
      const bitmapBytes = profile.bitmapHex ? 16 : 8;
      expect(both.length - primaryOnly.length).toBe(bitmapBytes + (profile.mtiBcd ? 2 : 3));
      view.decode(both);
      expect(view.string(70)).toBe("301");
      expect(view.has(65)).toBe(false);
    });
  });
}

describe("value accessors", () => {
  const profile = loadProfile("visa-base1");
  const view = new MessageView(profile);
  const header = randomHeader(new SeededRandom(3));

  test("BCD amounts, signed amounts, EBCDIC text and binary fields read back as written", () => {
    const frame = new MessageBuilder(profile)
      .reset(100)
      .setHeader(header)
      .set(2, "4111111111111111111")
      .set(4, "000000012345")
      .set(28, "D00000150")
      .set(43, "SEKISHO MART")
      .set(52, "0123456789ABCDEF")
      .encode();
    view.decode(frame);
    expect(view.string(2)).toBe("4111111111111111111");
    expect(view.integer(4)).toBe(12345);
    expect(view.integer(28)).toBe(-150);
    expect(view.string(43)).toBe("SEKISHO MART".padEnd(40, " "));
    expect(Array.from(view.bytes(52))).toEqual([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]);
    expect(view.header()).toEqual({ ...header, totalLength: frame.length });
  });

  test("a 19-digit PAN takes 10 bytes in BCD with a left pad nibble of 0", () => {
    const frame = new MessageBuilder(profile).reset(100).setHeader(header).set(2, "4111111111111111111").encode();
    view.decode(frame);
    const raw = view.raw(2);
    expect(raw.length).toBe(11);
    expect(raw[0]).toBe(19);
    expect(raw[1]).toBe(0x04);
  });
});
