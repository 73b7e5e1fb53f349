import { describe, expect, test } from "bun:test";
import { CodecError, ProfileError } from "../../src/iso8583/errors.ts";
import { MessageBuilder } from "../../src/iso8583/message-builder.ts";
import { jsonToBuilder } from "../../src/iso8583/message-json.ts";
import { MessageView } from "../../src/iso8583/message-view.ts";
import { loadProfile } from "../../src/iso8583/profiles/index.ts";
import { iso87Ascii } from "../../src/iso8583/profiles/iso87-ascii.ts";
import { compileProfile, fixed, llvar } from "../../src/iso8583/spec.ts";

const ascii = loadProfile("iso87-ascii");
const hex = loadProfile("iso87-ascii-hex");
const base1 = loadProfile("visa-base1");
const latin1 = (s: string) => Uint8Array.from(Buffer.from(s, "latin1"));

function decodeError(profile: typeof ascii, frame: Uint8Array): CodecError {
  try {
    new MessageView(profile).decode(frame);
  } catch (error) {
    expect(error).toBeInstanceOf(CodecError);
    return error as CodecError;
  }
  throw new Error("decoded without error");
}

/** 0100 with DE 2 and DE 11 in iso87-ascii: MTI, binary bitmap, then the fields. */
function asciiFrame(fields: string, bitmap = [0x40, 0x20, 0, 0, 0, 0, 0, 0]): Uint8Array {
  return Uint8Array.from([...latin1("0100"), ...bitmap, ...latin1(fields)]);
}

describe("decode errors carry a code, the field and the byte offset, never the value", () => {
  test("truncated value", () => {
    const error = decodeError(ascii, asciiFrame("164111111111"));
    expect(error).toMatchObject({ code: "truncated", field: 2, offset: 14 });
    expect(error.message).not.toContain("4111");
  });
  test("truncated length prefix", () => {
    expect(decodeError(ascii, asciiFrame("1"))).toMatchObject({ code: "truncated", field: 2, offset: 12 });
  });
  test("non-numeric digits", () => {
    const error = decodeError(ascii, asciiFrame("164111111111111111A23456"));
    expect(error).toMatchObject({ code: "not_numeric", field: 11, offset: 30 });
  });
  test("a length prefix that is not digits", () => {
    expect(decodeError(ascii, asciiFrame("1X4111"))).toMatchObject({ code: "length_invalid", field: 2 });
  });
  test("a length over the field's maximum", () => {
    expect(decodeError(ascii, asciiFrame("20" + "4".repeat(20) + "123456"))).toMatchObject({
      code: "length_over_max",
      field: 2,
      offset: 12,
    });
  });
  test("bytes left after the last field", () => {
    expect(decodeError(ascii, asciiFrame("164111111111111111123456XX"))).toMatchObject({
      code: "trailing_bytes",
      offset: 36,
    });
  });
  test("a bitmap bit for a field the profile does not define", () => {
    const profile = compileProfile({ ...iso87Ascii, name: "tiny", fields: [[11, fixed("STAN", "n", 6, "ascii")]] });
    expect(decodeError(profile, asciiFrame("164111111111111111123456"))).toMatchObject({
      code: "field_not_in_spec",
      field: 2,
    });
  });
  test("a missing bitmap", () => {
    expect(decodeError(ascii, latin1("0100\x40\x20"))).toMatchObject({ code: "bitmap_missing", field: 1, offset: 4 });
    expect(decodeError(hex, latin1("0100402000"))).toMatchObject({ code: "bitmap_missing", field: 1 });
  });
  test("a hex bitmap with a character that is not hex", () => {
    expect(decodeError(hex, latin1("0100402000000000000G"))).toMatchObject({ code: "invalid_hex", field: 1 });
  });
  test("a truncated secondary bitmap", () => {
    expect(decodeError(ascii, Uint8Array.from([...latin1("0800"), 0x82, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toMatchObject({
      code: "truncated",
      field: 1,
    });
  });
  test("an MTI that is not digits, or missing", () => {
    expect(decodeError(ascii, latin1("01X0"))).toMatchObject({ code: "mti_invalid", field: 0 });
    expect(decodeError(ascii, latin1("01"))).toMatchObject({ code: "truncated", field: 0 });
  });
  test("an amount without its C/D sign", () => {
    const frame = Uint8Array.from([...latin1("0100"), 0, 0, 0, 0x10, 0, 0, 0, 0, ...latin1("X00000100")]);
    expect(decodeError(ascii, frame)).toMatchObject({ code: "invalid_sign", field: 28 });
  });
  test("BCD: a nibble above 9, and a non-zero pad nibble", () => {
    const header = new MessageBuilder(base1).reset(100);
    header.setHeader({
      headerFormat: 1, textFormat: 2, totalLength: 0, destination: "000001", source: "000002",
      roundTrip: 0, base1Flags: 0, statusFlags: 0, batchNumber: 0, reserved: "000000", userInfo: 0,
    });
    const frame = header.set(2, "4111111111111111111").set(11, "123456").encode();
    const bad = frame.slice();
    bad[bad.length - 1] = 0x5a; // STAN's last byte 0x56 → 0x5A
    expect(decodeError(base1, bad)).toMatchObject({ code: "not_numeric", field: 11 });
    const padded = frame.slice();
    padded[22 + 2 + 8 + 1] = 0x14; // DE 2: 19 digits, so the first nibble is padding and must be 0
    expect(decodeError(base1, padded)).toMatchObject({ code: "invalid_padding", field: 2 });
  });
  test("BASE I: a wrong header length or total length", () => {
    expect(decodeError(base1, new Uint8Array(10))).toMatchObject({ code: "truncated" });
    const frame = new Uint8Array(30);
    frame[0] = 20;
    expect(decodeError(base1, frame)).toMatchObject({ code: "header_invalid" });
    frame[0] = 22;
    frame[4] = 99;
    expect(decodeError(base1, frame)).toMatchObject({ code: "header_invalid", offset: 3 });
  });
  test("BASE I: a reject header is recognised, not decoded and not an error", () => {
    const frame = new Uint8Array(60);
    frame[0] = 26;
    frame[22] = 0x80;
    frame[24] = 0x01;
    frame[25] = 0x23;
    const view = new MessageView(base1).decode(frame);
    expect(view.rejected).toBe(true);
    expect(view.header()?.rejectCode).toBe("0123");
  });
});

describe("encode errors", () => {
  const build = () => new MessageBuilder(ascii).reset(100);
  test("non-digits in a numeric field", () => {
    expect(() => build().set(3, "00A000").encode()).toThrow(/not_numeric: field 3/);
  });
  test("a value over the maximum", () => {
    expect(() => build().set(2, "4".repeat(20)).encode()).toThrow(/length_over_max: field 2/);
  });
  test("a fixed binary field of the wrong length, or not hex", () => {
    expect(() => build().set(52, "0011").encode()).toThrow(/length_invalid: field 52/);
    expect(() => build().set(52, "ZZ".repeat(8)).encode()).toThrow(/invalid_hex: field 52/);
  });
  test("characters outside Latin-1", () => {
    expect(() => build().set(43, "東京").encode()).toThrow(/not_encodable: field 43/);
  });
  test("a field the profile does not define", () => {
    const tiny = compileProfile({ ...iso87Ascii, name: "tiny", fields: [[11, fixed("STAN", "n", 6, "ascii")]] });
    expect(() => new MessageBuilder(tiny).reset(100).set(2, "4111")).toThrow(/field_not_in_spec: field 2/);
  });
  test("a message larger than the buffer", () => {
    expect(() => build().set(48, "x".repeat(999)).encodeInto(new Uint8Array(100), 0)).toThrow(/length_over_max/);
  });
  test("JSON of the wrong shape names what is wrong", () => {
    expect(() => jsonToBuilder(ascii, { mti: "100", fields: {} })).toThrow(/mti must be 4 digits/);
    expect(() => jsonToBuilder(base1, { mti: "0100", fields: {} })).toThrow(/header_invalid/);
  });
});

describe("profiles are validated when they load", () => {
  const base = { ...iso87Ascii, name: "broken" };
  test("a field defined twice", () => {
    const stan = fixed("STAN", "n", 6, "ascii");
    expect(() => compileProfile({ ...base, fields: [[11, stan], [11, stan]] })).toThrow(ProfileError);
  });
  test("a field number outside 2..128", () => {
    expect(() => compileProfile({ ...base, fields: [[1, fixed("x", "n", 6, "ascii")]] })).toThrow(/outside/);
  });
  test("a type that cannot use the encoding", () => {
    expect(() => compileProfile({ ...base, fields: [[3, fixed("x", "n", 6, "hex")]] })).toThrow(/cannot use/);
  });
  test("a maximum the prefix cannot express", () => {
    expect(() => compileProfile({ ...base, fields: [[2, llvar("x", "n", 100, "ascii", "ascii")]] })).toThrow(
      /exceeds what its prefix can express/,
    );
  });
  test("no MTI or bitmap encoding", () => {
    expect(() => compileProfile({ ...base, mti: undefined as never })).toThrow(/no MTI/);
    expect(() => compileProfile({ ...base, bitmap: undefined as never })).toThrow(/no bitmap/);
  });
});
