import type { Socket } from "bun";
import { originatingBase1Header, type Base1Header } from "../iso8583/base1-header.ts";
import { MessageBuilder } from "../iso8583/message-builder.ts";
import type { MessageView } from "../iso8583/message-view.ts";
import type { CompiledProfile } from "../iso8583/spec.ts";
import { Framer, FramingError, framePrefixBytes } from "../iso8583/framing.ts";
import type { LinkSettings } from "./link-settings.ts";
import { buildNetworkRequest, nextStan, type NetworkManagementCode } from "./network-management.ts";
import { LinkWriter, type UnsentFrames } from "./writer.ts";

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
  /** Reading stopped (true) or resumed (false) because of the responses waiting in the writer. */
  onWriteBackpressure(session: LinkSession, paused: boolean): void;
  /** The socket closed; `unsent` is every frame the writer still held (lost). */
  onClosed(session: LinkSession, unsent: UnsentFrames): void;
}

/**
 * Why reading is paused. Several can hold at once, and reading resumes only when none is left: the ring
 * above high water (every link), shutdown, and this link's own unsent responses above their high water.
 */
export type PauseReason = "ring" | "shutdown" | "writer";
const PAUSE_BIT: Readonly<Record<PauseReason, number>> = { ring: 1, shutdown: 2, writer: 4 };

export interface SessionOptions {
  linkId: number;
  sessionId: number;
  profile: CompiledProfile;
  /** The link's settings, whole: frame bounds, write buffer and backpressure marks, assembly bound, stations. */
  settings: LinkSettings;
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
  /** The BASE I header of the 0800s we originate; null when the profile has no header. */
  private readonly base1Header: Base1Header | null;
  private readonly settings: LinkSettings;
  private pauseBits = 0;
  /** When the first byte of the partial frame the framer holds arrived (ms), or -1 when it holds none. */
  private assemblyStartedMs = -1;
  /** Armed only while a partial frame is held (re-armed at most once per timeout, not per chunk). */
  private assemblyTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly socket: Socket<unknown>,
    private readonly options: SessionOptions,
    private readonly sink: FrameSink,
    private readonly events: SessionEvents,
  ) {
    const settings = options.settings;
    this.settings = settings;
    this.linkId = options.linkId;
    this.sessionId = options.sessionId;
    this.framer = new Framer({ framing: options.profile.framing, frameBytesMax: settings.frameBytesMax });
    this.writer = new LinkWriter(socket, {
      framing: options.profile.framing,
      frameBytesMax: settings.frameBytesMax,
      bufferBytesMax: settings.writeBufferBytesMax,
    });
    this.builder = new MessageBuilder(options.profile);
    this.base1Header = options.profile.headerBytes > 0 ? originatingBase1Header(settings.base1Stations) : null;
    this.lastReceivedMs = options.clock();
    if (!(settings.pendingBytesLowWater >= 0 && settings.pendingBytesLowWater < settings.pendingBytesHighWater)) {
      throw new RangeError("pendingBytesLowWater must be at least 0 and below pendingBytesHighWater");
    }
    const frameRoom = framePrefixBytes(options.profile.framing) + settings.frameBytesMax;
    if (settings.pendingBytesHighWater + frameRoom > settings.writeBufferBytesMax) {
      throw new RangeError("pendingBytesHighWater leaves no room for a frame in writeBufferBytesMax");
    }
  }

  get label(): string {
    return `link ${this.linkId}/${this.sessionId}`;
  }

  /** Bytes arrived: frame them, hand every frame on, then write whatever the frames produced in one go. */
  onData(chunk: Uint8Array): void {
    const nowMs = this.options.clock();
    this.lastReceivedMs = nowMs;
    const framesBefore = this.framesIn;
    try {
      this.framer.push(chunk, (frame) => {
        this.framesIn++;
        this.sink.onFrame(this, frame);
      });
    } catch (error) {
      if (!(error instanceof FramingError)) throw error;
      this.flush();
      this.events.onFramingError(this, error);
      return;
    }
    this.trackAssembly(nowMs, framesBefore);
    this.flush();
  }

  onDrain(): void {
    this.flush();
  }

  /**
   * Hands the writer's pending bytes to the socket, then applies this link's backpressure: at or above
   * the high-water mark of unsent bytes it stops reading (the network then feels TCP backpressure on
   * this link alone); at or below the low-water mark it reads again.
   */
  flush(): void {
    this.writer.flush();
    const pending = this.writer.pendingBytes;
    const pausedForWriter = (this.pauseBits & PAUSE_BIT.writer) !== 0;
    if (!pausedForWriter && pending >= this.settings.pendingBytesHighWater) {
      this.pauseReading("writer");
      if (!this.closed) this.events.onWriteBackpressure(this, true);
    } else if (pausedForWriter && pending <= this.settings.pendingBytesLowWater) {
      this.resumeReading("writer");
      if (!this.closed) this.events.onWriteBackpressure(this, false);
    }
  }

  /**
   * After a chunk: a partial frame held now started in this chunk if none was held before or if a frame
   * completed in it; otherwise it is the same frame as before and keeps its start time.
   */
  private trackAssembly(nowMs: number, framesBefore: number): void {
    if (this.framer.bufferedBytes === 0) {
      this.assemblyStartedMs = -1;
      return;
    }
    if (this.assemblyStartedMs < 0 || this.framesIn !== framesBefore) this.assemblyStartedMs = nowMs;
    if (this.assemblyTimer === null) this.armAssemblyTimer(this.settings.frameAssemblyTimeoutMs);
  }

  private armAssemblyTimer(delayMs: number): void {
    this.assemblyTimer = setTimeout(() => this.checkAssembly(), Math.max(1, delayMs));
  }

  /** The assembly timer fired: the frame held is late (framing lost), or the timer waits for what is left. */
  private checkAssembly(): void {
    this.assemblyTimer = null;
    if (this.closed || this.assemblyStartedMs < 0) return;
    const timeoutMs = this.settings.frameAssemblyTimeoutMs;
    if (this.pauseBits !== 0) {
      // We are not reading: the rest of the frame cannot arrive, and the peer is not to blame.
      this.armAssemblyTimer(timeoutMs);
      return;
    }
    const elapsedMs = this.options.clock() - this.assemblyStartedMs;
    if (elapsedMs < timeoutMs) {
      this.armAssemblyTimer(timeoutMs - elapsedMs);
      return;
    }
    const held = this.framer.bufferedBytes;
    this.events.onFramingError(
      this,
      new FramingError(
        "frame_assembly_timeout",
        `${held} bytes of a frame held ${elapsedMs} ms, over frameAssemblyTimeoutMs ${timeoutMs}`,
      ),
    );
  }

  /** Sends an 0800 and resolves with the DE 39 of its 0810, or rejects after `timeoutMs` / on close. */
  requestNetworkManagement(code: NetworkManagementCode, timeoutMs: number): Promise<string> {
    if (this.closed) return Promise.reject(new Error(`${this.label} is closed`));
    this.stan = nextStan(this.stan);
    const stan = String(this.stan).padStart(6, "0");
    buildNetworkRequest(this.builder, code, this.stan, this.options.clock(), this.base1Header);
    const queued = this.writer.enqueue(this.builder);
    if (queued !== "queued") return Promise.reject(new Error(`${this.label}: 0800 not sent (${queued})`));
    this.flush();
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

  /** Adds `reason` to the reasons reading is paused; the socket stops reading at the first one. */
  pauseReading(reason: PauseReason): void {
    if (this.closed) return;
    const before = this.pauseBits;
    this.pauseBits |= PAUSE_BIT[reason];
    if (before === 0 && this.pauseBits !== 0) this.socket.pause();
  }

  /** Removes `reason`; the socket reads again only when no reason is left. */
  resumeReading(reason: PauseReason): void {
    if (this.closed || (this.pauseBits & PAUSE_BIT[reason]) === 0) return;
    this.pauseBits &= ~PAUSE_BIT[reason];
    if (this.pauseBits !== 0) return;
    // The time spent not reading does not count against a partial frame's assembly bound.
    if (this.assemblyStartedMs >= 0) this.assemblyStartedMs = this.options.clock();
    this.socket.resume();
  }

  get isPaused(): boolean {
    return this.pauseBits !== 0;
  }

  isPausedFor(reason: PauseReason): boolean {
    return (this.pauseBits & PAUSE_BIT[reason]) !== 0;
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
    if (this.assemblyTimer !== null) clearTimeout(this.assemblyTimer);
    this.assemblyTimer = null;
    const unsent = this.writer.close();
    for (const [stan, entry] of this.pending) {
      clearTimeout(entry.timer);
      entry.reject(new Error(`${this.label} closed while waiting for the 0810 to ${entry.code}`));
      this.pending.delete(stan);
    }
    this.events.onClosed(this, unsent);
  }
}
