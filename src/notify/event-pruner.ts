import type { Ledger } from "../ledger/ledger.ts";
import type { Logger } from "../ops/log.ts";
import { AssertionFailure, failLoudly, type AssertionFailureSink } from "../ops/assert.ts";

/**
 * Keeps the outbox to its retention: every `intervalMs`, deletes the events older than `retentionMs`,
 * delivered or not, a step of at most `stepRowsMax` rows at a time, each step its own short ledger
 * transaction, yielding to the event loop between steps so that authorization batches run in between; a
 * turn takes at most `stepsPerTurnMax` steps. It runs whether or not a webhook is configured (events are
 * kept for GET /v1/events either way), on its own timer, never on the authorization path.
 */
export interface EventPrunerOptions {
  readonly ledger: Ledger;
  /** config.eventRetentionHours, in ms. */
  readonly retentionMs: number;
  readonly logger: Logger;
  /** Time between turns (PRUNE_INTERVAL_MS when absent). */
  readonly intervalMs?: number;
  /** Rows one step looks at (PRUNE_STEP_ROWS when absent; at most the ledger's PRUNE_ROWS_MAX). */
  readonly stepRowsMax?: number;
  /** Steps one turn takes at most (PRUNE_STEPS_PER_TURN_MAX when absent). */
  readonly stepsPerTurnMax?: number;
  readonly clock?: () => number;
  /** Where a broken invariant met by a turn goes (the process's fatal handler); thrown uncaught by default. */
  readonly onAssertionFailure?: AssertionFailureSink;
}

/**
 * One step: 1,000 rows, a transaction of about 4 ms on SQLite with synchronous=full (measured; most of it
 * the commit), about what an authorization batch's commit costs.
 */
export const PRUNE_STEP_ROWS = 1000;
/** 64 steps a turn, a turn a second: 64,000 events/s can be pruned, above the processor's peak rate. */
export const PRUNE_STEPS_PER_TURN_MAX = 64;
export const PRUNE_INTERVAL_MS = 1000;

export class EventPruner {
  private readonly clock: () => number;
  private readonly intervalMs: number;
  private readonly stepRowsMax: number;
  private readonly stepsPerTurnMax: number;
  private timer: ReturnType<typeof setInterval> | null = null;
  private turnRunning: Promise<unknown> | null = null;
  private stopping = false;

  constructor(private readonly options: EventPrunerOptions) {
    this.clock = options.clock ?? Date.now;
    this.intervalMs = options.intervalMs ?? PRUNE_INTERVAL_MS;
    this.stepRowsMax = options.stepRowsMax ?? PRUNE_STEP_ROWS;
    this.stepsPerTurnMax = options.stepsPerTurnMax ?? PRUNE_STEPS_PER_TURN_MAX;
    if (!(options.retentionMs >= 1 && this.intervalMs >= 1 && this.stepRowsMax >= 1 && this.stepsPerTurnMax >= 1)) {
      throw new AssertionFailure("retentionMs, intervalMs, stepRowsMax and stepsPerTurnMax must be positive");
    }
  }

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => {
      if (this.turnRunning !== null || this.stopping) return; // a slow turn is never overlapped
      this.turnRunning = this.turn().finally(() => (this.turnRunning = null));
    }, this.intervalMs);
  }

  /** Stops the timer; a turn under way ends after its current step. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.turnRunning;
  }

  /** One turn: steps until nothing more is due, the step bound is reached or stop() is called. */
  async turn(): Promise<{ pruned: number; undelivered: number }> {
    const total = { pruned: 0, undelivered: 0 };
    try {
      for (let step = 0; step < this.stepsPerTurnMax && !this.stopping; step++) {
        if (step > 0) await new Promise((resolve) => setImmediate(resolve)); // batches waiting run first
        const nowMs = this.clock();
        const result = await this.options.ledger.pruneEvents({ createdBeforeMs: nowMs - this.options.retentionMs, nowMs, rowsMax: this.stepRowsMax });
        total.pruned += result.pruned;
        total.undelivered += result.undelivered;
        if (result.pruned < this.stepRowsMax) break;
      }
    } catch (error) {
      if (error instanceof AssertionFailure) {
        // Not an operating error: no more turns, and the process stops.
        this.stopping = true;
        (this.options.onAssertionFailure ?? failLoudly)(error);
      } else this.options.logger.warn("notify.prune_failed", { error });
    }
    if (total.undelivered > 0) {
      // A receiver down for longer than the retention has missed these for good.
      this.options.logger.warn("notify.undelivered_events_pruned", {
        events: total.undelivered,
        retention_hours: this.options.retentionMs / 3_600_000,
      });
    }
    return total;
  }
}
