import type { Socket } from "bun";
import type { Base1Header } from "../iso8583/base1-header.ts";
import { MessageBuilder } from "../iso8583/message-builder.ts";
import type { MessageView } from "../iso8583/message-view.ts";
import type { CompiledProfile } from "../iso8583/spec.ts";
import { Framer, FramingError } from "./framing.ts";
import { buildNetworkRequest, nextStan, type NetworkManagementCode } from "./network-management.ts";
import { LinkWriter } from "./writer.ts";

/**
 * One TCP connection to the network: framing in, coalesced writes out, and the 0800s we are waiting on.
 * A session lives exactly as long as its socket; the link that owns it dials a new one after it closes.
 * Responses always go back on the session their request came on, never on its successor.
 */
export interface FrameSink {
  /** A complete frame arrived. Synchronous; never throws for bad input (it answers or counts it). */
  onFrame(session: LinkSession, frame: Uint8Array): void;
}

export interface SessionEvents {
  onFramingError(session: LinkSession, error: FramingError): void;
  onClosed(session: LinkSession, droppedBytes: number): void;
}

export interface SessionOptions {
  linkId: number;
  sessionId: number;
  profile: CompiledProfile;
  frameBytesMax: number;
  writeBufferBytesMax: number;
  base1Header: Base1Header | null;
  clock: () => number;
}

export class NetworkManagementTimeout extends Error {
  override readonly name = "NetworkManagementTimeout";
  readonly code = "network_management_timeout";
}

interface PendingNetworkRequest {
  code: NetworkManagementCode;
  resolve: (responseCode: string) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class LinkSession {
  readonly linkId: number;
  readonly sessionId: number;
  readonly writer: LinkWriter;
  readonly framer: Framer;
  /** Decoding scratch for the engine; the engine may swap it for another view (see the ring). */
  scratch: MessageView | null = null;
  signedOn = false;
  closed = false;
  /** Last time bytes arrived (ms), for idle detection. */
  lastReceivedMs: number;
  framesIn = 0;
  private stan = 0;
  private readonly pending = new Map<string, PendingNetworkRequest>();
  private readonly builder: MessageBuilder;
  private paused = false;

  constructor(
    private readonly socket: Socket<unknown>,
    private readonly options: SessionOptions,
    private readonly sink: FrameSink,
    private readonly events: SessionEvents,
  ) {
    this.linkId = options.linkId;
    this.sessionId = options.sessionId;
    this.framer = new Framer({ framing: options.profile.framing, frameBytesMax: options.frameBytesMax });
    this.writer = new LinkWriter(socket, {
      framing: options.profile.framing,
      frameBytesMax: options.frameBytesMax,
      bufferBytesMax: options.writeBufferBytesMax,
    });
    this.builder = new MessageBuilder(options.profile);
    this.lastReceivedMs = options.clock();
  }

  get label(): string {
    return `link ${this.linkId}/${this.sessionId}`;
  }

  /** Bytes arrived: frame them, hand every frame on, then write whatever the frames produced in one go. */
  onData(chunk: Uint8Array): void {
    this.lastReceivedMs = this.options.clock();
    try {
      this.framer.push(chunk, (frame) => {
        this.framesIn++;
        this.sink.onFrame(this, frame);
      });
    } catch (error) {
      if (!(error instanceof FramingError)) throw error;
      this.writer.flush();
      this.events.onFramingError(this, error);
      return;
    }
    this.writer.flush();
  }

  onDrain(): void {
    this.writer.flush();
  }

  /** Sends an 0800 and resolves with the DE 39 of its 0810, or rejects after `timeoutMs` / on close. */
  requestNetworkManagement(code: NetworkManagementCode, timeoutMs: number): Promise<string> {
    if (this.closed) return Promise.reject(new Error(`${this.label} is closed`));
    this.stan = nextStan(this.stan);
    const stan = String(this.stan).padStart(6, "0");
    buildNetworkRequest(this.builder, code, this.stan, this.options.clock(), this.options.base1Header);
    const queued = this.writer.enqueue(this.builder);
    if (queued !== "queued") return Promise.reject(new Error(`${this.label}: 0800 not sent (${queued})`));
    this.writer.flush();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(stan);
        reject(new NetworkManagementTimeout(`${this.label}: no 0810 to ${code} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(stan, { code, resolve, reject, timer });
    });
  }

  /** An 0810 arrived: settle the 0800 it answers (matched by STAN); false when nothing was waiting. */
  onNetworkManagementResponse(view: MessageView): boolean {
    if (!view.has(11)) return false;
    const entry = this.pending.get(view.string(11));
    if (entry === undefined) return false;
    this.pending.delete(view.string(11));
    clearTimeout(entry.timer);
    entry.resolve(view.has(39) ? view.string(39) : "");
    return true;
  }

  get awaitingNetworkManagement(): number {
    return this.pending.size;
  }

  pauseReading(): void {
    if (this.paused || this.closed) return;
    this.paused = true;
    this.socket.pause();
  }

  resumeReading(): void {
    if (!this.paused || this.closed) return;
    this.paused = false;
    this.socket.resume();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Orderly close: half-close our side (queued bytes still go out), then close after `graceMs`. */
  async closeGracefully(graceMs: number): Promise<void> {
    if (this.closed) return;
    await this.writer.whenFlushed();
    if (this.closed) return;
    this.socket.shutdown();
    if (graceMs > 0) await Bun.sleep(graceMs);
    if (!this.closed) this.socket.end();
  }

  /** Immediate close (framing lost, echo unanswered): nothing more can be trusted on this stream. */
  abort(): void {
    if (this.closed) return;
    this.socket.end();
  }

  /** Called from the socket's close handler. */
  onSocketClosed(): void {
    if (this.closed) return;
    this.closed = true;
    const dropped = this.writer.close();
    for (const [stan, entry] of this.pending) {
      clearTimeout(entry.timer);
      entry.reject(new Error(`${this.label} closed while waiting for the 0810 to ${entry.code}`));
      this.pending.delete(stan);
    }
    this.events.onClosed(this, dropped);
  }
}
