import {
  firstNonAsciiDigit,
  firstNonBcdByte,
  firstNonEbcdicDigit,
  firstNonHexByte,
  readBcdInteger,
  readCharDigitsInteger,
  readHexWord,
} from "./encodings.ts";
import { CodecError, type CodecErrorCode } from "./errors.ts";
import {
  PREFIX_BYTES,
  PREFIX_LL_ASCII,
  PREFIX_LL_BCD,
  PREFIX_LL_BINARY,
  PREFIX_LL_EBCDIC,
  PREFIX_LLL_ASCII,
  PREFIX_LLL_BCD,
  PREFIX_LLL_BINARY,
  PREFIX_LLL_EBCDIC,
  VALUE_ASCII_DIGITS,
  VALUE_BCD_DIGITS,
  VALUE_BCD_TRACK,
  VALUE_EBCDIC_DIGITS,
  VALUE_HEX,
  VALUE_SIGNED_ASCII_DIGITS,
  VALUE_SIGNED_BCD_DIGITS,
} from "./spec.ts";

/**
 * The leaves of the decode loop: a bitmap half, a length prefix, a value's well-formedness. They read the
 * frame at the offsets they are given and never advance anything; MessageView's loops own the offset. The
 * strict decode and the tolerant locate pass share them, so both agree on what a well-formed field is.
 */

export const SIGN_CREDIT = 0x43; // 'C'
export const SIGN_DEBIT = 0x44; // 'D'

/** Reads 8 bitmap bytes (16 hex characters) into two words of `words` at `at`; returns the next offset. */
export function readBitmapHalf(frame: Uint8Array, offset: number, hex: boolean, words: Uint32Array, at: number): number {
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

/** The count an LL/LLL prefix holds, or -1 when its bytes are not digits of its encoding. */
export function prefixUnits(frame: Uint8Array, offset: number, prefixKind: number): number {
  switch (prefixKind) {
    case PREFIX_LL_ASCII:
    case PREFIX_LLL_ASCII: {
      const end = offset + PREFIX_BYTES[prefixKind]!;
      return firstNonAsciiDigit(frame, offset, end) >= 0 ? -1 : readCharDigitsInteger(frame, offset, end);
    }
    case PREFIX_LL_EBCDIC:
    case PREFIX_LLL_EBCDIC: {
      const end = offset + PREFIX_BYTES[prefixKind]!;
      return firstNonEbcdicDigit(frame, offset, end) >= 0 ? -1 : readCharDigitsInteger(frame, offset, end);
    }
    case PREFIX_LL_BINARY:
      return frame[offset]!;
    case PREFIX_LLL_BINARY:
      return (frame[offset]! << 8) | frame[offset + 1]!;
    case PREFIX_LL_BCD:
    case PREFIX_LLL_BCD: {
      const bytes = PREFIX_BYTES[prefixKind]!;
      return firstNonBcdByte(frame, offset, offset + bytes) >= 0 ? -1 : readBcdInteger(frame, offset, bytes * 2);
    }
    default:
      return -1;
  }
}

/**
 * The offset of the first byte in [start, end) that breaks the value's encoding (a non-digit, a pad nibble
 * that is not 0, a missing C/D sign), or -1 when the value is well-formed. Text and binary values take any
 * byte: their content rules belong to the validator.
 */
export function firstInvalidValueByte(frame: Uint8Array, start: number, end: number, units: number, valueKind: number): number {
  switch (valueKind) {
    case VALUE_ASCII_DIGITS:
      return firstNonAsciiDigit(frame, start, end);
    case VALUE_EBCDIC_DIGITS:
      return firstNonEbcdicDigit(frame, start, end);
    case VALUE_BCD_DIGITS:
      return firstNonBcdDigit(frame, start, end, units);
    case VALUE_BCD_TRACK:
      return units & 1 && frame[start]! >> 4 !== 0 ? start : -1;
    case VALUE_HEX:
      return firstNonHexByte(frame, start, end);
    case VALUE_SIGNED_ASCII_DIGITS:
    case VALUE_SIGNED_BCD_DIGITS: {
      const sign = frame[start]!;
      if (sign !== SIGN_CREDIT && sign !== SIGN_DEBIT) return start;
      if (valueKind === VALUE_SIGNED_ASCII_DIGITS) return firstNonAsciiDigit(frame, start + 1, end);
      return firstNonBcdDigit(frame, start + 1, end, units);
    }
    default:
      return -1;
  }
}

/** BCD digits: every nibble 0–9, and the left pad nibble of an odd count 0. */
function firstNonBcdDigit(frame: Uint8Array, start: number, end: number, units: number): number {
  const bad = firstNonBcdByte(frame, start, end);
  if (bad >= 0) return bad;
  return units & 1 && frame[start]! >> 4 !== 0 ? start : -1;
}

/** Why the value has a fault at `bad` (which firstInvalidValueByte found): for the error's code. */
export function valueFaultCode(frame: Uint8Array, start: number, bad: number, valueKind: number): CodecErrorCode {
  switch (valueKind) {
    case VALUE_HEX:
      return "invalid_hex";
    case VALUE_BCD_TRACK:
      return "invalid_padding";
    case VALUE_SIGNED_ASCII_DIGITS:
      return bad === start ? "invalid_sign" : "not_numeric";
    case VALUE_SIGNED_BCD_DIGITS:
      if (bad === start) return "invalid_sign";
      return hasNibbleAbove9(frame[bad]!) ? "not_numeric" : "invalid_padding";
    case VALUE_BCD_DIGITS:
      return hasNibbleAbove9(frame[bad]!) ? "not_numeric" : "invalid_padding";
    default:
      return "not_numeric";
  }
}

function hasNibbleAbove9(byte: number): boolean {
  return byte >> 4 > 9 || (byte & 15) > 9;
}
