import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CodecError } from "../../src/iso8583/errors.ts";
import { jsonToBuilder, viewToJson } from "../../src/iso8583/message-json.ts";
import { MessageView } from "../../src/iso8583/message-view.ts";
import { loadProfile } from "../../src/iso8583/profiles/index.ts";
import { ignoredFields, validateMessage } from "../../src/iso8583/validate.ts";

// Public sample messages from moov-io/iso8583 (Apache 2.0, see the LICENSE beside them).
const DIR = join(import.meta.dir, "../fixtures/moov-io");
const profile = loadProfile("iso87-ascii-hex");

function load(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(DIR, name)));
}

const PLAIN = [
  "financial_transaction_message.dat",
  "financial_transaction_message_response.dat",
  "iso_reversal_message.dat",
  "iso_reversal_message_response.dat",
  "iso_reversal_repeat_message.dat",
  "iso_reversal_repeat_message_response.dat",
  "iso_reversal_message_advice.dat",
  "network_management_message.dat",
  "network_management_message_response.dat",
  "network_management_message_with_track.dat",
];

describe("moov-io sample messages (iso87-ascii-hex)", () => {
  for (const name of PLAIN) {
    test(`${name} decodes and re-encodes byte for byte`, () => {
      const frame = load(name);
      const view = new MessageView(profile).decode(frame);
      expect(view.complete).toBe(true);
      const again = jsonToBuilder(profile, viewToJson(view, { unmasked: true })).encode();
      expect(Buffer.from(again).toString("latin1")).toBe(Buffer.from(frame).toString("latin1"));
    });
  }

  test("iso_reversal_message.dat decodes to the published field-by-field decoding", () => {
    const expected = JSON.parse(readFileSync(join(DIR, "iso_reversal_message.json"), "utf8")) as {
      mti: string;
      elements: Record<string, string>;
    };
    const json = viewToJson(new MessageView(profile).decode(load("iso_reversal_message.dat")), { unmasked: true });
    expect(json.mti).toBe(expected.mti);
    const { "1": _secondaryBitmap, ...elements } = expected.elements;
    expect(json.fields).toEqual(elements);
  });

  test("decode masks the PAN unless asked not to", () => {
    const view = new MessageView(profile).decode(load("iso_reversal_message.dat"));
    expect(viewToJson(view, { unmasked: false }).fields["2"]).toBe("111111*********0000");
  });

  test("error_message.dat (cut short) is a truncated field, with field and offset", () => {
    try {
      new MessageView(profile).decode(load("error_message.dat"));
      throw new Error("decoded a truncated message");
    } catch (error) {
      expect(error).toBeInstanceOf(CodecError);
      const codecError = error as CodecError;
      expect(codecError.code).toBe("truncated");
      expect(codecError.field).toBe(55);
      expect(codecError.offset).toBe(185);
      expect(codecError.message).not.toContain("0003317"); // the field's content stays out of the error
    }
  });

  const NEGATIVE: ReadonlyArray<readonly [string, string, number]> = [
    ["iso_reversal_message_advice_missing_field.dat", "missing_field", 32],
    ["network_management_message_with_error_track.dat", "invalid_track", 35],
  ];
  for (const [name, code, field] of NEGATIVE) {
    test(`${name} decodes but fails validation: ${code} in field ${field}`, () => {
      const view = new MessageView(profile).decode(load(name));
      expect(validateMessage(view)).toMatchObject({ code, field });
    });
  }

  // moov-io's strict validator rejects these two; a reversal reports what already happened, so ours skips
  // the fields it has no use for (DE 13, DE 14) rather than keep the hold with a 30.
  test("iso_reversal_message_error_date.dat: its bad DE 13 is ignored in the 0400; the same fields as an 0100 fail", () => {
    const view = new MessageView(profile).decode(load("iso_reversal_message_error_date.dat"));
    expect(validateMessage(view)).toBeNull();
    expect(ignoredFields(view)).toContain(13);
    const json = viewToJson(view, { unmasked: true });
    const asRequest = new MessageView(profile).decode(jsonToBuilder(profile, { ...json, mti: "0100" }).encode());
    expect(validateMessage(asRequest)).toMatchObject({ code: "invalid_date", field: 13 });
  });

  test("iso_reversal_message_advice_unexpected_field.dat: the 0420's DE 14 is ignored, not refused", () => {
    const view = new MessageView(profile).decode(load("iso_reversal_message_advice_unexpected_field.dat"));
    expect(validateMessage(view)).toBeNull();
    expect(ignoredFields(view)).toEqual([12, 13, 14, 25]);
  });

  test("the valid requests pass validation", () => {
    for (const name of ["iso_reversal_message.dat", "iso_reversal_repeat_message.dat", "iso_reversal_message_advice.dat"]) {
      expect(validateMessage(new MessageView(profile).decode(load(name)))).toBeNull();
    }
    expect(validateMessage(new MessageView(profile).decode(load("network_management_message.dat")))).toBeNull();
  });

  test("a 0200 without a card number is decodable but not a valid request", () => {
    const view = new MessageView(profile).decode(load("financial_transaction_message.dat"));
    expect(validateMessage(view)).toMatchObject({ code: "missing_field", field: 2 });
  });
});
