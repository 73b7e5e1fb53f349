import { base1HeaderLength, isBase1Reject, readBase1Header, type Base1Header } from "./base1-header.ts";
import {
  firstNonAsciiDigit,
  firstNonBcdByte,
  firstNonEbcdicDigit,
  firstNonHexByte,
  hexCharsToBytes,
  readBcd,
  readBcdInteger,
  readCharDigitsInteger,
  readEbcdic,
  readHex,
  readHexWord,
  readLatin1,
} from "./encodings.ts";
import { CodecError } from "./errors.ts";
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

const EMPTY = new Uint8Array(0);
const ABSENT = 0xffff;
const SIGN_CREDIT = 0x43; // 'C'
const SIGN_DEBIT = 0x44; // 'D'

/**
 * A decoded message as a view over its frame: one pass records where each present field's value sits;
 * values are turned into strings or integers only when asked for. A view is allocated once and reused for
 * every frame decoded into it, so decoding allocates nothing. The frame must stay unchanged while the
 * view is in use.
 */
export class MessageView {
  readonly profile: CompiledProfile;
  frame: Uint8Array = EMPTY;
  /** The MTI as a number (0100 → 100); -1 until read. */
  mti = -1;
  /** Offset of the MTI in the frame (after any header). */
  messageOffset = 0;
  /** A BASE I reject: the header is recorded, the rejected message behind it is not decoded. */
  rejected = false;
  /** True once every field decoded and no bytes were left over. */
  complete = false;
  /**
   * Where each field starts (its prefix), where its value starts and ends, and how many units it holds.
   * Frames are at most 65535 bytes (2-byte length prefix), so 16 bits suffice; ABSENT marks a missing
   * field (no field can start at the last byte of a frame and still hold a value).
   */
  readonly fieldStart = new Uint16Array(FIELD_NUMBER_MAX + 1).fill(ABSENT);
  readonly valueStart = new Uint16Array(FIELD_NUMBER_MAX + 1);
  readonly valueEnd = new Uint16Array(FIELD_NUMBER_MAX + 1);
  readonly valueUnits = new Uint16Array(FIELD_NUMBER_MAX + 1);
  /** Present field numbers in wire order; only the first `presentCount` entries are meaningful. */
  readonly presentFields = new Uint8Array(FIELD_NUMBER_MAX);
  presentCount = 0;
  private readonly bitmapWords = new Uint32Array(4);
  // The profile's tables, held directly: the decode loop reads them for every field.
  private readonly valueKinds: Uint8Array;
  private readonly prefixKinds: Uint8Array;
  private readonly unitsMaxes: Uint16Array;
  private readonly fixedBytes: Uint16Array;

  constructor(profile: CompiledProfile) {
    this.profile = profile;
    this.valueKinds = profile.valueKind;
    this.prefixKinds = profile.prefixKind;
    this.unitsMaxes = profile.unitsMax;
    this.fixedBytes = profile.fixedBytes;
  }

  /** Decodes `frame` (header + message, no length prefix) into this view; throws CodecError on bad input. */
  decode(frame: Uint8Array): this {
    this.reset(frame);
    let offset = 0;
    const profile = this.profile;
    if (profile.headerBytes > 0) {
      offset = base1HeaderLength(frame);
      if (isBase1Reject(frame)) {
        this.rejected = true;
        this.complete = true;
        return this;
      }
      const total = (frame[3]! << 8) | frame[4]!;
      if (total !== frame.length) throw new CodecError("header_invalid", null, 3, `total length ${total}`);
    }
    this.messageOffset = offset;
    offset = this.readMti(frame, offset);
    offset = this.readBitmap(frame, offset);
    const words = this.bitmapWords;
    for (let w = 0; w < 4; w++) {
      let word = words[w]!;
      while (word !== 0) {
        const bit = Math.clz32(word);
        word = (word & ~(0x80000000 >>> bit)) >>> 0;
        const field = w * 32 + bit + 1;
        if (field === 1) continue; // the secondary bitmap indicator, already read
        offset = this.readField(frame, offset, field);
      }
    }
    if (offset !== frame.length) {
      throw new CodecError("trailing_bytes", null, offset, `${frame.length - offset} bytes after the last field`);
    }
    this.complete = true;
    return this;
  }

  private reset(frame: Uint8Array): void {
    if (frame.length > 0xffff) throw new CodecError("length_over_max", null, 0, "frame over 65535 bytes");
    for (let i = 0; i < this.presentCount; i++) this.fieldStart[this.presentFields[i]!] = ABSENT;
    this.presentCount = 0;
    this.frame = frame;
    this.mti = -1;
    this.messageOffset = 0;
    this.rejected = false;
    this.complete = false;
    const words = this.bitmapWords;
    words[0] = 0;
    words[1] = 0;
    words[2] = 0;
    words[3] = 0;
  }

  private readMti(frame: Uint8Array, offset: number): number {
    if (this.profile.mtiBcd) {
      if (offset + 2 > frame.length) throw new CodecError("truncated", 0, offset, "expected 2 bytes");
      if (firstNonBcdByte(frame, offset, offset + 2) >= 0) throw new CodecError("mti_invalid", 0, offset);
      this.mti = readBcdInteger(frame, offset, 4);
      return offset + 2;
    }
    if (offset + 4 > frame.length) throw new CodecError("truncated", 0, offset, "expected 4 bytes");
    let mti = 0;
    for (let i = offset; i < offset + 4; i++) {
      const digit = frame[i]! - 0x30;
      if (digit < 0 || digit > 9) throw new CodecError("mti_invalid", 0, offset);
      mti = mti * 10 + digit;
    }
    this.mti = mti;
    return offset + 4;
  }

  private readBitmap(frame: Uint8Array, offset: number): number {
    const words = this.bitmapWords;
    const hex = this.profile.bitmapHex;
    const bytesPerHalf = hex ? 16 : 8;
    if (offset + bytesPerHalf > frame.length) {
      throw new CodecError("bitmap_missing", 1, offset, `expected ${bytesPerHalf} bytes, found ${frame.length - offset}`);
    }
    offset = readBitmapHalf(frame, offset, hex, words, 0);
    if ((words[0]! & 0x80000000) !== 0) {
      if (offset + bytesPerHalf > frame.length) {
        throw new CodecError("truncated", 1, offset, `secondary bitmap: expected ${bytesPerHalf} bytes`);
      }
      offset = readBitmapHalf(frame, offset, hex, words, 2);
    }
    return offset;
  }

  private readField(frame: Uint8Array, offset: number, field: number): number {
    const valueKind = this.valueKinds[field]!;
    if (valueKind === 0) throw new CodecError("field_not_in_spec", field, offset);
    const start = offset;
    let units: number;
    let end: number;
    const fixedBytes = this.fixedBytes[field]!;
    if (fixedBytes !== 0) {
      units = this.unitsMaxes[field]!;
      end = offset + fixedBytes;
    } else {
      const prefixKind = this.prefixKinds[field]!;
      const prefixBytes = PREFIX_BYTES[prefixKind]!;
      if (offset + prefixBytes > frame.length) {
        throw new CodecError("truncated", field, offset, `length prefix: expected ${prefixBytes} bytes`);
      }
      units = readPrefix(frame, offset, prefixKind, field);
      offset += prefixBytes;
      if (units > this.unitsMaxes[field]!) {
        throw new CodecError("length_over_max", field, start, `length ${units} > max ${this.unitsMaxes[field]}`);
      }
      end = offset + valueBytes(valueKind, units);
    }
    if (end > frame.length) {
      throw new CodecError("truncated", field, offset, `expected ${end - offset} bytes, found ${frame.length - offset}`);
    }
    checkValue(frame, offset, end, units, valueKind, field);
    this.fieldStart[field] = start;
    this.valueStart[field] = offset;
    this.valueEnd[field] = end;
    this.valueUnits[field] = units;
    this.presentFields[this.presentCount++] = field;
    return end;
  }

  // ── accessors ─────────────────────────────────────────────────────────────────────────────────

  has(field: number): boolean {
    return this.fieldStart[field] !== ABSENT;
  }

  /** The MTI as four digits ("0100"). */
  mtiString(): string {
    return this.mti < 0 ? "" : String(this.mti).padStart(4, "0");
  }

  /** The field's value as text: digits, characters, or uppercase hex for binary fields. */
  string(field: number): string {
    this.assertPresent(field);
    const frame = this.frame;
    const start = this.valueStart[field]!;
    const end = this.valueEnd[field]!;
    switch (this.profile.valueKind[field]) {
      case VALUE_BCD_DIGITS:
      case VALUE_BCD_TRACK:
        return readBcd(frame, start, this.valueUnits[field]!);
      case VALUE_EBCDIC_DIGITS:
      case VALUE_EBCDIC_TEXT:
        return readEbcdic(frame, start, end);
      case VALUE_BINARY:
        return readHex(frame, start, end);
      case VALUE_SIGNED_BCD_DIGITS:
        return String.fromCharCode(frame[start]!) + readBcd(frame, start + 1, this.valueUnits[field]!);
      default: // ASCII digits and text, hex characters, signed ASCII digits: the bytes are the text
        return readLatin1(frame, start, end);
    }
  }

  /** A numeric field's value as an integer; signed fields (C/D) come back negative for D (debit). */
  integer(field: number): number {
    this.assertPresent(field);
    const frame = this.frame;
    const start = this.valueStart[field]!;
    const end = this.valueEnd[field]!;
    const units = this.valueUnits[field]!;
    if (units > 15) throw new RangeError(`field ${field} has ${units} digits, too many for an integer`);
    switch (this.profile.valueKind[field]) {
      case VALUE_ASCII_DIGITS:
      case VALUE_EBCDIC_DIGITS:
        return readCharDigitsInteger(frame, start, end);
      case VALUE_BCD_DIGITS:
        return readBcdInteger(frame, start, units);
      case VALUE_SIGNED_ASCII_DIGITS: {
        const magnitude = readCharDigitsInteger(frame, start + 1, end);
        return frame[start] === SIGN_DEBIT ? -magnitude : magnitude;
      }
      case VALUE_SIGNED_BCD_DIGITS: {
        const magnitude = readBcdInteger(frame, start + 1, units);
        return frame[start] === SIGN_DEBIT ? -magnitude : magnitude;
      }
      default:
        throw new TypeError(`field ${field} is not numeric`);
    }
  }

  /** A binary field's bytes (a view for raw binary, a decoded copy for hex-encoded). */
  bytes(field: number): Uint8Array {
    this.assertPresent(field);
    const start = this.valueStart[field]!;
    const end = this.valueEnd[field]!;
    if (this.profile.valueKind[field] === VALUE_HEX) return hexCharsToBytes(this.frame, start, end);
    return this.frame.subarray(start, end);
  }

  /** The field as it sits on the wire, prefix included (what a response echoes byte for byte). */
  raw(field: number): Uint8Array {
    this.assertPresent(field);
    return this.frame.subarray(this.fieldStart[field]!, this.valueEnd[field]!);
  }

  header(): Base1Header | null {
    return this.profile.headerBytes > 0 && this.frame.length >= 22 ? readBase1Header(this.frame) : null;
  }

  private assertPresent(field: number): void {
    if (this.fieldStart[field] === ABSENT) throw new RangeError(`field ${field} is not present`);
  }
}

function readBitmapHalf(frame: Uint8Array, offset: number, hex: boolean, words: Uint32Array, at: number): number {
  if (!hex) {
    words[at] = ((frame[offset]! << 24) | (frame[offset + 1]! << 16) | (frame[offset + 2]! << 8) | frame[offset + 3]!) >>> 0;
    words[at + 1] =
      ((frame[offset + 4]! << 24) | (frame[offset + 5]! << 16) | (frame[offset + 6]! << 8) | frame[offset + 7]!) >>> 0;
    return offset + 8;
  }
  const bad = firstNonHexByte(frame, offset, offset + 16);
  if (bad >= 0) throw new CodecError("invalid_hex", 1, bad);
  words[at] = readHexWord(frame, offset);
  words[at + 1] = readHexWord(frame, offset + 8);
  return offset + 16;
}

function readPrefix(frame: Uint8Array, offset: number, prefixKind: number, field: number): number {
  switch (prefixKind) {
    case PREFIX_LL_ASCII:
    case PREFIX_LLL_ASCII: {
      const end = offset + PREFIX_BYTES[prefixKind]!;
      if (firstNonAsciiDigit(frame, offset, end) >= 0) throw new CodecError("length_invalid", field, offset);
      return readCharDigitsInteger(frame, offset, end);
    }
    case PREFIX_LL_EBCDIC:
    case PREFIX_LLL_EBCDIC: {
      const end = offset + PREFIX_BYTES[prefixKind]!;
      if (firstNonEbcdicDigit(frame, offset, end) >= 0) throw new CodecError("length_invalid", field, offset);
      return readCharDigitsInteger(frame, offset, end);
    }
    case PREFIX_LL_BINARY:
      return frame[offset]!;
    case PREFIX_LLL_BINARY:
      return (frame[offset]! << 8) | frame[offset + 1]!;
    case PREFIX_LL_BCD:
    case PREFIX_LLL_BCD: {
      const bytes = PREFIX_BYTES[prefixKind]!;
      if (firstNonBcdByte(frame, offset, offset + bytes) >= 0) throw new CodecError("length_invalid", field, offset);
      return readBcdInteger(frame, offset, bytes * 2);
    }
    default:
      throw new CodecError("field_not_in_spec", field, offset);
  }
}

function checkValue(frame: Uint8Array, start: number, end: number, units: number, valueKind: number, field: number): void {
  let bad = -1;
  switch (valueKind) {
    case VALUE_ASCII_DIGITS:
      bad = firstNonAsciiDigit(frame, start, end);
      break;
    case VALUE_EBCDIC_DIGITS:
      bad = firstNonEbcdicDigit(frame, start, end);
      break;
    case VALUE_BCD_DIGITS:
      bad = firstNonBcdByte(frame, start, end);
      if (bad < 0 && units & 1 && frame[start]! >> 4 !== 0) throw new CodecError("invalid_padding", field, start);
      break;
    case VALUE_BCD_TRACK:
      if (units & 1 && frame[start]! >> 4 !== 0) throw new CodecError("invalid_padding", field, start);
      return;
    case VALUE_HEX:
      bad = firstNonHexByte(frame, start, end);
      if (bad >= 0) throw new CodecError("invalid_hex", field, bad);
      return;
    case VALUE_SIGNED_ASCII_DIGITS:
    case VALUE_SIGNED_BCD_DIGITS: {
      const sign = frame[start]!;
      if (sign !== SIGN_CREDIT && sign !== SIGN_DEBIT) throw new CodecError("invalid_sign", field, start);
      if (valueKind === VALUE_SIGNED_ASCII_DIGITS) {
        bad = firstNonAsciiDigit(frame, start + 1, end);
      } else {
        bad = firstNonBcdByte(frame, start + 1, end);
        if (bad < 0 && units & 1 && frame[start + 1]! >> 4 !== 0) {
          throw new CodecError("invalid_padding", field, start + 1);
        }
      }
      break;
    }
    case VALUE_ASCII_TEXT:
    case VALUE_EBCDIC_TEXT:
    case VALUE_BINARY:
      return; // any byte is a valid character or octet; content rules belong to the validator
  }
  if (bad >= 0) throw new CodecError("not_numeric", field, bad);
}
