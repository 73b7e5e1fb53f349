import type { MessageBuilder } from "../iso8583/message-builder.ts";
import type { Framing } from "../iso8583/spec.ts";
import { framePrefixBytes, writeFramePrefix } from "./framing.ts";

/**
 * The outgoing side of one connection. Responses produced in one turn are encoded back to back into one
 * buffer and handed to the socket in one write. Bun buffers nothing for us: whatever the socket does not
 * accept stays here and goes out on `drain`. The buffer is bounded; a socket that stops accepting until the
 * bound is reached has a peer that no longer reads, and the caller re-dials.
 */
export interface WritableSocket {
  /** Bytes accepted (possibly fewer than given), or a negative number when the socket is closed. */
  write(data: Uint8Array): number;
}

export type EnqueueResult = "queued" | "overflow" | "too_large" | "closed";

const INITIAL_BYTES = 64 * 1024;

export class LinkWriter {
  private buffer: Uint8Array;
  private start = 0;
  private end = 0;
  private closed = false;
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

  get pendingBytes(): number {
    return this.end - this.start;
  }

  /** Encodes the builder's message as one frame at the end of the buffer; nothing is written yet. */
  enqueue(builder: MessageBuilder): EnqueueResult {
    if (this.closed) return "closed";
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
    return "queued";
  }

  /** Hands everything pending to the socket; keeps what it did not accept. Safe to call with nothing pending. */
  flush(): void {
    if (this.closed || this.start === this.end) {
      this.notifyIfFlushed();
      return;
    }
    const written = this.socket.write(this.buffer.subarray(this.start, this.end));
    if (written < 0) {
      this.close();
      return;
    }
    this.start += written;
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
      this.notifyIfFlushed();
    } else {
      this.partialWrites++;
    }
  }

  /** Resolves once nothing is pending (or the socket closed, in which case the rest is lost). */
  whenFlushed(): Promise<void> {
    if (this.closed || this.start === this.end) return Promise.resolve();
    return new Promise((resolve) => this.flushedWaiters.push(resolve));
  }

  /** The socket is gone: pending bytes can no longer be delivered. Returns how many were dropped. */
  close(): number {
    const dropped = this.end - this.start;
    this.closed = true;
    this.start = 0;
    this.end = 0;
    this.notifyIfFlushed();
    return dropped;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private notifyIfFlushed(): void {
    if (this.flushedWaiters.length === 0) return;
    const waiters = this.flushedWaiters;
    this.flushedWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Makes `bytes` free after `end`: compacts, then grows (doubling) up to the bound. */
  private ensureRoom(bytes: number): boolean {
    if (this.end + bytes <= this.buffer.length) return true;
    if (this.start > 0) {
      this.buffer.copyWithin(0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
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
