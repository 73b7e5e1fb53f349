import type { Base1Header } from "../iso8583/base1-header.ts";
import { MessageBuilder } from "../iso8583/message-builder.ts";
import { MessageView } from "../iso8583/message-view.ts";
import type { CompiledProfile } from "../iso8583/spec.ts";
import type { Ledger } from "../ledger/ledger.ts";
import { LINK_STATES, NetworkLink, type LinkObserver, type LinkState } from "../link/network-link.ts";
import type { LinkSession } from "../link/session.ts";
import type { Logger } from "../ops/log.ts";
import type { MetricsRegistry } from "../ops/metrics.ts";
import { settledWithin } from "../ops/settled-within.ts";
import { assert } from "./assert.ts";
import { AuthorizationTask, type RequestMapper } from "./authorization-task.ts";
import { Dispatcher } from "./dispatch.ts";
import { registerEngineMetrics, type EngineMetrics } from "./engine-metrics.ts";
import { FlowControl } from "./flow-control.ts";
import { RequestRing, ViewPool } from "./ring.ts";

export interface ProcessorOptions {
  profile: CompiledProfile;
  ledger: Ledger;
  toRequest: RequestMapper;
  describe: (view: MessageView) => string;
  endpoints: ReadonlyArray<{ host: string; port: number }>;
  links: number;
  frameBytesMax: number;
  writeBufferBytesMax: number;
  ringCapacity: number;
  ringHighWaterPercent: number;
  ringLowWaterPercent: number;
  authTasks: number;
  batchSizeMax: number;
  requestDeadlineMs: number;
  connectTimeoutMs: number;
  signOnTimeoutMs: number;
  echoIdleMs: number;
  echoTimeoutMs: number;
  reconnectDelayMinMs: number;
  reconnectDelayMaxMs: number;
  signOffTimeoutMs: number;
  closeGraceMs: number;
  base1Header: Base1Header | null;
  logger: Logger;
  metrics: MetricsRegistry;
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
 * every buffer allocated up front, and the ordered shutdown of DESIGN.md.
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
  private shutdownRun: Promise<ShutdownReport> | null = null;
  private readonly clock: () => number;

  constructor(private readonly options: ProcessorOptions) {
    assert(options.ringCapacity >= options.batchSizeMax * options.authTasks, "ring smaller than the tasks' batches");
    assert(options.endpoints.length > 0, "no endpoints");
    this.clock = options.clock ?? Date.now;
    this.metrics = registerEngineMetrics(options.metrics);
    this.ring = new RequestRing(options.ringCapacity);
    const viewsNeeded = options.ringCapacity + options.authTasks * options.batchSizeMax + options.links;
    this.pool = new ViewPool(viewsNeeded, () => new MessageView(options.profile));
    const highWater = Math.max(1, Math.floor((options.ringCapacity * options.ringHighWaterPercent) / 100));
    const lowWater = Math.floor((options.ringCapacity * options.ringLowWaterPercent) / 100);
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
    for (let i = 0; i < options.authTasks; i++) {
      this.tasks.push(
        new AuthorizationTask(i, options.batchSizeMax, new MessageBuilder(options.profile), {
          ring: this.ring,
          pool: this.pool,
          flow: this.flow,
          ledger: options.ledger,
          toRequest: options.toRequest,
          metrics: this.metrics,
          logger: options.logger,
          clock: this.clock,
          requestDeadlineMs: options.requestDeadlineMs,
          describe: options.describe,
        }),
      );
    }
    this.metrics.ringDepth.onCollect(() => this.metrics.ringDepth.set(this.ring.length));
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
            frameBytesMax: options.frameBytesMax,
            writeBufferBytesMax: options.writeBufferBytesMax,
            connectTimeoutMs: options.connectTimeoutMs,
            signOnTimeoutMs: options.signOnTimeoutMs,
            echoIdleMs: options.echoIdleMs,
            echoTimeoutMs: options.echoTimeoutMs,
            reconnectDelayMinMs: options.reconnectDelayMinMs,
            reconnectDelayMaxMs: options.reconnectDelayMaxMs,
            base1Header: options.base1Header,
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

  /** Ready: not stopping, and at least one link signed on. */
  get ready(): boolean {
    return !this.stopping && this.links.some((link) => link.state === "ready");
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

  onSessionClosed(session: LinkSession, droppedBytes: number): void {
    this.sessions.delete(session);
    this.flow.remove(session);
    if (session.scratch !== null) {
      this.pool.give(session.scratch);
      session.scratch = null;
    }
    if (droppedBytes > 0) {
      this.options.logger.warn("link.closed_with_unsent_responses", { link: session.label, bytes: droppedBytes });
    }
    this.options.logger.info("link.closed", { link: session.label });
  }

  onStateChanged(link: NetworkLink, state: LinkState): void {
    this.options.logger.debug("link.state", { link: link.id, state });
  }

  /**
   * The ordered shutdown: stop reading → drain every queued request through the ledger → flush every
   * response → sign off each link (bounded) → half-close, then close each socket. Bounded by `deadlineMs`.
   */
  shutdown(deadlineMs: number): Promise<ShutdownReport> {
    this.shutdownRun ??= this.runShutdown(deadlineMs);
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
    // From here on a request is declined 91 inline; one that slipped in while the tasks wound down is drained.
    this.dispatcher.mode = "decline";
    while (drained && this.ring.length > 0) {
      this.taskRuns = this.tasks.map((task) => task.run(() => true));
      drained = await settledWithin(Promise.all(this.taskRuns), remaining());
    }
    log.info("shutdown.drained", { clean: drained, queued: this.ring.length });
    // 3. Flush: every response accepted by its socket.
    const flushed = await settledWithin(Promise.all([...this.sessions].map((s) => s.writer.whenFlushed())), remaining());
    log.info("shutdown.flushed", { clean: flushed });
    // 4. Sign off: reading resumes only to hear the 0810s; new requests are declined 91 inline.
    this.flow.readForSignOff();
    const signOffMs = Math.min(this.options.signOffTimeoutMs, remaining());
    const acknowledged = await Promise.all(this.links.map((link) => link.signOff(signOffMs)));
    const signedOff = acknowledged.filter(Boolean).length;
    log.info("shutdown.signed_off", { acknowledged: signedOff, links: this.links.length });
    // 5. Half-close each socket (queued bytes still leave), then close after the grace period.
    await settledWithin(
      Promise.all([...this.sessions].map((s) => s.closeGracefully(Math.min(this.options.closeGraceMs, remaining())))),
      remaining(),
    );
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
}
