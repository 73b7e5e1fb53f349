import { describe, expect, test } from "bun:test";
import { MessageBuilder } from "../../src/iso8583/message-builder.ts";
import { MessageView } from "../../src/iso8583/message-view.ts";
import { loadProfile } from "../../src/iso8583/profiles/index.ts";
import { CLASS_RULES, ignoredFields, validateMessage } from "../../src/iso8583/validate.ts";

const profile = loadProfile("iso87-ascii");

function decoded(mti: number, fields: Record<number, string>): MessageView {
  const builder = new MessageBuilder(profile).reset(mti);
  for (const [field, value] of Object.entries(fields)) builder.set(Number(field), value);
  return new MessageView(profile).decode(builder.encode());
}

const PURCHASE: Record<number, string> = {
  2: "4111111111111111",
  3: "000000",
  4: "000000001000",
  7: "1126101010",
  11: "000123",
  32: "123456",
  37: "000000000001",
  41: "TERM0001",
  49: "392",
};
const TRACK_2 = "4111111111111111=30121010000000000000";

describe("extra fields: reversals and advices ignore what they have no use for", () => {
  for (const mti of [400, 401, 420, 421]) {
    test(`an ${String(mti).padStart(4, "0")} with the card's expiry (DE 14), valid or not, and track 2 is accepted`, () => {
      expect(validateMessage(decoded(mti, { ...PURCHASE, 14: "3012" }))).toBeNull();
      expect(validateMessage(decoded(mti, { ...PURCHASE, 14: "3013", 35: "not a track", 13: "9099", 45: "B4111" }))).toBeNull();
    });
  }

  test("a reversal still needs what identifies it and what it acts on", () => {
    for (const field of [2, 3, 4, 7, 11, 32]) {
      const fields: Record<number, string> = { ...PURCHASE, 14: "3012" };
      delete fields[field];
      expect(validateMessage(decoded(400, fields))).toMatchObject({ code: "missing_field", field });
    }
    expect(validateMessage(decoded(400, { ...PURCHASE, 7: "1326101010" }))).toMatchObject({ code: "invalid_date", field: 7 });
  });

  test("an advice ignores DE 14 and date fields it does not read; the card it is read from must be sound", () => {
    expect(validateMessage(decoded(120, { ...PURCHASE, 39: "00", 14: "3013", 15: "1399" }))).toBeNull();
    expect(validateMessage(decoded(120, { ...PURCHASE, 39: "00", 35: "garbled" }))).toBeNull(); // the card is DE 2
    const onlyTrack: Record<number, string> = { ...PURCHASE, 39: "00", 35: "garbled" };
    delete onlyTrack[2];
    expect(validateMessage(decoded(121, onlyTrack))).toMatchObject({ code: "invalid_track", field: 35 });
    expect(validateMessage(decoded(121, { ...onlyTrack, 35: TRACK_2 }))).toBeNull();
  });

  test("ignoredFields lists the numbers a reversal or advice skips, nothing for a request", () => {
    expect(ignoredFields(decoded(400, { ...PURCHASE, 14: "3012", 12: "101010" }))).toEqual([12, 14]);
    expect(ignoredFields(decoded(120, { ...PURCHASE, 39: "00", 14: "3012" }))).toEqual([14]);
    expect(ignoredFields(decoded(100, { ...PURCHASE, 14: "3012", 12: "101010" }))).toEqual([]);
  });
});

describe("requests stay strict", () => {
  test("every date field present must be valid, used or not; track 2 must be track 2 even beside DE 2", () => {
    expect(validateMessage(decoded(100, { ...PURCHASE, 14: "3012" }))).toBeNull();
    expect(validateMessage(decoded(100, { ...PURCHASE, 14: "3013" }))).toMatchObject({ code: "invalid_date", field: 14 });
    expect(validateMessage(decoded(200, { ...PURCHASE, 15: "1399" }))).toMatchObject({ code: "invalid_date", field: 15 });
    expect(validateMessage(decoded(101, { ...PURCHASE, 35: "garbled" }))).toMatchObject({ code: "invalid_track", field: 35 });
  });

  test("a request needs a card: DE 2 or DE 35", () => {
    const noCard = { ...PURCHASE };
    delete noCard[2];
    expect(validateMessage(decoded(100, noCard))).toMatchObject({ code: "missing_field", field: 2 });
    expect(validateMessage(decoded(100, { ...noCard, 35: TRACK_2 }))).toBeNull();
  });

  test("the table covers every MTI the engine sends to the ledger but 0201, and 0800", () => {
    expect([...CLASS_RULES.keys()].sort((a, b) => a - b)).toEqual([100, 101, 120, 121, 200, 201, 400, 401, 420, 421, 800]);
    for (const mti of [100, 101, 200, 201]) expect(CLASS_RULES.get(mti)!.extra).toBe("checked");
    for (const mti of [120, 121, 400, 401, 420, 421]) expect(CLASS_RULES.get(mti)!.extra).toBe("ignored");
  });
});
