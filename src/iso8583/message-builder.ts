import {
  copyBase1HeaderSwapped,
  patchBase1TotalLength,
  writeBase1Header,
  type Base1Header,
} from "./base1-header.ts";
import {
  hexTextToBytes,
  isDigits,
  isHexText,
  isLatin1,
  isNibbleText,
  writeBcd,
  writeDecimal,
  writeEbcdic,
  writeHexChars,
  writeLatin1,
} from "./encodings.ts";
import { CodecError } from "./errors.ts";
import type { MessageView } from "./message-view.ts";
import {
  FIELD_NUMBER_MAX,
  PREFIX_BYTES,
  PREFIX_FIXED,
  PREFIX_LL_ASCII,
  PREFIX_LL_BCD,
  PREFIX_LL_BINARY,
  PREFIX_LL_EBCDIC,
  PREFIX_LLL_ASCII,
  PREFIX_LLL_BCD,
  PREFIX_LLL_BINARY,
  PREFIX_LLL_EBCDIC,
  VALUE_ASCII_DIGITS,
  VALUE_ASCII_TEXT,
  VALUE_BCD_DIGITS,
  VALUE_BCD_TRACK,
  VALUE_BINARY,
  VALUE_EBCDIC_DIGITS,
  VALUE_EBCDIC_TEXT,
  VALUE_HEX,
  VALUE_SIGNED_ASCII_DIGITS,
  VALUE_SIGNED_BCD_DIGITS,
  valueBytes,
  type CompiledProfile,
} from "./spec.ts";

const SLOT_EMPTY = 0;
const SLOT_TEXT = 1;
const SLOT_BYTES = 2;
const SLOT_RAW = 3;

const CHAR_0 = 0x30;
const HEX_DIGITS = new TextEncoder().encode("0123456789ABCDEF");
/** Below this many bytes a loop beats a native copy's call overhead (measured in Bun 1.4). */
const RAW_COPY_LOOP_MAX = 24;
/** Buffer's copy works on any Uint8Array and, unlike `set(subarray())`, allocates nothing. */
const bufferCopy = Buffer.prototype.copy as (this: Uint8Array, target: Uint8Array, targetStart: number, sourceStart: number, sourceEnd: number) => number;
const EBCDIC_0 = 0xf0;
const SPACE = 0x20;
const EBCDIC_SPACE = 0x40;

/**
 * Builds one message at a time and encodes it into a caller's buffer. Values are only recorded by the
 * setters; `encodeInto` lays them out in field order, so fields may be set in any order. Echoed fields are
 * copied byte for byte from the request (same profile, so the same layout). Reused across messages:
 * `reset` forgets the previous one without allocating.
 */
export class MessageBuilder {
  readonly profile: CompiledProfile;
  private mti = -1;
  private readonly slot = new Uint8Array(FIELD_NUMBER_MAX + 1);
  private readonly text: Array<string | undefined> = new Array(FIELD_NUMBER_MAX + 1).fill(undefined);
  private readonly byteValues: Array<Uint8Array | undefined> = new Array(FIELD_NUMBER_MAX + 1).fill(undefined);
  private readonly rawFrame: Array<Uint8Array | undefined> = new Array(FIELD_NUMBER_MAX + 1).fill(undefined);
  private readonly rawStart = new Int32Array(FIELD_NUMBER_MAX + 1);
  private readonly rawEnd = new Int32Array(FIELD_NUMBER_MAX + 1);
  private readonly words = new Uint32Array(4);
  /** The set fields in wire order, gathered once per encode. */
  private readonly order = new Uint8Array(FIELD_NUMBER_MAX);
  private headerRequest: Uint8Array | null = null;
  /** Bound of the encodeInto call in progress. */
  private limit = 0;
  private headerValue: Base1Header | null = null;

  constructor(profile: CompiledProfile) {
    this.profile = profile;
  }

  reset(mti: number): this {
    if (!Number.isInteger(mti) || mti < 0 || mti > 9999) throw new CodecError("mti_invalid", 0, -1);
    const words = this.words;
    for (let w = 0; w < 4; w++) {
      let word = words[w]!;
      while (word !== 0) {
        const bit = Math.clz32(word);
        word = (word & ~(0x80000000 >>> bit)) >>> 0;
        const field = w * 32 + bit + 1;
        this.slot[field] = SLOT_EMPTY;
        this.text[field] = undefined;
        this.byteValues[field] = undefined;
        this.rawFrame[field] = undefined;
      }
    }
    words.fill(0);
    this.mti = mti;
    this.headerRequest = null;
    this.headerValue = null;
    return this;
  }

  /** Sets a field from its text form: digits, characters, "C"/"D" + digits, or hex for binary fields. */
  set(field: number, value: string): this {
    this.mark(field);
    this.slot[field] = SLOT_TEXT;
    this.text[field] = value;
    return this;
  }

  /** Sets a numeric field from a non-negative integer (left-padded with zeros to a fixed length). */
  setInteger(field: number, value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) throw new CodecError("not_numeric", field, -1, "not a non-negative integer");
    return this.set(field, String(value));
  }

  setBytes(field: number, value: Uint8Array): this {
    this.mark(field);
    this.slot[field] = SLOT_BYTES;
    this.byteValues[field] = value;
    return this;
  }

  /** Echoes a field of `request` byte for byte, if the request has it. */
  copy(request: MessageView, field: number): this {
    if (!request.has(field)) return this;
    this.mark(field);
    this.slot[field] = SLOT_RAW;
    this.rawFrame[field] = request.frame;
    this.rawStart[field] = request.fieldStart[field]!;
    this.rawEnd[field] = request.valueEnd[field]!;
    return this;
  }

  /**
   * Echoes a field of `request` as received: like copy(), and also when MessageView.locate() found the
   * field but its content breaks its encoding (the bytes go back unchanged, prefix included).
   */
  copyAsReceived(request: MessageView, field: number): this {
    if (!request.isBroken(field)) return this.copy(request, field);
    this.mark(field);
    this.slot[field] = SLOT_RAW;
    this.rawFrame[field] = request.frame;
    this.rawStart[field] = request.brokenStart[field]!;
    this.rawEnd[field] = request.brokenEnd[field]!;
    return this;
  }

  unset(field: number): this {
    if (field < 2 || field > FIELD_NUMBER_MAX) return this;
    this.words[(field - 1) >> 5] = (this.words[(field - 1) >> 5]! & ~(0x80000000 >>> ((field - 1) & 31))) >>> 0;
    this.slot[field] = SLOT_EMPTY;
    return this;
  }

  has(field: number): boolean {
    return this.slot[field] !== SLOT_EMPTY;
  }

  /** The header of a response: the request's header with destination and source swapped. */
  headerFrom(request: MessageView): this {
    this.headerRequest = request.frame;
    this.headerValue = null;
    return this;
  }

  setHeader(header: Base1Header): this {
    this.headerValue = header;
    this.headerRequest = null;
    return this;
  }

  private mark(field: number): void {
    if (!Number.isInteger(field) || field < 2 || field > FIELD_NUMBER_MAX || this.profile.valueKind[field] === 0) {
      throw new CodecError("field_not_in_spec", Number.isInteger(field) ? field : null, -1);
    }
    const w = (field - 1) >> 5;
    this.words[w] = (this.words[w]! | (0x80000000 >>> ((field - 1) & 31))) >>> 0;
  }

  /**
   * Encodes header + MTI + bitmap + fields at `offset`, writing nothing at or past `limit`; returns the
   * offset after the last byte written. A message that does not fit is a `length_over_max` CodecError.
   */
  encodeInto(out: Uint8Array, offset: number, limit = out.length): number {
    if (this.mti < 0) throw new CodecError("mti_invalid", 0, -1, "reset(mti) first");
    this.limit = Math.min(limit, out.length);
    const profile = this.profile;
    const frameStart = offset;
    if (profile.headerBytes > 0) {
      this.ensureRoom(offset, profile.headerBytes);
      if (this.headerRequest !== null) offset = copyBase1HeaderSwapped(out, offset, this.headerRequest);
      else if (this.headerValue !== null) offset = writeBase1Header(out, offset, this.headerValue);
      else throw new CodecError("header_invalid", null, -1, "this profile needs a header");
    }
    offset = this.writeMti(out, offset);
    offset = this.writeBitmap(out, offset);
    const order = this.order;
    let count = 0;
    const words = this.words;
    for (let w = 0; w < 4; w++) {
      let word = words[w]!;
      while (word !== 0) {
        const bit = Math.clz32(word);
        word = (word & ~(0x80000000 >>> bit)) >>> 0;
        const field = w * 32 + bit + 1;
        if (field !== 1) order[count++] = field;
      }
    }
    for (let i = 0; i < count; i++) {
      const field = order[i]!;
      if (this.slot[field] !== SLOT_RAW) {
        offset = this.writeField(out, offset, field);
        continue;
      }
      // Echoed fields that sit next to each other in the request and in this message go out as one copy.
      const source = this.rawFrame[field]!;
      const start = this.rawStart[field]!;
      let end = this.rawEnd[field]!;
      while (i + 1 < count) {
        const next = order[i + 1]!;
        if (this.slot[next] !== SLOT_RAW || this.rawFrame[next] !== source || this.rawStart[next] !== end) break;
        end = this.rawEnd[next]!;
        i++;
      }
      offset = this.copyRaw(out, offset, source, start, end);
    }
    if (profile.headerBytes > 0) {
      if (offset - frameStart > 0xffff) throw new CodecError("length_over_max", null, -1, "frame over 65535 bytes");
      patchBase1TotalLength(out, frameStart, offset - frameStart);
    }
    return offset;
  }

  /** Convenience for tools and tests: the encoded frame in a fresh array. */
  encode(bytesMax = 65535): Uint8Array {
    const scratch = new Uint8Array(bytesMax);
    const end = this.encodeInto(scratch, 0);
    return scratch.slice(0, end);
  }

  private ensureRoom(offset: number, bytes: number): void {
    if (offset + bytes > this.limit) {
      throw new CodecError("length_over_max", null, -1, `message does not fit in ${this.limit} bytes`);
    }
  }

  private writeMti(out: Uint8Array, offset: number): number {
    if (this.profile.mtiBcd) {
      this.ensureRoom(offset, 2);
      out[offset] = (Math.floor(this.mti / 1000) << 4) | (Math.floor(this.mti / 100) % 10);
      out[offset + 1] = ((Math.floor(this.mti / 10) % 10) << 4) | this.mti % 10;
      return offset + 2;
    }
    this.ensureRoom(offset, 4);
    const mti = this.mti;
    out[offset] = CHAR_0 + Math.floor(mti / 1000);
    out[offset + 1] = CHAR_0 + (Math.floor(mti / 100) % 10);
    out[offset + 2] = CHAR_0 + (Math.floor(mti / 10) % 10);
    out[offset + 3] = CHAR_0 + (mti % 10);
    return offset + 4;
  }

  private writeBitmap(out: Uint8Array, offset: number): number {
    const words = this.words;
    const secondary = words[2] !== 0 || words[3] !== 0;
    words[0] = secondary ? (words[0]! | 0x80000000) >>> 0 : (words[0]! & 0x7fffffff) >>> 0;
    const bytes = secondary ? 16 : 8;
    const hex = this.profile.bitmapHex;
    this.ensureRoom(offset, hex ? bytes * 2 : bytes);
    for (let w = 0; w < bytes >> 2; w++) {
      const word = words[w]!;
      for (let shift = 24; shift >= 0; shift -= 8) {
        const byte = (word >>> shift) & 0xff;
        if (hex) {
          out[offset++] = HEX_DIGITS[byte >> 4]!;
          out[offset++] = HEX_DIGITS[byte & 15]!;
        } else {
          out[offset++] = byte;
        }
      }
    }
    return offset;
  }

  /** Bytes [start, end) of `source`, as they are; short runs by hand, longer ones by memcpy. */
  private copyRaw(out: Uint8Array, offset: number, source: Uint8Array, start: number, end: number): number {
    const length = end - start;
    this.ensureRoom(offset, length);
    if (length < RAW_COPY_LOOP_MAX) {
      for (let i = start; i < end; i++) out[offset++] = source[i]!;
      return offset;
    }
    bufferCopy.call(source, out, offset, start, end);
    return offset + length;
  }

  private writeField(out: Uint8Array, offset: number, field: number): number {
    const slot = this.slot[field];
    if (slot === SLOT_RAW) return this.copyRaw(out, offset, this.rawFrame[field]!, this.rawStart[field]!, this.rawEnd[field]!);
    const profile = this.profile;
    const valueKind = profile.valueKind[field]!;
    const prefixKind = profile.prefixKind[field]!;
    const max = profile.unitsMax[field]!;
    const fixed = prefixKind === PREFIX_FIXED;
    let bytes: Uint8Array | undefined;
    let text: string | undefined;
    let units: number;
    if (slot === SLOT_BYTES) {
      if (valueKind !== VALUE_BINARY && valueKind !== VALUE_HEX) {
        throw new CodecError("not_encodable", field, -1, "bytes given for a non-binary field");
      }
      bytes = this.byteValues[field]!;
      units = bytes.length;
    } else {
      text = this.text[field]!;
      if (typeof text !== "string") throw new CodecError("value_missing", field, -1);
      if (valueKind === VALUE_BINARY || valueKind === VALUE_HEX) {
        if (!isHexText(text)) throw new CodecError("invalid_hex", field, -1, "binary fields take hex text");
        bytes = hexTextToBytes(text);
        units = bytes.length;
      } else {
        units = checkText(field, valueKind, text);
      }
    }
    if (units > max) throw new CodecError("length_over_max", field, -1, `length ${units} > max ${max}`);
    const binary = bytes !== undefined;
    if (fixed && binary && units !== max) {
      throw new CodecError("length_invalid", field, -1, `binary field needs exactly ${max} bytes, got ${units}`);
    }
    const wireUnits = fixed ? max : units;
    this.ensureRoom(offset, PREFIX_BYTES[prefixKind]! + valueBytes(valueKind, wireUnits));
    offset = writePrefix(out, offset, prefixKind, units);
    if (binary) {
      if (valueKind === VALUE_HEX) return writeHexChars(out, offset, bytes!);
      out.set(bytes!, offset);
      return offset + bytes!.length;
    }
    return writeText(out, offset, valueKind, text!, wireUnits - units);
  }
}

/** Checks a text value for its field kind; returns its length in units (digits exclude the sign). */
function checkText(field: number, valueKind: number, text: string): number {
  switch (valueKind) {
    case VALUE_ASCII_DIGITS:
    case VALUE_EBCDIC_DIGITS:
    case VALUE_BCD_DIGITS:
      if (!isDigits(text)) throw new CodecError("not_numeric", field, -1);
      return text.length;
    case VALUE_BCD_TRACK:
      if (!isNibbleText(text)) throw new CodecError("not_encodable", field, -1, "track data takes 0-9, A-F and =");
      return text.length;
    case VALUE_SIGNED_ASCII_DIGITS:
    case VALUE_SIGNED_BCD_DIGITS: {
      const sign = text.charCodeAt(0);
      if (sign !== 0x43 && sign !== 0x44) throw new CodecError("invalid_sign", field, -1, "amount starts with C or D");
      if (!isDigits(text.slice(1))) throw new CodecError("not_numeric", field, -1);
      return text.length - 1;
    }
    default:
      if (!isLatin1(text)) throw new CodecError("not_encodable", field, -1, "characters outside Latin-1");
      return text.length;
  }
}

/** Writes a checked text value; `padUnits` fills a fixed field (zeros before digits, spaces after text). */
function writeText(out: Uint8Array, offset: number, valueKind: number, text: string, padUnits: number): number {
  switch (valueKind) {
    case VALUE_ASCII_DIGITS:
      for (let i = 0; i < padUnits; i++) out[offset++] = CHAR_0;
      return writeLatin1(out, offset, text);
    case VALUE_EBCDIC_DIGITS:
      for (let i = 0; i < padUnits; i++) out[offset++] = EBCDIC_0;
      return writeEbcdic(out, offset, text);
    case VALUE_BCD_DIGITS:
    case VALUE_BCD_TRACK:
      return writeBcd(out, offset, padUnits > 0 ? "0".repeat(padUnits) + text : text);
    case VALUE_SIGNED_ASCII_DIGITS:
      out[offset++] = text.charCodeAt(0);
      for (let i = 0; i < padUnits; i++) out[offset++] = CHAR_0;
      return writeLatin1(out, offset, text.slice(1));
    case VALUE_SIGNED_BCD_DIGITS:
      out[offset++] = text.charCodeAt(0);
      return writeBcd(out, offset, "0".repeat(padUnits) + text.slice(1));
    case VALUE_EBCDIC_TEXT:
      offset = writeEbcdic(out, offset, text);
      for (let i = 0; i < padUnits; i++) out[offset++] = EBCDIC_SPACE;
      return offset;
    case VALUE_ASCII_TEXT:
    default:
      offset = writeLatin1(out, offset, text);
      for (let i = 0; i < padUnits; i++) out[offset++] = SPACE;
      return offset;
  }
}

function writePrefix(out: Uint8Array, offset: number, prefixKind: number, units: number): number {
  switch (prefixKind) {
    case PREFIX_FIXED:
      return offset;
    case PREFIX_LL_ASCII:
    case PREFIX_LLL_ASCII:
      return writeDecimal(out, offset, units, PREFIX_BYTES[prefixKind]!, CHAR_0);
    case PREFIX_LL_EBCDIC:
    case PREFIX_LLL_EBCDIC:
      return writeDecimal(out, offset, units, PREFIX_BYTES[prefixKind]!, EBCDIC_0);
    case PREFIX_LL_BINARY:
      out[offset] = units;
      return offset + 1;
    case PREFIX_LLL_BINARY:
      out[offset] = units >> 8;
      out[offset + 1] = units & 0xff;
      return offset + 2;
    case PREFIX_LL_BCD:
      return writeBcd(out, offset, String(units).padStart(2, "0"));
    case PREFIX_LLL_BCD:
      return writeBcd(out, offset, String(units).padStart(4, "0"));
    default:
      throw new CodecError("field_not_in_spec", null, -1);
  }
}

