import { EBCDIC_TO_LATIN1, LATIN1_TO_EBCDIC } from "./ebcdic.ts";

/**
 * Byte-level primitives: read a value out of a buffer, or write one into it. They check nothing about
 * fields or lengths (the message loop does that) and allocate nothing but the strings they return.
 */

const CHAR_0 = 0x30;
const HEX_UPPER = "0123456789ABCDEF";
/** Two-character strings for every byte, so BCD and hex render with one lookup per byte. */
const BYTE_TO_HEX: readonly string[] = Array.from({ length: 256 }, (_, b) => HEX_UPPER[b >> 4]! + HEX_UPPER[b & 15]!);

/** -1 for a byte that is not a hex digit; upper and lower case accepted. */
const HEX_VALUE: Int8Array = (() => {
  const table = new Int8Array(256).fill(-1);
  for (let i = 0; i < 10; i++) table[CHAR_0 + i] = i;
  for (let i = 0; i < 6; i++) {
    table[0x41 + i] = 10 + i;
    table[0x61 + i] = 10 + i;
  }
  return table;
})();

// ── checks ────────────────────────────────────────────────────────────────────────────────────

/** Index of the first byte in [start, end) that is not an ASCII digit, or -1. */
export function firstNonAsciiDigit(buf: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) {
    if (((buf[i]! - CHAR_0) >>> 0) > 9) return i;
  }
  return -1;
}

/** Index of the first byte in [start, end) that is not an EBCDIC digit (0xF0–0xF9), or -1. */
export function firstNonEbcdicDigit(buf: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) {
    if (((buf[i]! - 0xf0) >>> 0) > 9) return i;
  }
  return -1;
}

/** Index of the first byte in [start, end) holding a nibble above 9, or -1. */
export function firstNonBcdByte(buf: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    if (b >> 4 > 9 || (b & 15) > 9) return i;
  }
  return -1;
}

export function firstNonHexByte(buf: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) {
    if (HEX_VALUE[buf[i]!]! < 0) return i;
  }
  return -1;
}

// ── reading ───────────────────────────────────────────────────────────────────────────────────

/** Bun's native Latin-1 slice works on any Uint8Array; it beats a loop beyond a few characters. */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, start: number, end: number): string })
  .latin1Slice;
const LATIN1_LOOP_MAX = 8;

export function readLatin1(buf: Uint8Array, start: number, end: number): string {
  if (end - start > LATIN1_LOOP_MAX) return latin1Slice.call(buf, start, end);
  let s = "";
  for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]!);
  return s;
}

export function readEbcdic(buf: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) s += String.fromCharCode(EBCDIC_TO_LATIN1[buf[i]!]!);
  return s;
}

/** `units` nibbles as characters (0–9, and A–F for track data), skipping the left pad nibble when odd. */
export function readBcd(buf: Uint8Array, start: number, units: number): string {
  const bytes = (units + 1) >> 1;
  let s = "";
  let i = start;
  if (units & 1) {
    s = HEX_UPPER[buf[i]! & 15]!;
    i++;
  }
  const end = start + bytes;
  for (; i < end; i++) s += BYTE_TO_HEX[buf[i]!]!;
  return s;
}

export function readHex(buf: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) s += BYTE_TO_HEX[buf[i]!]!;
  return s;
}

/** Decimal digits stored one per byte (ASCII or EBCDIC: only the low nibble counts) as an integer. */
export function readCharDigitsInteger(buf: Uint8Array, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) value = value * 10 + (buf[i]! & 15);
  return value;
}

export function readBcdInteger(buf: Uint8Array, start: number, units: number): number {
  const end = start + ((units + 1) >> 1);
  let value = 0;
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    value = value * 100 + (b >> 4) * 10 + (b & 15);
  }
  return value;
}

/** Eight ASCII hex characters (already checked) as an unsigned 32-bit word. */
export function readHexWord(buf: Uint8Array, start: number): number {
  let word = 0;
  for (let i = start; i < start + 8; i++) word = (word << 4) | HEX_VALUE[buf[i]!]!;
  return word >>> 0;
}

/** Decodes pairs of ASCII hex characters into a new byte array. */
export function hexCharsToBytes(buf: Uint8Array, start: number, end: number): Uint8Array {
  const out = new Uint8Array((end - start) >> 1);
  for (let i = start, o = 0; i < end; i += 2, o++) out[o] = (HEX_VALUE[buf[i]!]! << 4) | HEX_VALUE[buf[i + 1]!]!;
  return out;
}

// ── writing (each returns the offset after what it wrote; callers have checked the content) ─────

export function writeLatin1(out: Uint8Array, offset: number, value: string): number {
  for (let i = 0; i < value.length; i++) out[offset + i] = value.charCodeAt(i);
  return offset + value.length;
}

export function writeEbcdic(out: Uint8Array, offset: number, value: string): number {
  for (let i = 0; i < value.length; i++) out[offset + i] = LATIN1_TO_EBCDIC[value.charCodeAt(i)]!;
  return offset + value.length;
}

/** Characters 0–9 / A–F (and '=' as the track separator D) packed two a byte, left-padded with 0 when odd. */
export function writeBcd(out: Uint8Array, offset: number, value: string): number {
  const units = value.length;
  let o = offset;
  let i = 0;
  if (units & 1) {
    out[o++] = nibbleOf(value.charCodeAt(0));
    i = 1;
  }
  for (; i < units; i += 2) out[o++] = (nibbleOf(value.charCodeAt(i)) << 4) | nibbleOf(value.charCodeAt(i + 1));
  return o;
}

function nibbleOf(code: number): number {
  if (code === 0x3d) return 13; // '=' is the track 2 field separator, stored as nibble D
  return HEX_VALUE[code]!;
}

export function writeHexChars(out: Uint8Array, offset: number, bytes: Uint8Array): number {
  let o = offset;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    out[o++] = HEX_UPPER.charCodeAt(b >> 4);
    out[o++] = HEX_UPPER.charCodeAt(b & 15);
  }
  return o;
}

/** `count` as `digits` decimal characters in ASCII (base 0x30) or EBCDIC (base 0xF0). */
export function writeDecimal(out: Uint8Array, offset: number, count: number, digits: number, base: number): number {
  for (let i = digits - 1; i >= 0; i--) {
    out[offset + i] = base + (count % 10);
    count = Math.floor(count / 10);
  }
  return offset + digits;
}

// ── string checks for encoding ──────────────────────────────────────────────────────────────────

export function isDigits(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    if (((value.charCodeAt(i) - CHAR_0) >>> 0) > 9) return false;
  }
  return true;
}

export function isLatin1(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    if (value.charCodeAt(i) > 0xff) return false;
  }
  return true;
}

/** Track characters that pack into nibbles: digits, A–F and the '=' separator. */
export function isNibbleText(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c !== 0x3d && (HEX_VALUE[c] === undefined || HEX_VALUE[c]! < 0)) return false;
  }
  return true;
}

export function isHexText(value: string): boolean {
  if (value.length & 1) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff || HEX_VALUE[c]! < 0) return false;
  }
  return true;
}

export function hexTextToBytes(value: string): Uint8Array {
  const out = new Uint8Array(value.length >> 1);
  for (let i = 0; i < out.length; i++) {
    out[i] = (HEX_VALUE[value.charCodeAt(2 * i)]! << 4) | HEX_VALUE[value.charCodeAt(2 * i + 1)]!;
  }
  return out;
}
