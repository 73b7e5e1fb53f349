import type { MessageBuilder } from "../iso8583/message-builder.ts";
import type { Framing } from "../iso8583/spec.ts";
import { framePrefixBytes, writeFramePrefix } from "../iso8583/framing.ts";
import { assert } from "../ops/assert.ts";

/**
 * The outgoing side of one connection. Responses produced in one turn are encoded back to back into one
 * buffer and handed to the socket in one write. Bun buffers nothing for us: whatever the socket does not
 * accept stays here and goes out on `drain`. The buffer is bounded; a socket that stops accepting until the
 * bound is reached has a peer that no longer reads, and the caller re-dials.
 *
 * The writer knows where every frame it holds begins: a frame counts as sent only once the socket accepted
 * its last byte. When the socket goes, `close()` hands back every frame not wholly sent (a frame cut in the
 * middle is lost too), so that each lost response is counted and named — not just a number of bytes.
 */
export interface WritableSocket {
  /** Bytes accepted (possibly fewer than given), or a negative number when the socket is closed. */
  write(data: Uint8Array): number;
}

export type EnqueueResult = "queued" | "overflow" | "too_large" | "closed";

/** What a closed writer still held: the frames (bodies, without prefix, copied) and the bytes not sent. */
export interface UnsentFrames {
  readonly bytes: number;
  readonly frames: readonly Uint8Array[];
}

const INITIAL_BYTES = 64 * 1024;

const NOTHING_UNSENT: UnsentFrames = { bytes: 0, frames: [] };

export class LinkWriter {
  private buffer: Uint8Array;
  /** Bytes live at [frameStart, end): [frameStart, start) is the part of the first frame already accepted. */
  private frameStart = 0;
  private start = 0;
  private end = 0;
  private frames = 0;
  private closed = false;
  /** The socket refused a write (closed or reset): nothing more is written; close() reports what is left. */
  private socketGone = false;
  private readonly prefixBytes: number;
  private flushedWaiters: Array<() => void> = [];
  /** Writes the socket accepted only in part (a sign of backpressure), for metrics. */
  partialWrites = 0;

  constructor(
    private readonly socket: WritableSocket,
    private readonly options: { framing: Framing; frameBytesMax: number; bufferBytesMax: number },
  ) {
    if (options.bufferBytesMax < options.frameBytesMax + 4) throw new RangeError("bufferBytesMax below one frame");
    this.buffer = new Uint8Array(Math.min(INITIAL_BYTES, options.bufferBytesMax));
    this.prefixBytes = framePrefixBytes(options.framing);
  }

  /** Bytes not yet accepted by the socket. */
  get pendingBytes(): number {
    return this.end - this.start;
  }

  /** Frames not yet wholly accepted by the socket. */
  get pendingFrames(): number {
    return this.frames;
  }

  /** Encodes the builder's message as one frame at the end of the buffer; nothing is written yet. */
  enqueue(builder: MessageBuilder): EnqueueResult {
    if (this.closed || this.socketGone) return "closed";
    const room = this.prefixBytes + this.options.frameBytesMax;
    if (!this.ensureRoom(room)) return "overflow";
    const bodyStart = this.end + this.prefixBytes;
    let bodyEnd: number;
    try {
      bodyEnd = builder.encodeInto(this.buffer, bodyStart, bodyStart + this.options.frameBytesMax);
    } catch (error) {
      // Only a message larger than frameBytesMax gets here (the request it answers fitted): refuse to send it.
      if ((error as { code?: string }).code === "length_over_max") return "too_large";
      throw error;
    }
    writeFramePrefix(this.buffer, this.end, this.options.framing, bodyEnd - bodyStart);
    this.end = bodyEnd;
    this.frames++;
    return "queued";
  }

  /** Hands everything pending to the socket; keeps what it did not accept. Safe to call with nothing pending. */
  flush(): void {
    if (this.closed || this.socketGone || this.start === this.end) {
      this.notifyIfFlushed();
      return;
    }
    const written = this.socket.write(this.buffer.subarray(this.start, this.end));
    if (written < 0) {
      // The socket is gone; its close handler calls close(), which reports what was left here.
      this.socketGone = true;
      this.notifyIfFlushed();
      return;
    }
    this.start += written;
    this.passSentFrames();
    if (this.start === this.end) {
      assert(this.frames === 0 && this.frameStart === this.end, "writer: frames left after a complete write");
      this.frameStart = 0;
      this.start = 0;
      this.end = 0;
      this.notifyIfFlushed();
    } else {
      this.partialWrites++;
    }
  }

  /** Resolves once nothing is pending (or the socket closed, in which case the rest is lost). */
  whenFlushed(): Promise<void> {
    if (this.closed || this.socketGone || this.start === this.end) return Promise.resolve();
    return new Promise((resolve) => this.flushedWaiters.push(resolve));
  }

  /** The socket is gone: pending frames can no longer be delivered. Returns them (once). */
  close(): UnsentFrames {
    if (this.closed) return NOTHING_UNSENT;
    const unsent: UnsentFrames = { bytes: this.end - this.start, frames: this.framesFrom(this.frameStart) };
    assert(unsent.frames.length === this.frames, "writer: frame count does not match its buffer");
    this.closed = true;
    this.frameStart = 0;
    this.start = 0;
    this.end = 0;
    this.frames = 0;
    this.notifyIfFlushed();
    return unsent;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Moves frameStart past every frame whose last byte the socket accepted. */
  private passSentFrames(): void {
    let frameStart = this.frameStart;
    while (frameStart < this.start) {
      const frameEnd = frameStart + this.prefixBytes + this.lengthAt(frameStart);
      if (frameEnd > this.start) break;
      frameStart = frameEnd;
      this.frames--;
    }
    this.frameStart = frameStart;
  }

  private lengthAt(offset: number): number {
    return (this.buffer[offset]! << 8) | this.buffer[offset + 1]!;
  }

  /** Copies of the frame bodies from `offset` to the end of the buffer (cold path: a closed link). */
  private framesFrom(offset: number): Uint8Array[] {
    const frames: Uint8Array[] = [];
    while (offset < this.end) {
      const bodyStart = offset + this.prefixBytes;
      const bodyEnd = bodyStart + this.lengthAt(offset);
      assert(bodyEnd <= this.end, "writer: a frame runs past the end of its buffer");
      frames.push(this.buffer.slice(bodyStart, bodyEnd));
      offset = bodyEnd;
    }
    return frames;
  }

  private notifyIfFlushed(): void {
    if (this.flushedWaiters.length === 0) return;
    const waiters = this.flushedWaiters;
    this.flushedWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Makes `bytes` free after `end`: compacts (keeping a frame sent in part), then grows (doubling) up to the bound. */
  private ensureRoom(bytes: number): boolean {
    if (this.end + bytes <= this.buffer.length) return true;
    if (this.frameStart > 0) {
      const shift = this.frameStart;
      this.buffer.copyWithin(0, shift, this.end);
      this.frameStart = 0;
      this.start -= shift;
      this.end -= shift;
      if (this.end + bytes <= this.buffer.length) return true;
    }
    const needed = this.end + bytes;
    if (needed > this.options.bufferBytesMax) return false;
    let size = this.buffer.length;
    while (size < needed) size *= 2;
    const grown = new Uint8Array(Math.min(size, this.options.bufferBytesMax));
    grown.set(this.buffer.subarray(0, this.end));
    this.buffer = grown;
    return true;
  }
}
