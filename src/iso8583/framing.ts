import type { Framing } from "./spec.ts";

/**
 * Length-prefix framing of a TCP byte stream. A frame that arrives whole inside a chunk is handed on as a
 * view of that chunk (no copy: Bun gives every `data` call a fresh chunk that stays valid); only a frame
 * split across chunks is gathered into a buffer of its own. A framing error means the stream can no
 * longer be trusted: the caller closes the link. So does a frame that does not arrive whole within the
 * session's frameAssemblyTimeoutMs of its first byte (timed by the session: the framer has no clock).
 */
export type FramingErrorCode = "frame_too_large" | "vap_header_invalid" | "frame_assembly_timeout";

export class FramingError extends Error {
  override readonly name = "FramingError";
  readonly code: FramingErrorCode;
  constructor(code: FramingErrorCode, detail: string) {
    super(`${code}: ${detail}`);
    this.code = code;
  }
}

export const FRAME_BYTES_MAX_DEFAULT = 8192;
/** The 2-byte length prefix cannot express more. */
export const FRAME_BYTES_MAX_LIMIT = 0xffff;

export function framePrefixBytes(framing: Framing): number {
  return framing === "length2-vap" ? 4 : 2;
}

/** Writes the length prefix for a frame of `length` bytes at `offset`; returns the offset after it. */
export function writeFramePrefix(out: Uint8Array, offset: number, framing: Framing, length: number): number {
  out[offset] = length >> 8;
  out[offset + 1] = length & 0xff;
  if (framing === "length2") return offset + 2;
  out[offset + 2] = 0;
  out[offset + 3] = 0;
  return offset + 4;
}

/** A whole frame (prefix + body) in a fresh array; for tools and tests, not the hot path. */
export function frameBytes(framing: Framing, body: Uint8Array): Uint8Array {
  const prefix = framePrefixBytes(framing);
  const out = new Uint8Array(prefix + body.length);
  writeFramePrefix(out, 0, framing, body.length);
  out.set(body, prefix);
  return out;
}

export type FrameHandler = (frame: Uint8Array) => void;

export class Framer {
  readonly framing: Framing;
  readonly frameBytesMax: number;
  private readonly prefixBytes: number;
  /** A prefix split across chunks. */
  private readonly head = new Uint8Array(4);
  private headFilled = 0;
  /** A body split across chunks, and how much of it has arrived. */
  private body: Uint8Array | null = null;
  private bodyFilled = 0;

  constructor(options: { framing: Framing; frameBytesMax: number }) {
    if (!Number.isInteger(options.frameBytesMax) || options.frameBytesMax < 1) {
      throw new RangeError("frameBytesMax must be a positive integer");
    }
    if (options.frameBytesMax > FRAME_BYTES_MAX_LIMIT) {
      throw new RangeError(`frameBytesMax cannot exceed ${FRAME_BYTES_MAX_LIMIT} (2-byte length prefix)`);
    }
    this.framing = options.framing;
    this.frameBytesMax = options.frameBytesMax;
    this.prefixBytes = framePrefixBytes(options.framing);
  }

  /** Bytes of an incomplete frame held back until more arrive. */
  get bufferedBytes(): number {
    return this.headFilled + this.bodyFilled;
  }

  reset(): void {
    this.headFilled = 0;
    this.body = null;
    this.bodyFilled = 0;
  }

  /** Hands every complete frame in `chunk` to `onFrame`, in order; throws FramingError on a bad prefix. */
  push(chunk: Uint8Array, onFrame: FrameHandler): void {
    let offset = 0;
    const end = chunk.length;
    if (this.headFilled > 0 || this.body !== null) {
      offset = this.continuePartial(chunk, onFrame);
      if (offset < 0) return;
    }
    const prefixBytes = this.prefixBytes;
    while (offset + prefixBytes <= end) {
      const length = this.frameLength(chunk, offset);
      const bodyStart = offset + prefixBytes;
      if (bodyStart + length > end) break;
      onFrame(chunk.subarray(bodyStart, bodyStart + length));
      offset = bodyStart + length;
    }
    if (offset < end) this.carry(chunk, offset);
  }

  /** Feeds the start of `chunk` into the frame carried over; returns where whole frames begin, or -1. */
  private continuePartial(chunk: Uint8Array, onFrame: FrameHandler): number {
    let offset = 0;
    if (this.body === null) {
      const take = Math.min(this.prefixBytes - this.headFilled, chunk.length);
      this.head.set(chunk.subarray(0, take), this.headFilled);
      this.headFilled += take;
      offset = take;
      if (this.headFilled < this.prefixBytes) return -1;
      this.body = new Uint8Array(this.frameLength(this.head, 0));
      this.bodyFilled = 0;
    }
    const body = this.body;
    const take = Math.min(body.length - this.bodyFilled, chunk.length - offset);
    body.set(chunk.subarray(offset, offset + take), this.bodyFilled);
    this.bodyFilled += take;
    offset += take;
    if (this.bodyFilled < body.length) return -1;
    this.reset();
    onFrame(body);
    return offset;
  }

  private carry(chunk: Uint8Array, offset: number): void {
    const rest = chunk.length - offset;
    if (rest < this.prefixBytes) {
      this.head.set(chunk.subarray(offset), 0);
      this.headFilled = rest;
      return;
    }
    const length = this.frameLength(chunk, offset);
    this.head.set(chunk.subarray(offset, offset + this.prefixBytes), 0);
    this.headFilled = this.prefixBytes;
    this.body = new Uint8Array(length);
    this.body.set(chunk.subarray(offset + this.prefixBytes), 0);
    this.bodyFilled = rest - this.prefixBytes;
  }

  private frameLength(bytes: Uint8Array, offset: number): number {
    const length = (bytes[offset]! << 8) | bytes[offset + 1]!;
    if (this.prefixBytes === 4 && (bytes[offset + 2] !== 0 || bytes[offset + 3] !== 0)) {
      throw new FramingError("vap_header_invalid", `bytes 3-4 of the VAP header must be zero at offset ${offset}`);
    }
    if (length > this.frameBytesMax) {
      throw new FramingError("frame_too_large", `length ${length} > frameBytesMax ${this.frameBytesMax}`);
    }
    return length;
  }
}
