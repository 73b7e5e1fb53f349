import type { Base1Header } from "../../src/iso8583/base1-header.ts";
import type { MessageJson } from "../../src/iso8583/message-json.ts";
import type { CompiledProfile, FieldSpec } from "../../src/iso8583/spec.ts";
import type { SeededRandom } from "../../src/sim/random.ts";

const HEX = "0123456789ABCDEF";

export function randomHeader(random: SeededRandom): Base1Header {
  return {
    headerFormat: random.int(0, 127),
    textFormat: random.int(0, 255),
    totalLength: 0,
    destination: random.digits(6),
    source: random.digits(6),
    roundTrip: random.int(0, 255),
    base1Flags: random.int(0, 0xffff),
    statusFlags: random.int(0, 0xffffff),
    batchNumber: random.int(0, 255),
    reserved: Array.from({ length: 6 }, () => random.pick([...HEX])).join(""),
    userInfo: random.int(0, 255),
  };
}

/** A random value of exactly `units` units that the field's type and encoding can carry. */
export function randomValue(random: SeededRandom, spec: FieldSpec, units: number): string {
  switch (spec.type) {
    case "n":
      return random.digits(units);
    case "xn":
      return random.pick(["C", "D"]) + random.digits(units);
    case "z": {
      const chars = spec.encoding === "bcd" ? "0123456789D" : "0123456789=";
      return Array.from({ length: units }, () => random.pick([...chars])).join("");
    }
    case "b":
      return Array.from({ length: units * 2 }, () => random.pick([...HEX])).join("");
    default: {
      // Printable ASCII mostly, and now and then any Latin-1 character: text fields carry bytes as they are.
      let s = "";
      for (let i = 0; i < units; i++) {
        s += String.fromCharCode(random.chance(0.9) ? random.int(0x20, 0x7e) : random.int(0, 0xff));
      }
      return s;
    }
  }
}

/** Units a random value gets: a fixed field's length, or anything from 0 to the maximum. */
export function randomUnits(random: SeededRandom, spec: FieldSpec): number {
  if (spec.length === "fixed") return spec.max;
  return random.chance(0.2) ? random.pick([0, 1, spec.max]) : random.int(0, spec.max);
}

export function randomMessage(random: SeededRandom, profile: CompiledProfile, fieldsMax = 40): MessageJson {
  const fields: Record<string, string> = {};
  const count = random.int(0, fieldsMax);
  for (let i = 0; i < count; i++) {
    const field = random.int(2, 128);
    const spec = profile.specs[field];
    if (spec === undefined) continue;
    fields[String(field)] = randomValue(random, spec, randomUnits(random, spec));
  }
  const json: MessageJson = { mti: random.pick(["0100", "0110", "0120", "0200", "0400", "0420", "0800"]), fields };
  if (profile.headerBytes > 0) json.header = randomHeader(random);
  return json;
}
