import type { Socket } from "bun";
import { Framer, writeFramePrefix, framePrefixBytes } from "../iso8583/framing.ts";
import type { Framing } from "../iso8583/spec.ts";

/**
 * One of the processor's links as the network sees it: its framer, its sign-on state, and its outgoing
 * bytes. Everything sent during a turn is appended to one buffer and written once at the end of the turn;
 * what the socket does not accept stays at the front of the buffer and goes out on `drain`.
 */
export const FRAME_BYTES_MAX = 8192;

export type LinkSocket = Socket<LinkConnection | null>;

export class LinkConnection {
  readonly id: number;
  readonly socket: LinkSocket;
  readonly framer: Framer;
  readonly remote: string;
  private readonly framing: Framing;
  private readonly prefixBytes: number;
  private readonly out: Uint8Array;
  private outStart = 0;
  private outEnd = 0;

  /** Answered 0800/001 and not signed off since: the only state in which traffic is sent. */
  signedOn = false;
  closed = false;
  /** The link slot this connection drives (-1: standby or not signed on). */
  slot = -1;
  /** The network's own echo (0800/301) outstanding on this link: its STAN and when it left. */
  echoStan = -1;
  echoSentAtMs = 0;
  echoStandinCounted = false;
  echoDe7 = "";
  lastEchoAtMs = 0;
  bytesWritten = 0;
  /**
   * A fault touched this link (the network closed, paused or broke it, or the processor behind it was
   * stopped): requests lost with it are the network's doing, not unanswered by the processor.
   */
  faulted = false;
  /** Not read by the network until `pauseEndsAtMs` (the `pause` fault). */
  paused = false;
  pauseEndsAtMs = 0;
  /** Its framing broken by the network: nothing more is sent or read; the processor must close it by `stallDeadlineMs`. */
  stalled = false;
  stallDeadlineMs = 0;
  /** The frame handler, bound once per connection (not per chunk). */
  onFrame: ((frame: Uint8Array) => void) | null = null;

  constructor(options: { id: number; socket: LinkSocket; framing: Framing; outBytes: number }) {
    this.id = options.id;
    this.socket = options.socket;
    this.framing = options.framing;
    this.prefixBytes = framePrefixBytes(options.framing);
    this.framer = new Framer({ framing: options.framing, frameBytesMax: FRAME_BYTES_MAX });
    this.out = new Uint8Array(options.outBytes);
    this.remote = `${options.socket.remoteAddress}`;
  }

  /** Bytes waiting for the socket. */
  get pendingBytes(): number {
    return this.outEnd - this.outStart;
  }

  /** True when a frame of up to `frameBytes` fits behind what is already queued. */
  hasRoom(frameBytes: number): boolean {
    const needed = this.prefixBytes + frameBytes;
    if (this.out.length - this.outEnd >= needed) return true;
    if (this.outStart === 0) return false;
    this.compact();
    return this.out.length - this.outEnd >= needed;
  }

  /** Appends `frame` (without prefix) behind its length prefix; the caller checked `hasRoom`. */
  append(frame: Uint8Array, length: number): void {
    const out = this.out;
    const at = writeFramePrefix(out, this.outEnd, this.framing, length);
    for (let i = 0; i < length; i++) out[at + i] = frame[i]!; // cheaper than a view for `set` at ~200 bytes
    this.outEnd = at + length;
  }

  /** Appends raw bytes (no prefix: a fault's broken frame); the caller checked `hasRoom`. */
  appendRaw(bytes: Uint8Array): void {
    this.out.set(bytes, this.outEnd);
    this.outEnd += bytes.length;
  }

  /**
   * Where to encode a frame in place: the offset after a reserved prefix, and the buffer. Finish with
   * `commitEncoded(end)`. The caller checked `hasRoom`.
   */
  encodeTarget(): { buffer: Uint8Array; offset: number } {
    return { buffer: this.out, offset: this.outEnd + this.prefixBytes };
  }

  commitEncoded(end: number): void {
    writeFramePrefix(this.out, this.outEnd, this.framing, end - this.outEnd - this.prefixBytes);
    this.outEnd = end;
  }

  /** Writes what is queued; keeps whatever the socket does not take. False once the socket is gone. */
  flush(): boolean {
    if (this.outEnd === this.outStart) return !this.closed;
    if (this.closed) return false;
    const written = this.socket.write(this.out.subarray(this.outStart, this.outEnd));
    if (written < 0) return false;
    this.bytesWritten += written;
    this.outStart += written;
    if (this.outStart === this.outEnd) {
      this.outStart = 0;
      this.outEnd = 0;
    }
    return true;
  }

  private compact(): void {
    this.out.copyWithin(0, this.outStart, this.outEnd);
    this.outEnd -= this.outStart;
    this.outStart = 0;
  }
}
