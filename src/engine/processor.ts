import { MessageBuilder } from "../iso8583/message-builder.ts";
import { MessageView } from "../iso8583/message-view.ts";
import type { CompiledProfile } from "../iso8583/spec.ts";
import type { Ledger } from "../ledger/ledger.ts";
import { transactionKeyOfView } from "../authorize/request.ts";
import { CodecError } from "../iso8583/errors.ts";
import type { FramingErrorCode } from "../iso8583/framing.ts";
import type { LinkSettings } from "../link/link-settings.ts";
import { LINK_STATES, NetworkLink, type LinkObserver, type LinkState } from "../link/network-link.ts";
import { MTI_NETWORK_REQUEST } from "../link/network-management.ts";
import type { LinkSession } from "../link/session.ts";
import type { UnsentFrames } from "../link/writer.ts";
import type { Logger } from "../ops/log.ts";
import type { MetricsRegistry } from "../ops/metrics.ts";
import { settledWithin } from "../ops/settled-within.ts";
import { assert, failLoudly, type AssertionFailure, type AssertionFailureSink } from "../ops/assert.ts";
import { AuthorizationTask } from "./authorization-task.ts";
import { Dispatcher } from "./dispatch.ts";
import { registerEngineMetrics, type EngineMetrics } from "./engine-metrics.ts";
import type { EngineSettings } from "./engine-settings.ts";
import { FlowControl } from "./flow-control.ts";
import { RequestRing, ViewPool } from "./ring.ts";

export interface ProcessorOptions {
  profile: CompiledProfile;
  ledger: Ledger;
  endpoints: ReadonlyArray<{ host: string; port: number }>;
  /** Links to hold, spread over the endpoints. */
  links: number;
  engine: EngineSettings;
  /** Handed whole to every link (and by each link to its sessions). */
  link: LinkSettings;
  logger: Logger;
  metrics: MetricsRegistry;
  /**
   * Where a broken invariant met by an authorization task goes, after the processor stopped authorizing
   * (stopAuthorizing): the process's fatal handler. By default it is thrown from a timer, uncaught.
   */
  onAssertionFailure?: AssertionFailureSink;
  clock?: () => number;
  random?: () => number;
}

export interface ShutdownReport {
  /** True when every step finished within the deadline. */
  clean: boolean;
  queuedLeft: number;
  bytesUnflushed: number;
  signedOff: number;
  links: number;
}

/**
 * The processor: links → dispatcher → ring → authorization tasks → writers, wired once at start-up with
 * every buffer allocated up front, and the ordered shutdown (docs/operating.md: signals and exit codes).
 */
export class Processor implements LinkObserver {
  readonly metrics: EngineMetrics;
  readonly links: NetworkLink[] = [];
  private readonly ring: RequestRing;
  private readonly pool: ViewPool;
  private readonly flow: FlowControl;
  private readonly dispatcher: Dispatcher;
  private readonly tasks: AuthorizationTask[] = [];
  private taskRuns: Array<Promise<void>> = [];
  private readonly sessions = new Set<LinkSession>();
  private stopping = false;
  /** The first broken invariant: from then on nothing goes to the ledger (stopAuthorizing). */
  private brokenBy: AssertionFailure | null = null;
  private shutdownRun: Promise<ShutdownReport> | null = null;
  private readonly clock: () => number;
  /** Decodes the frames a closed link left unsent, to name each lost response (cold path). */
  private readonly unsentView: MessageView;

  constructor(private readonly options: ProcessorOptions) {
    const { engine, link } = options;
    assert(engine.ringCapacity >= engine.batchSizeMax * engine.authTasks, "ring smaller than the tasks' batches");
    assert(options.endpoints.length > 0, "no endpoints");
    assert(
      link.pendingBytesLowWater >= 0 && link.pendingBytesLowWater < link.pendingBytesHighWater,
      "linkPendingBytesLowWater must be below linkPendingBytesHighWater",
    );
    assert(
      link.pendingBytesHighWater <= link.writeBufferBytesMax / 2,
      "linkPendingBytesHighWater above half of writeBufferBytesMax: no room for the answers in flight",
    );
    assert(link.frameAssemblyTimeoutMs > 0, "frameAssemblyTimeoutMs must be positive");
    this.unsentView = new MessageView(options.profile);
    this.clock = options.clock ?? Date.now;
    this.metrics = registerEngineMetrics(options.metrics);
    this.ring = new RequestRing(engine.ringCapacity);
    const viewsNeeded = engine.ringCapacity + engine.authTasks * engine.batchSizeMax + options.links;
    this.pool = new ViewPool(viewsNeeded, () => new MessageView(options.profile));
    const highWater = Math.max(1, Math.floor((engine.ringCapacity * engine.ringHighWaterPercent) / 100));
    const lowWater = Math.floor((engine.ringCapacity * engine.ringLowWaterPercent) / 100);
    this.flow = new FlowControl(this.ring, highWater, lowWater, this.metrics);
    this.dispatcher = new Dispatcher({
      ring: this.ring,
      pool: this.pool,
      flow: this.flow,
      builder: new MessageBuilder(options.profile),
      metrics: this.metrics,
      logger: options.logger,
      clock: this.clock,
    });
    for (let i = 0; i < engine.authTasks; i++) {
      this.tasks.push(
        new AuthorizationTask(i, engine.batchSizeMax, new MessageBuilder(options.profile), {
          ring: this.ring,
          pool: this.pool,
          flow: this.flow,
          ledger: options.ledger,
          metrics: this.metrics,
          logger: options.logger,
          clock: this.clock,
          requestDeadlineMs: engine.requestDeadlineMs,
          invariantBroken: () => this.brokenBy !== null,
          onAssertionFailure: (failure) => {
            this.stopAuthorizing(failure);
            (options.onAssertionFailure ?? failLoudly)(failure);
          },
        }),
      );
    }
    this.metrics.ringDepth.onCollect(() => this.metrics.ringDepth.set(this.ring.length));
    this.metrics.linksWritePaused.onCollect(() => {
      let paused = 0;
      for (const session of this.sessions) if (session.isPausedFor("writer")) paused++;
      this.metrics.linksWritePaused.set(paused);
    });
    this.metrics.links.onCollect(() => {
      for (const state of LINK_STATES) this.metrics.links.set(0, { state });
      for (const link of this.links) this.metrics.links.set(this.metrics.links.get({ state: link.state }) + 1, { state: link.state });
    });
    for (let i = 0; i < options.links; i++) {
      const endpoint = options.endpoints[i % options.endpoints.length]!;
      this.links.push(
        new NetworkLink(
          {
            linkId: i + 1,
            host: endpoint.host,
            port: endpoint.port,
            profile: options.profile,
            settings: link,
            clock: this.clock,
            random: options.random ?? Math.random,
            logger: options.logger,
          },
          this.dispatcher,
          this,
        ),
      );
    }
  }

  start(): void {
    this.taskRuns = this.tasks.map((task) => task.run(() => this.stopping));
    for (const link of this.links) link.start();
  }

  /**
   * A broken invariant (here or anywhere in the process): no decision is trusted any more. From now on
   * every authorization request gets 91 without the ledger — those the network sends, inline; those queued
   * and those whose batch is at the ledger, from their task — until the ordered shutdown, which still
   * flushes what was answered before, signs off and closes. Only the first failure counts.
   */
  stopAuthorizing(failure: AssertionFailure): void {
    if (this.brokenBy !== null) return;
    this.brokenBy = failure;
    this.dispatcher.mode = "decline";
  }

  /** Ready: not stopping, and at least one link signed on. */
  get ready(): boolean {
    return !this.stopping && this.brokenBy === null && this.links.some((link) => link.state === "ready");
  }

  get queued(): number {
    return this.ring.length;
  }

  onSessionOpened(session: LinkSession): void {
    session.scratch = this.pool.take();
    this.sessions.add(session);
    this.flow.add(session);
    this.metrics.reconnects.inc();
  }

  onSessionClosed(session: LinkSession, unsent: UnsentFrames): void {
    this.sessions.delete(session);
    this.flow.remove(session);
    if (session.scratch !== null) {
      this.pool.give(session.scratch);
      session.scratch = null;
    }
    if (unsent.frames.length > 0) {
      const responses = this.countUnsentResponses(session, unsent);
      this.options.logger.warn("link.closed_with_unsent_responses", { link: session.label, responses, bytes: unsent.bytes });
    }
    this.options.logger.info("link.closed", { link: session.label });
  }

  /**
   * Every response a closed link's writer still held is lost: one count and one log line (its transaction
   * key, never card data) each. Our own 0800s in the buffer are not responses and are not counted.
   */
  private countUnsentResponses(session: LinkSession, unsent: UnsentFrames): number {
    const view = this.unsentView;
    let responses = 0;
    for (const frame of unsent.frames) {
      let transaction = "undecodable";
      let code = "";
      try {
        view.decode(frame);
        if (view.mti === MTI_NETWORK_REQUEST) continue;
        transaction = transactionKeyOfView(view);
        code = view.has(39) ? view.string(39) : "";
      } catch (error) {
        if (!(error instanceof CodecError)) throw error;
      }
      responses++;
      this.metrics.undelivered.inc();
      this.options.logger.warn("engine.response_undelivered", { link: session.label, transaction, code, result: "unsent_at_close" });
    }
    return responses;
  }

  onFramingLost(_session: LinkSession, code: FramingErrorCode): void {
    this.metrics.framingLost.inc({ code });
  }

  onStateChanged(link: NetworkLink, state: LinkState): void {
    this.options.logger.debug("link.state", { link: link.id, state });
  }

  /**
   * The ordered shutdown: stop reading → drain every queued request through the ledger → flush every
   * response → sign off each link (bounded), still authorizing whatever the network sends until it
   * acknowledges → stop reading, drain and flush again → half-close, then close each socket. Bounded by
   * the engine's `drainDeadlineMs`.
   */
  shutdown(): Promise<ShutdownReport> {
    this.shutdownRun ??= this.runShutdown(this.options.engine.drainDeadlineMs);
    return this.shutdownRun;
  }

  private async runShutdown(deadlineMs: number): Promise<ShutdownReport> {
    const log = this.options.logger;
    const deadline = this.clock() + deadlineMs;
    const remaining = () => Math.max(0, deadline - this.clock());
    // 1. Stop reading; what was already read stays queued. No more re-dialling.
    this.stopping = true;
    this.flow.stopReading();
    for (const link of this.links) link.stopDialling();
    log.info("shutdown.stop_reading", { queued: this.ring.length });
    // 2. Drain: every task finishes the ring, then exits.
    this.ring.wakeAll();
    let drained = await settledWithin(Promise.all(this.taskRuns), remaining());
    log.info("shutdown.drained", { clean: drained, queued: this.ring.length });
    // 3. Flush: every response accepted by its socket.
    let flushed = await this.flushAll(remaining());
    log.info("shutdown.flushed", { clean: flushed });
    // 4. Sign off. Until the network acknowledges, what it sends is authorized as usual: the tasks run
    //    again and reading resumes. Stream order means every request it sent before its 0810 is read
    //    before the 0810; once a link's sign-off is settled (or timed out), that link is not read again.
    //    Past the deadline (the drain did not finish) nothing more is authorized: requests get 91 inline.
    let signOffSettled = false;
    if (drained) this.taskRuns = this.tasks.map((task) => task.run(() => signOffSettled));
    else this.dispatcher.mode = "decline";
    this.flow.readForSignOff();
    const signOffMs = Math.min(this.options.engine.signOffTimeoutMs, remaining());
    const acknowledged = await Promise.all(this.links.map((link) => this.signOffLink(link, signOffMs)));
    const signedOff = acknowledged.filter(Boolean).length;
    this.flow.stopReading();
    log.info("shutdown.signed_off", { acknowledged: signedOff, links: this.links.length, queued: this.ring.length });
    // 5. Drain and flush what arrived during the sign-off; from here on a request is declined 91 inline.
    signOffSettled = true;
    this.ring.wakeAll();
    drained = drained && (await settledWithin(Promise.all(this.taskRuns), remaining()));
    this.dispatcher.mode = "decline";
    while (drained && this.ring.length > 0) {
      // One that slipped in while the tasks wound down.
      this.taskRuns = this.tasks.map((task) => task.run(() => true));
      drained = await settledWithin(Promise.all(this.taskRuns), remaining());
    }
    flushed = flushed && (await this.flushAll(remaining()));
    log.info("shutdown.drained_after_sign_off", { clean: drained && flushed, queued: this.ring.length });
    // 6. Half-close each socket (queued bytes still leave), then close after the grace period.
    const graceMs = Math.min(this.options.engine.closeGraceMs, remaining());
    await settledWithin(Promise.all([...this.sessions].map((s) => s.closeGracefully(graceMs))), remaining());
    for (const session of this.sessions) session.abort();
    await settledWithin(Promise.all(this.links.map((link) => link.stopped())), remaining());
    const bytesUnflushed = [...this.sessions].reduce((n, s) => n + s.writer.pendingBytes, 0);
    return {
      clean: drained && flushed && this.ring.length === 0,
      queuedLeft: this.ring.length,
      bytesUnflushed,
      signedOff,
      links: this.links.length,
    };
  }

  /** Every session's pending responses accepted by its socket, within `timeoutMs`. */
  private flushAll(timeoutMs: number): Promise<boolean> {
    return settledWithin(Promise.all([...this.sessions].map((s) => s.writer.whenFlushed())), timeoutMs);
  }

  /** Signs off one link; once settled (acknowledged, refused or timed out) its session is read no more. */
  private async signOffLink(link: NetworkLink, timeoutMs: number): Promise<boolean> {
    const session = link.session;
    const acknowledged = await link.signOff(timeoutMs);
    if (session !== null) this.flow.stopReadingFrom(session);
    return acknowledged;
  }
}
