import { ProfileError } from "./errors.ts";

/**
 * Field specs as data. A profile is a table of these; the decoder and encoder never special-case a field
 * number — adding a network means adding a table (and at most a framing), not changing the codec.
 */
export type FieldType =
  | "n" // numeric digits
  | "an" // alphanumeric
  | "ans" // alphanumeric and special
  | "z" // track data: digits, field separator, padding nibbles
  | "b" // binary
  | "xn"; // sign character C/D followed by numeric digits (amounts 28–31, 97)

export type LengthKind = "fixed" | "LL" | "LLL";

/** How the value's units are stored on the wire. */
export type ValueEncoding = "ascii" | "ebcdic" | "bcd" | "binary" | "hex";

/** How an LL/LLL length prefix is stored; its count is in the field's units (digits, characters, bytes). */
export type PrefixEncoding = "ascii" | "ebcdic" | "binary" | "bcd";

/** Card data that must never reach a log, an error or a response unmasked. */
export type Sensitivity = "pan" | "track" | "pin" | "secret";

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  readonly length: LengthKind;
  /** The fixed length, or the maximum: digits for n/z/xn (sign excluded), characters for an/ans, bytes for b. */
  readonly max: number;
  readonly encoding: ValueEncoding;
  readonly prefix: PrefixEncoding | null;
  readonly sensitive: Sensitivity | null;
}

export type Framing = "length2" | "length2-vap";

export interface ProfileDefinition {
  readonly name: string;
  readonly description: string;
  /** `length2`: 2-byte big-endian length of what follows. `length2-vap`: the same, then 2 zero bytes. */
  readonly framing: Framing;
  readonly header: "none" | "base1";
  readonly mti: "ascii" | "bcd";
  readonly bitmap: "binary" | "hex";
  readonly fields: ReadonlyArray<readonly [number, FieldSpec]>;
}

// Value kinds: the (type, encoding) pairs the codec knows, as small integers for the hot loop.
export const VALUE_ASCII_DIGITS = 1;
export const VALUE_EBCDIC_DIGITS = 2;
export const VALUE_BCD_DIGITS = 3;
export const VALUE_ASCII_TEXT = 4;
export const VALUE_EBCDIC_TEXT = 5;
export const VALUE_BCD_TRACK = 6;
export const VALUE_BINARY = 7;
export const VALUE_HEX = 8;
export const VALUE_SIGNED_ASCII_DIGITS = 9;
export const VALUE_SIGNED_BCD_DIGITS = 10;

// Prefix kinds.
export const PREFIX_FIXED = 0;
export const PREFIX_LL_ASCII = 1;
export const PREFIX_LLL_ASCII = 2;
export const PREFIX_LL_EBCDIC = 3;
export const PREFIX_LLL_EBCDIC = 4;
export const PREFIX_LL_BINARY = 5;
export const PREFIX_LLL_BINARY = 6;
export const PREFIX_LL_BCD = 7;
export const PREFIX_LLL_BCD = 8;

/** Bytes the prefix occupies, by prefix kind. */
export const PREFIX_BYTES: readonly number[] = [0, 2, 3, 2, 3, 1, 2, 1, 2];
/** Largest count each prefix kind can express. */
const PREFIX_COUNT_MAX: readonly number[] = [0, 99, 999, 99, 999, 255, 65535, 99, 999];

export const FIELD_NUMBER_MAX = 128;

/** A profile compiled into flat tables indexed by field number, for the decoder and encoder loops. */
export interface CompiledProfile {
  readonly name: string;
  readonly definition: ProfileDefinition;
  readonly framing: Framing;
  /** Bytes before the MTI inside a frame (the BASE I header), 0 when the profile has none. */
  readonly headerBytes: number;
  readonly mtiBcd: boolean;
  readonly bitmapHex: boolean;
  readonly valueKind: Uint8Array;
  readonly prefixKind: Uint8Array;
  readonly unitsMax: Uint16Array;
  /** Bytes a fixed field's value takes on the wire; 0 for LL/LLL fields. */
  readonly fixedBytes: Uint16Array;
  readonly specs: ReadonlyArray<FieldSpec | undefined>;
}

function valueKindOf(spec: FieldSpec): number {
  const { type, encoding } = spec;
  if (type === "n") {
    if (encoding === "ascii") return VALUE_ASCII_DIGITS;
    if (encoding === "ebcdic") return VALUE_EBCDIC_DIGITS;
    if (encoding === "bcd") return VALUE_BCD_DIGITS;
  } else if (type === "an" || type === "ans") {
    if (encoding === "ascii") return VALUE_ASCII_TEXT;
    if (encoding === "ebcdic") return VALUE_EBCDIC_TEXT;
  } else if (type === "z") {
    if (encoding === "ascii") return VALUE_ASCII_TEXT;
    if (encoding === "ebcdic") return VALUE_EBCDIC_TEXT;
    if (encoding === "bcd") return VALUE_BCD_TRACK;
  } else if (type === "b") {
    if (encoding === "binary") return VALUE_BINARY;
    if (encoding === "hex") return VALUE_HEX;
  } else if (type === "xn") {
    if (encoding === "ascii") return VALUE_SIGNED_ASCII_DIGITS;
    if (encoding === "bcd") return VALUE_SIGNED_BCD_DIGITS;
  }
  return 0;
}

function prefixKindOf(spec: FieldSpec): number {
  if (spec.length === "fixed") return spec.prefix === null ? PREFIX_FIXED : -1;
  const ll = spec.length === "LL";
  switch (spec.prefix) {
    case "ascii":
      return ll ? PREFIX_LL_ASCII : PREFIX_LLL_ASCII;
    case "ebcdic":
      return ll ? PREFIX_LL_EBCDIC : PREFIX_LLL_EBCDIC;
    case "binary":
      return ll ? PREFIX_LL_BINARY : PREFIX_LLL_BINARY;
    case "bcd":
      return ll ? PREFIX_LL_BCD : PREFIX_LLL_BCD;
    default:
      return -1;
  }
}

/** Validates a profile table and compiles it. Any inconsistency fails here, at load, never in traffic. */
export function compileProfile(definition: ProfileDefinition): CompiledProfile {
  const name = definition.name;
  if (definition.mti !== "ascii" && definition.mti !== "bcd") throw new ProfileError(name, "no MTI encoding");
  if (definition.bitmap !== "binary" && definition.bitmap !== "hex") {
    throw new ProfileError(name, "no bitmap encoding");
  }
  if (definition.framing !== "length2" && definition.framing !== "length2-vap") {
    throw new ProfileError(name, `unknown framing ${String(definition.framing)}`);
  }
  const valueKind = new Uint8Array(FIELD_NUMBER_MAX + 1);
  const prefixKind = new Uint8Array(FIELD_NUMBER_MAX + 1);
  const unitsMax = new Uint16Array(FIELD_NUMBER_MAX + 1);
  const fixedBytes = new Uint16Array(FIELD_NUMBER_MAX + 1);
  const specs: Array<FieldSpec | undefined> = new Array(FIELD_NUMBER_MAX + 1).fill(undefined);
  for (const [field, spec] of definition.fields) {
    if (!Number.isInteger(field) || field < 2 || field > FIELD_NUMBER_MAX) {
      throw new ProfileError(name, `field number ${field} outside 2..${FIELD_NUMBER_MAX}`);
    }
    if (specs[field] !== undefined) throw new ProfileError(name, `field ${field} defined twice`);
    const value = valueKindOf(spec);
    if (value === 0) throw new ProfileError(name, `field ${field}: type ${spec.type} cannot use ${spec.encoding}`);
    const prefix = prefixKindOf(spec);
    if (prefix < 0) throw new ProfileError(name, `field ${field}: ${spec.length} needs a matching prefix`);
    if (!Number.isInteger(spec.max) || spec.max < 1) throw new ProfileError(name, `field ${field}: max < 1`);
    if (prefix !== PREFIX_FIXED && spec.max > PREFIX_COUNT_MAX[prefix]!) {
      throw new ProfileError(name, `field ${field}: max ${spec.max} exceeds what its prefix can express`);
    }
    specs[field] = spec;
    valueKind[field] = value;
    prefixKind[field] = prefix;
    unitsMax[field] = spec.max;
    if (prefix === PREFIX_FIXED) fixedBytes[field] = valueBytes(value, spec.max);
  }
  return {
    name,
    definition,
    framing: definition.framing,
    headerBytes: definition.header === "base1" ? BASE1_HEADER_BYTES : 0,
    mtiBcd: definition.mti === "bcd",
    bitmapHex: definition.bitmap === "hex",
    valueKind,
    prefixKind,
    unitsMax,
    fixedBytes,
    specs,
  };
}

export const BASE1_HEADER_BYTES = 22;

/** Bytes a value of `units` units occupies on the wire (prefix excluded). */
export function valueBytes(valueKind: number, units: number): number {
  switch (valueKind) {
    case VALUE_BCD_DIGITS:
    case VALUE_BCD_TRACK:
      return (units + 1) >> 1;
    case VALUE_HEX:
      return units * 2;
    case VALUE_SIGNED_ASCII_DIGITS:
      return 1 + units;
    case VALUE_SIGNED_BCD_DIGITS:
      return 1 + ((units + 1) >> 1);
    default:
      return units;
  }
}

// Declaration helpers, so a profile table reads like the network's own field list.
type Extra = { sensitive?: Sensitivity };

export function fixed(name: string, type: FieldType, max: number, encoding: ValueEncoding, extra: Extra = {}): FieldSpec {
  return { name, type, length: "fixed", max, encoding, prefix: null, sensitive: extra.sensitive ?? null };
}

export function llvar(
  name: string,
  type: FieldType,
  max: number,
  encoding: ValueEncoding,
  prefix: PrefixEncoding,
  extra: Extra = {},
): FieldSpec {
  return { name, type, length: "LL", max, encoding, prefix, sensitive: extra.sensitive ?? null };
}

export function lllvar(
  name: string,
  type: FieldType,
  max: number,
  encoding: ValueEncoding,
  prefix: PrefixEncoding,
  extra: Extra = {},
): FieldSpec {
  return { name, type, length: "LLL", max, encoding, prefix, sensitive: extra.sensitive ?? null };
}
