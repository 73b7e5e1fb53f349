import type { Socket } from "bun";
import type { CompiledProfile } from "../iso8583/spec.ts";
import type { Logger } from "../ops/log.ts";
import { backoffDelayMs } from "./backoff.ts";
import type { LinkSettings } from "./link-settings.ts";
import type { FramingError, FramingErrorCode } from "../iso8583/framing.ts";
import { NETWORK_MANAGEMENT_CODE } from "./network-management.ts";
import { LinkSession, type FrameSink } from "./session.ts";
import type { UnsentFrames } from "./writer.ts";

/**
 * One of the few links the network allows: dials its endpoint, signs on, keeps the line alive with echo
 * tests when idle, and re-dials with backoff whenever the connection is lost — until it is told to stop.
 * The data plane (frames in, responses out) runs through the session; this class is the control plane.
 */
export type LinkState = "idle" | "connecting" | "signing_on" | "ready" | "backoff" | "signing_off" | "stopped";
export const LINK_STATES: readonly LinkState[] = [
  "idle",
  "connecting",
  "signing_on",
  "ready",
  "backoff",
  "signing_off",
  "stopped",
];

export interface LinkOptions {
  linkId: number;
  host: string;
  port: number;
  profile: CompiledProfile;
  /** Shared by every link, and handed whole to each of its sessions. */
  settings: LinkSettings;
  clock: () => number;
  random: () => number;
  logger: Logger;
}

export interface LinkObserver {
  /** A session opened (after connect, before sign-on): the engine prepares its decoding scratch. */
  onSessionOpened(session: LinkSession): void;
  /** The session's socket closed; `unsent` holds every frame its writer had not sent (each one lost). */
  onSessionClosed(session: LinkSession, unsent: UnsentFrames): void;
  /** The session's byte stream could no longer be framed; the link closes it and re-dials. */
  onFramingLost(session: LinkSession, code: FramingErrorCode): void;
  onStateChanged(link: NetworkLink, state: LinkState): void;
}

export class ConnectTimeout extends Error {
  override readonly name = "ConnectTimeout";
  readonly code = "connect_timeout";
}

export class NetworkLink {
  readonly id: number;
  state: LinkState = "idle";
  session: LinkSession | null = null;
  /** Connect attempts that failed in a row (drives the backoff); reset by a successful sign-on. */
  failuresInRow = 0;
  connects = 0;
  private stopping = false;
  private sessionCount = 0;
  private wakeBackoff: (() => void) | null = null;
  private sessionEnded: (() => void) | null = null;
  private echoTimer: ReturnType<typeof setInterval> | null = null;
  private echoInFlight = false;
  private running: Promise<void> | null = null;

  constructor(
    private readonly options: LinkOptions,
    private readonly sink: FrameSink,
    private readonly observer: LinkObserver,
  ) {
    this.id = options.linkId;
  }

  get endpoint(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  start(): void {
    if (this.running === null) this.running = this.run();
  }

  /** Stops re-dialling; the current session (if any) stays up until the caller signs off and closes it. */
  stopDialling(): void {
    this.stopping = true;
    this.wakeBackoff?.();
  }

  /** Resolves when the dial loop has ended (after stopDialling and the session's close). */
  async stopped(): Promise<void> {
    await this.running;
  }

  private setState(state: LinkState): void {
    if (this.state === state) return;
    this.state = state;
    this.observer.onStateChanged(this, state);
  }

  private async run(): Promise<void> {
    const log = this.options.logger;
    while (!this.stopping) {
      this.setState("connecting");
      let session: LinkSession;
      try {
        session = await this.dial();
      } catch (error) {
        this.failuresInRow++;
        log.warn("link.connect_failed", { link: this.id, endpoint: this.endpoint, error, attempt: this.failuresInRow });
        await this.backoff();
        continue;
      }
      const ended = new Promise<void>((resolve) => (this.sessionEnded = resolve));
      if (session.closed) this.sessionEnded?.();
      await this.signOn(session);
      await ended;
      this.stopEchoTimer();
      this.session = null;
      if (this.stopping) break;
      await this.backoff();
    }
    this.setState("stopped");
  }

  private async signOn(session: LinkSession): Promise<void> {
    if (session.closed) return;
    this.setState("signing_on");
    const log = this.options.logger;
    try {
      const { signOnTimeoutMs } = this.options.settings;
      const code = await session.requestNetworkManagement(NETWORK_MANAGEMENT_CODE.signOn, signOnTimeoutMs);
      if (code !== "00") {
        log.warn("link.sign_on_refused", { link: this.id, responseCode: code });
        this.failuresInRow++;
        session.abort();
        return;
      }
    } catch (error) {
      if (!session.closed) {
        log.warn("link.sign_on_failed", { link: this.id, error });
        this.failuresInRow++;
        session.abort();
      }
      return;
    }
    if (session.closed) return;
    session.signedOn = true;
    this.failuresInRow = 0;
    this.setState("ready");
    log.info("link.ready", { link: this.id, endpoint: this.endpoint, session: session.sessionId });
    this.startEchoTimer(session);
  }

  /** Connects with our own timeout (Bun has none): a late success after the timeout is closed at once. */
  private dial(): Promise<LinkSession> {
    const { host, port } = this.options;
    const { connectTimeoutMs } = this.options.settings;
    let abandoned = false;
    const connecting = Bun.connect<{ session: LinkSession | null }>({
      hostname: host,
      port,
      data: { session: null },
      socket: {
        binaryType: "uint8array",
        open: (socket) => {
          if (abandoned) {
            socket.end();
            return;
          }
          socket.setNoDelay(true);
          socket.data.session = this.openSession(socket as Socket<unknown>);
        },
        data: (socket, chunk) => socket.data.session?.onData(chunk),
        drain: (socket) => socket.data.session?.onDrain(),
        close: (socket) => socket.data.session?.onSocketClosed(),
        error: (socket, error) => {
          this.options.logger.warn("link.socket_error", { link: this.id, error });
          socket.data.session?.onSocketClosed();
        },
      },
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abandoned = true;
        reject(new ConnectTimeout(`connect to ${this.endpoint} took over ${connectTimeoutMs} ms`));
      }, connectTimeoutMs);
    });
    return Promise.race([connecting, timeout])
      .then((socket) => {
        const session = socket.data.session;
        if (session === null) throw new Error(`connected to ${this.endpoint} without a session`);
        return session;
      })
      .finally(() => clearTimeout(timer));
  }

  private openSession(socket: Socket<unknown>): LinkSession {
    this.sessionCount++;
    this.connects++;
    const session = new LinkSession(
      socket,
      {
        linkId: this.id,
        sessionId: this.sessionCount,
        profile: this.options.profile,
        settings: this.options.settings,
        clock: this.options.clock,
      },
      this.sink,
      {
        onFramingError: (s, error) => this.onFramingError(s, error),
        onWriteBackpressure: (s, paused) => this.onWriteBackpressure(s, paused),
        onClosed: (s, unsent) => {
          this.observer.onSessionClosed(s, unsent);
          if (this.session === s) this.sessionEnded?.();
        },
      },
    );
    this.session = session;
    this.observer.onSessionOpened(session);
    return session;
  }

  /** Framing lost (a bad prefix, or a frame not whole within frameAssemblyTimeoutMs): close and re-dial. */
  private onFramingError(session: LinkSession, error: FramingError): void {
    if (session.closed) return;
    this.options.logger.error("link.framing_lost", {
      link: this.id,
      session: session.sessionId,
      code: error.code,
      detail: error.message,
    });
    this.observer.onFramingLost(session, error.code);
    session.abort();
  }

  private onWriteBackpressure(session: LinkSession, paused: boolean): void {
    const fields = { link: this.id, session: session.sessionId, pendingBytes: session.writer.pendingBytes };
    if (paused) this.options.logger.warn("link.write_backpressure", fields);
    else this.options.logger.info("link.write_backpressure_cleared", fields);
  }

  private startEchoTimer(session: LinkSession): void {
    this.stopEchoTimer();
    const { echoIdleMs, echoTimeoutMs } = this.options.settings;
    const tickMs = Math.max(10, Math.min(echoIdleMs, echoTimeoutMs) / 4);
    this.echoTimer = setInterval(() => this.checkIdle(session), tickMs);
  }

  private stopEchoTimer(): void {
    if (this.echoTimer !== null) clearInterval(this.echoTimer);
    this.echoTimer = null;
    this.echoInFlight = false;
  }

  /** Idle past echoIdleMs: send an echo; no 0810 within echoTimeoutMs: the line is dead, re-dial. */
  private checkIdle(session: LinkSession): void {
    if (session.closed || this.echoInFlight || this.state !== "ready") return;
    if (this.options.clock() - session.lastReceivedMs < this.options.settings.echoIdleMs) return;
    this.echoInFlight = true;
    session.requestNetworkManagement(NETWORK_MANAGEMENT_CODE.echo, this.options.settings.echoTimeoutMs).then(
      () => {
        this.echoInFlight = false;
      },
      (error: unknown) => {
        this.echoInFlight = false;
        if (session.closed) return;
        this.options.logger.warn("link.echo_unanswered", { link: this.id, session: session.sessionId, error });
        session.abort();
      },
    );
  }

  /** Signs off the current session (bounded wait); true when the network acknowledged. */
  async signOff(timeoutMs: number): Promise<boolean> {
    const session = this.session;
    if (session === null || session.closed || !session.signedOn) return false;
    this.stopEchoTimer();
    this.setState("signing_off");
    try {
      const code = await session.requestNetworkManagement(NETWORK_MANAGEMENT_CODE.signOff, timeoutMs);
      return code === "00";
    } catch (error) {
      this.options.logger.warn("link.sign_off_unacknowledged", { link: this.id, error });
      return false;
    }
  }

  private async backoff(): Promise<void> {
    if (this.stopping) return;
    this.setState("backoff");
    const delayMs = backoffDelayMs(this.failuresInRow, {
      minMs: this.options.settings.reconnectDelayMinMs,
      maxMs: this.options.settings.reconnectDelayMaxMs,
      random: this.options.random,
    });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delayMs);
      this.wakeBackoff = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wakeBackoff = null;
  }
}
