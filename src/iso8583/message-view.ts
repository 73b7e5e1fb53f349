import { base1HeaderLength, isBase1Reject, readBase1Header, type Base1Header } from "./base1-header.ts";
import { firstNonBcdByte, hexCharsToBytes, readBcd, readBcdInteger, readCharDigitsInteger, readEbcdic, readHex, readLatin1 } from "./encodings.ts";
import { CodecError } from "./errors.ts";
import {
  firstInvalidValueByte,
  prefixUnits,
  readBitmapHalf,
  SIGN_DEBIT,
  valueFaultCode,
} from "./field-reads.ts";
import {
  FIELD_NUMBER_MAX,
  PREFIX_BYTES,
  VALUE_ASCII_DIGITS,
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
  /**
   * Fields locate() found whose content breaks their encoding: where each starts (prefix) and ends, in
   * wire order. They are not present — has() is false — so only their bytes as received can be used.
   */
  readonly brokenStart = new Uint16Array(FIELD_NUMBER_MAX + 1).fill(ABSENT);
  readonly brokenEnd = new Uint16Array(FIELD_NUMBER_MAX + 1);
  readonly brokenFields = new Uint8Array(FIELD_NUMBER_MAX);
  brokenCount = 0;
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

  /**
   * The tolerant pass, for a frame decode() refused: it finds every field it can, so that a request with a
   * malformed field can still be answered (30) with the fields that identify it. A field whose content
   * breaks its encoding is stepped over when its length is known — fixed, or an LL/LLL prefix that reads,
   * is within the field's maximum and ends inside the frame — and recorded as broken, not present: has()
   * stays false, so no accessor reads it, but its bytes as received can be echoed. Locating stops at the
   * first field whose length cannot be known (a prefix that does not read or is over the maximum, a value
   * past the end, a field the profile does not define): nothing after it can be placed. A BASE I total
   * length that disagrees with the frame, and bytes after the last field, are tolerated (the framing
   * delimited the frame). Never throws for the frame's content; `complete` stays false. Only the error
   * path runs it, so decode() stays strict and as fast as it was.
   */
  locate(frame: Uint8Array): this {
    if (frame.length > 0xffff) {
      this.reset(EMPTY);
      return this;
    }
    this.reset(frame);
    let offset = 0;
    try {
      if (this.profile.headerBytes > 0) {
        offset = base1HeaderLength(frame);
        if (isBase1Reject(frame)) {
          this.rejected = true;
          return this;
        }
      }
      this.messageOffset = offset;
      offset = this.readMti(frame, offset);
      offset = this.readBitmap(frame, offset);
    } catch (error) {
      if (error instanceof CodecError) return this; // no MTI or no bitmap: no field can be placed
      throw error;
    }
    const words = this.bitmapWords;
    for (let w = 0; w < 4; w++) {
      let word = words[w]!;
      while (word !== 0) {
        const bit = Math.clz32(word);
        word = (word & ~(0x80000000 >>> bit)) >>> 0;
        const field = w * 32 + bit + 1;
        if (field === 1) continue;
        offset = this.locateField(frame, offset, field);
        if (offset < 0) return this;
      }
    }
    return this;
  }

  /** One field for locate(): records it as present or broken; the offset after it, or -1 if its length is unknown. */
  private locateField(frame: Uint8Array, offset: number, field: number): number {
    const valueKind = this.valueKinds[field]!;
    if (valueKind === 0) return -1;
    const start = offset;
    let units = this.unitsMaxes[field]!;
    let end: number;
    const fixedBytes = this.fixedBytes[field]!;
    if (fixedBytes !== 0) {
      end = offset + fixedBytes;
    } else {
      const prefixKind = this.prefixKinds[field]!;
      const prefixBytes = PREFIX_BYTES[prefixKind]!;
      if (offset + prefixBytes > frame.length) return -1;
      const count = prefixUnits(frame, offset, prefixKind);
      if (count < 0 || count > units) return -1;
      units = count;
      offset += prefixBytes;
      end = offset + valueBytes(valueKind, units);
    }
    if (end > frame.length) return -1;
    if (firstInvalidValueByte(frame, offset, end, units, valueKind) >= 0) {
      this.brokenStart[field] = start;
      this.brokenEnd[field] = end;
      this.brokenFields[this.brokenCount++] = field;
      return end;
    }
    this.fieldStart[field] = start;
    this.valueStart[field] = offset;
    this.valueEnd[field] = end;
    this.valueUnits[field] = units;
    this.presentFields[this.presentCount++] = field;
    return end;
  }

  private reset(frame: Uint8Array): void {
    if (frame.length > 0xffff) throw new CodecError("length_over_max", null, 0, "frame over 65535 bytes");
    for (let i = 0; i < this.presentCount; i++) this.fieldStart[this.presentFields[i]!] = ABSENT;
    this.presentCount = 0;
    for (let i = 0; i < this.brokenCount; i++) this.brokenStart[this.brokenFields[i]!] = ABSENT;
    this.brokenCount = 0;
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
      units = prefixUnits(frame, offset, prefixKind);
      if (units < 0) throw new CodecError("length_invalid", field, offset);
      offset += prefixBytes;
      if (units > this.unitsMaxes[field]!) {
        throw new CodecError("length_over_max", field, start, `length ${units} > max ${this.unitsMaxes[field]}`);
      }
      end = offset + valueBytes(valueKind, units);
    }
    if (end > frame.length) {
      throw new CodecError("truncated", field, offset, `expected ${end - offset} bytes, found ${frame.length - offset}`);
    }
    const bad = firstInvalidValueByte(frame, offset, end, units, valueKind);
    if (bad >= 0) throw new CodecError(valueFaultCode(frame, offset, bad, valueKind), field, bad);
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

  /** A field locate() found but whose content breaks its encoding. */
  isBroken(field: number): boolean {
    return this.brokenStart[field] !== ABSENT;
  }

  /** Present, or broken: its bytes were found. */
  located(field: number): boolean {
    return this.fieldStart[field] !== ABSENT || this.brokenStart[field] !== ABSENT;
  }

  /** A located field's bytes as received, prefix included, whether its content is well-formed or not. */
  asReceived(field: number): Uint8Array {
    if (this.isBroken(field)) return this.frame.subarray(this.brokenStart[field]!, this.brokenEnd[field]!);
    return this.raw(field);
  }

  header(): Base1Header | null {
    return this.profile.headerBytes > 0 && this.frame.length >= 22 ? readBase1Header(this.frame) : null;
  }

  private assertPresent(field: number): void {
    if (this.fieldStart[field] === ABSENT) throw new RangeError(`field ${field} is not present`);
  }
}
