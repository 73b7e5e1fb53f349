import { hostname } from "node:os";
import packageJson from "../../package.json" with { type: "json" };
import { currencyAlpha } from "../domain/currency.ts";
import type { Ledger, OutboxEvent } from "../ledger/ledger.ts";
import { AssertionFailure, failLoudly, type AssertionFailureSink } from "../ops/assert.ts";
import type { Logger } from "../ops/log.ts";
import type { MetricsRegistry } from "../ops/metrics.ts";
import { settledWithin } from "../ops/settled-within.ts";
import { retryDelayMs } from "./backoff.ts";
import { webhookBody } from "../ledger/event-body.ts";
import { registerNotifierMetrics, type NotifierMetrics } from "./notifier-metrics.ts";
import { SIGNATURE_HEADER, signatureHeader } from "./signature.ts";

export interface NotifierOptions {
  readonly ledger: Ledger;
  /** SEKISHO_WEBHOOK_URL and SEKISHO_WEBHOOK_SECRET. */
  readonly url: string;
  readonly secret: string;
  /** config.webhookTimeoutMs: bound on one attempt. */
  readonly timeoutMs: number;
  /** config.webhookRetryDelayMinMs / MaxMs: the backoff's first and largest delay. */
  readonly retryDelayMinMs: number;
  readonly retryDelayMaxMs: number;
  /** config.webhookBatchSizeMax: events claimed per turn. */
  readonly batchSizeMax: number;
  /** config.webhookConcurrency: deliveries in flight (the ledger never hands out two of one account). */
  readonly concurrency: number;
  /** config.webhookPollMs: how often an idle notifier looks for events. */
  readonly pollMs: number;
  readonly metrics: MetricsRegistry;
  readonly logger: Logger;
  /** Lease holder name in the outbox; unique per process by default. */
  readonly owner?: string;
  readonly clock?: () => number;
  readonly random?: () => number;
  readonly fetch?: (url: string, init: RequestInit) => Promise<Response>;
  /**
   * Where a broken invariant met by the loop or a delivery goes (the process's fatal handler): the notifier
   * stops claiming instead of retrying. Thrown uncaught by default.
   */
  readonly onAssertionFailure?: AssertionFailureSink;
}

/** How long a claimed event stays ours past its attempt's timeout (covers the ledger update after it). */
const LEASE_MARGIN_MS = 10_000;
/** The backlog gauge is a count over the outbox, which grows while a receiver is down: sample it rarely. */
const BACKLOG_SAMPLE_MS = 5000;
/** After stop()'s wait, aborted deliveries get this long to hand their events back to the outbox. */
const RELEASE_WAIT_MS = 1000;

/**
 * Delivers the outbox to the program's webhook: claims a small batch of events on its own timer (never on
 * the authorization path), POSTs each signed, with a timeout; a 2xx completes the event, anything else
 * schedules a retry with capped exponential backoff. Events of one account go one at a time in order, because
 * the ledger hands out only the oldest undelivered event of each account. At least once: an event is
 * completed only after a 2xx, and one still unacknowledged at shutdown stays in the outbox for the next start.
 */
export class Notifier {
  private readonly metrics: NotifierMetrics;
  private readonly owner: string;
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly fetchImpl: (url: string, init: RequestInit) => Promise<Response>;
  private readonly leaseMs: number;
  private readonly inFlight = new Map<string, { abort: AbortController; done: Promise<void> }>();
  private stopping = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  /** A wake() that came while the loop was busy: the next sleep is skipped, so it is never lost. */
  private wakeRequested = false;
  private backlogSampledAtMs = -Infinity;

  constructor(private readonly options: NotifierOptions) {
    if (options.retryDelayMinMs > options.retryDelayMaxMs) throw new Error("retryDelayMinMs exceeds retryDelayMaxMs");
    if (options.batchSizeMax < 1 || options.concurrency < 1) throw new Error("batchSizeMax and concurrency must be positive");
    this.metrics = registerNotifierMetrics(options.metrics);
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${crypto.randomUUID().slice(0, 8)}`;
    this.clock = options.clock ?? Date.now;
    this.random = options.random ?? Math.random;
    this.fetchImpl = options.fetch ?? ((url, init) => fetch(url, init));
    this.leaseMs = options.timeoutMs + LEASE_MARGIN_MS;
    this.metrics.inFlight.onCollect(() => this.metrics.inFlight.set(this.inFlight.size));
  }

  start(): void {
    if (this.loop !== null) return;
    this.loop = this.run();
  }

  /** Looks for events now instead of at the next poll (e.g. after a commit that wrote some). */
  wake(): void {
    this.wakeRequested = true;
    this.wakeUp?.();
  }

  /**
   * Stops claiming; deliveries in flight get `timeoutMs` to finish, then are aborted and their events handed
   * back to the outbox, to go out after the next start. Resolves with how many were cut off.
   */
  async stop(timeoutMs = this.options.timeoutMs): Promise<{ aborted: number }> {
    this.stopping = true;
    this.wake();
    await this.loop;
    const pending = [...this.inFlight.values()];
    const finished = await settledWithin(Promise.all(pending.map((d) => d.done)), timeoutMs);
    if (finished) return { aborted: 0 };
    const cut = [...this.inFlight.values()];
    for (const delivery of cut) delivery.abort.abort();
    await settledWithin(Promise.all(cut.map((d) => d.done)), RELEASE_WAIT_MS);
    this.options.logger.warn("notify.stopped_with_deliveries_cut", { aborted: cut.length });
    return { aborted: cut.length };
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let claimedFull = false;
      try {
        await this.sampleBacklog();
        const free = this.options.concurrency - this.inFlight.size;
        if (free > 0 && !this.stopping) {
          const limit = Math.min(this.options.batchSizeMax, free);
          const events = await this.options.ledger.claimOutbox({ limit, leaseMs: this.leaseMs, owner: this.owner, nowMs: this.clock() });
          // After the await: stop() may have begun; claimed events are still delivered (or handed back).
          for (const event of events) this.launch(event);
          claimedFull = events.length === limit;
        }
      } catch (error) {
        if (error instanceof AssertionFailure) {
          this.brokenInvariant(error);
          break;
        }
        this.metrics.claimFailures.inc();
        this.options.logger.warn("notify.claim_failed", { error });
      }
      if (this.stopping) break;
      // A full batch means more may be waiting: go again at once if there is room, else wait for a wake.
      const room = this.inFlight.size < this.options.concurrency;
      await this.sleep(claimedFull && room ? 0 : this.options.pollMs);
    }
  }

  /** Not an operating error: no more claims, and the failure goes to the process's fatal handler. */
  private brokenInvariant(failure: AssertionFailure): void {
    this.stopping = true;
    this.wake();
    (this.options.onAssertionFailure ?? failLoudly)(failure);
  }

  private sleep(ms: number): Promise<void> {
    if (this.wakeRequested) ms = 0;
    this.wakeRequested = false;
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        if (self.wakeUp === done) self.wakeUp = null;
        self.wakeRequested = false; // consumed: this wake ended the sleep
        resolve();
      }
      this.wakeUp = done;
    });
  }

  private async sampleBacklog(): Promise<void> {
    const nowMs = this.clock();
    if (nowMs - this.backlogSampledAtMs < BACKLOG_SAMPLE_MS) return;
    this.backlogSampledAtMs = nowMs;
    this.metrics.backlog.set(await this.options.ledger.outboxBacklog());
  }

  private launch(event: OutboxEvent): void {
    const abort = new AbortController();
    const done = this.deliver(event, abort.signal).finally(() => {
      this.inFlight.delete(event.id);
      this.wake(); // the account's next event may be claimable now
    });
    this.inFlight.set(event.id, { abort, done });
  }

  private async deliver(event: OutboxEvent, stopSignal: AbortSignal): Promise<void> {
    const startedMs = performance.now();
    const outcome = await this.attempt(event, stopSignal);
    this.metrics.duration.observe((performance.now() - startedMs) / 1000);
    try {
      if (outcome === "delivered") {
        await this.options.ledger.completeOutbox(event.id, this.owner);
        this.metrics.deliveries.inc({ outcome: "delivered" });
      } else if (outcome === "stopped") {
        // Not a failure of the receiver: hand the event back at once, for the next start.
        await this.options.ledger.retryOutbox(event.id, this.owner, this.clock(), "stopped before acknowledgement");
      } else {
        const delayMs = retryDelayMs(attemptOf(event) - 1, this.options.retryDelayMinMs, this.options.retryDelayMaxMs, this.random);
        await this.options.ledger.retryOutbox(event.id, this.owner, this.clock() + delayMs, outcome.error);
        this.metrics.deliveries.inc({ outcome: "failed" });
        this.metrics.failures.inc({ reason: outcome.reason });
        this.options.logger.warn("notify.delivery_failed", {
          event_id: event.id,
          type: event.type,
          attempt: attemptOf(event),
          reason: outcome.error,
          retry_in_ms: delayMs,
        });
      }
    } catch (error) {
      if (error instanceof AssertionFailure) {
        this.brokenInvariant(error);
        return;
      }
      // The lease runs out and the event is claimed again: at least once still holds.
      this.metrics.claimFailures.inc();
      this.options.logger.error("notify.outbox_update_failed", { event_id: event.id, error });
    }
  }

  private async attempt(
    event: OutboxEvent,
    stopSignal: AbortSignal,
  ): Promise<"delivered" | "stopped" | { reason: string; error: string }> {
    const body = JSON.stringify(webhookBody(event, currencyAlpha));
    const timestampSeconds = Math.floor(this.clock() / 1000);
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    try {
      const response = await this.fetchImpl(this.options.url, {
        method: "POST",
        body,
        redirect: "manual",
        signal: AbortSignal.any([stopSignal, timeout]),
        headers: {
          "Content-Type": "application/json",
          "User-Agent": `sekisho/${packageJson.version}`,
          [SIGNATURE_HEADER]: signatureHeader(this.options.secret, timestampSeconds, body),
          "Sekisho-Event-Id": event.id,
          "Sekisho-Event-Type": event.type,
          "Sekisho-Delivery-Attempt": String(attemptOf(event)),
        },
      });
      // The receiver's answer body is not ours to read: release it without buffering.
      await response.body?.cancel().catch(() => {});
      if (response.status >= 200 && response.status < 300) return "delivered";
      return { reason: `http_${Math.floor(response.status / 100)}xx`, error: `HTTP ${response.status}` };
    } catch (error) {
      if (stopSignal.aborted) return "stopped";
      if (timeout.aborted) return { reason: "timeout", error: `no answer within ${this.options.timeoutMs} ms` };
      const code = (error as { code?: unknown }).code;
      return { reason: "network", error: `network: ${typeof code === "string" ? code : (error as Error).name}` };
    }
  }
}

/** The ledger counts an attempt when it hands the event out, so a claimed event's count includes this one. */
function attemptOf(event: OutboxEvent): number {
  return Math.max(1, event.attempts);
}
