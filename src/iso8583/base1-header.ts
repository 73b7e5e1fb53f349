import { CodecError } from "./errors.ts";
import { isDigits, readBcd, readHex, writeBcd } from "./encodings.ts";
import { BASE1_HEADER_BYTES } from "./spec.ts";

/**
 * The 22-byte Visa BASE I message header (layout per jPOS BASE1Header): header length, header format, text
 * format, total length (header + message, 2 bytes), destination and source station (6 BCD digits each),
 * round-trip control, BASE I flags (2), message status flags (3), batch number, reserved (3), user info.
 * A reject header is longer (26+) and flags bit 0x80 of byte 22; the reject code sits in bytes 24–25.
 */
export interface Base1Header {
  headerFormat: number;
  textFormat: number;
  totalLength: number;
  destination: string;
  source: string;
  roundTrip: number;
  base1Flags: number;
  statusFlags: number;
  batchNumber: number;
  reserved: string;
  userInfo: number;
  rejectCode?: string;
}

export const BASE1_REJECT_HEADER_BYTES = 26;

/**
 * A header for a message we originate: header format 1, text format 2 (as jPOS writes them), every flag
 * clear; the total length is filled in when the message is encoded.
 */
export function originatingBase1Header(stations: { destination: string; source: string }): Base1Header {
  return {
    headerFormat: 1,
    textFormat: 2,
    totalLength: 0,
    destination: stations.destination,
    source: stations.source,
    roundTrip: 0,
    base1Flags: 0,
    statusFlags: 0,
    batchNumber: 0,
    reserved: "000000",
    userInfo: 0,
  };
}

/** Header length byte as read; a reject header announces itself with 26 or more and bit 0x80 of byte 22. */
export function base1HeaderLength(frame: Uint8Array): number {
  if (frame.length < BASE1_HEADER_BYTES) throw new CodecError("truncated", null, frame.length, "BASE I header");
  const length = frame[0]!;
  if (length === BASE1_HEADER_BYTES) return length;
  if (length >= BASE1_REJECT_HEADER_BYTES && frame.length >= length && (frame[22]! & 0x80) !== 0) return length;
  throw new CodecError("header_invalid", null, 0, `header length ${length}`);
}

export function isBase1Reject(frame: Uint8Array): boolean {
  return frame[0]! >= BASE1_REJECT_HEADER_BYTES && frame.length > 22 && (frame[22]! & 0x80) !== 0;
}

export function readBase1Header(frame: Uint8Array): Base1Header {
  const header: Base1Header = {
    headerFormat: frame[1]!,
    textFormat: frame[2]!,
    totalLength: (frame[3]! << 8) | frame[4]!,
    destination: readBcd(frame, 5, 6),
    source: readBcd(frame, 8, 6),
    roundTrip: frame[11]!,
    base1Flags: (frame[12]! << 8) | frame[13]!,
    statusFlags: (frame[14]! << 16) | (frame[15]! << 8) | frame[16]!,
    batchNumber: frame[17]!,
    reserved: readHex(frame, 18, 21),
    userInfo: frame[21]!,
  };
  if (isBase1Reject(frame)) header.rejectCode = readBcd(frame, 24, 4);
  return header;
}

function checkByte(name: string, value: number, max = 0xff): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new CodecError("header_invalid", null, -1, `${name} must be an integer 0..${max}`);
  }
  return value;
}

/** Writes a 22-byte header at `offset`; the total length is patched in once the message is encoded. */
export function writeBase1Header(out: Uint8Array, offset: number, header: Base1Header): number {
  for (const [name, station] of [["destination", header.destination], ["source", header.source]] as const) {
    if (typeof station !== "string" || station.length !== 6 || !isDigits(station)) {
      throw new CodecError("header_invalid", null, -1, `${name} must be 6 digits`);
    }
  }
  if (typeof header.reserved !== "string" || !/^[0-9A-Fa-f]{6}$/.test(header.reserved)) {
    throw new CodecError("header_invalid", null, -1, "reserved must be 6 hex characters");
  }
  out[offset] = BASE1_HEADER_BYTES;
  out[offset + 1] = checkByte("headerFormat", header.headerFormat);
  out[offset + 2] = checkByte("textFormat", header.textFormat);
  out[offset + 3] = 0;
  out[offset + 4] = 0;
  writeBcd(out, offset + 5, header.destination);
  writeBcd(out, offset + 8, header.source);
  out[offset + 11] = checkByte("roundTrip", header.roundTrip);
  const flags = checkByte("base1Flags", header.base1Flags, 0xffff);
  out[offset + 12] = flags >> 8;
  out[offset + 13] = flags & 0xff;
  const status = checkByte("statusFlags", header.statusFlags, 0xffffff);
  out[offset + 14] = status >> 16;
  out[offset + 15] = (status >> 8) & 0xff;
  out[offset + 16] = status & 0xff;
  out[offset + 17] = checkByte("batchNumber", header.batchNumber);
  writeBcd(out, offset + 18, header.reserved);
  out[offset + 21] = checkByte("userInfo", header.userInfo);
  return offset + BASE1_HEADER_BYTES;
}

/** A request's header turned around for its response: destination and source swapped. */
export function copyBase1HeaderSwapped(out: Uint8Array, offset: number, request: Uint8Array): number {
  out.set(request.subarray(0, BASE1_HEADER_BYTES), offset);
  out.copyWithin(offset + 5, offset + 8, offset + 11);
  out[offset + 8] = request[5]!;
  out[offset + 9] = request[6]!;
  out[offset + 10] = request[7]!;
  return offset + BASE1_HEADER_BYTES;
}

export function patchBase1TotalLength(out: Uint8Array, headerOffset: number, totalLength: number): void {
  out[headerOffset + 3] = totalLength >> 8;
  out[headerOffset + 4] = totalLength & 0xff;
}
