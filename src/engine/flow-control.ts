import type { LinkSession } from "../link/session.ts";
import type { EngineMetrics } from "./engine-metrics.ts";
import type { RequestRing } from "./ring.ts";

/**
 * Backpressure from the ring to the network: above the high-water mark every link stops reading (the
 * network then feels TCP backpressure, and its own timeouts, rather than our memory growing); at the
 * low-water mark reading resumes. Shutdown stops reading for good, except to hear the sign-off answers.
 */
export class FlowControl {
  private readonly sessions = new Set<LinkSession>();
  private pausedForPressure = false;
  private stopped = false;

  constructor(
    private readonly ring: RequestRing,
    private readonly highWater: number,
    private readonly lowWater: number,
    private readonly metrics: EngineMetrics,
  ) {}

  get isPausedForPressure(): boolean {
    return this.pausedForPressure;
  }

  add(session: LinkSession): void {
    this.sessions.add(session);
    if (this.pausedForPressure || this.stopped) session.pauseReading();
  }

  remove(session: LinkSession): void {
    this.sessions.delete(session);
  }

  afterPush(): void {
    if (this.pausedForPressure || this.ring.length < this.highWater) return;
    this.pausedForPressure = true;
    this.metrics.readsPaused.set(1);
    for (const session of this.sessions) session.pauseReading();
  }

  afterPop(): void {
    if (!this.pausedForPressure || this.ring.length > this.lowWater) return;
    this.pausedForPressure = false;
    this.metrics.readsPaused.set(0);
    if (this.stopped) return;
    for (const session of this.sessions) session.resumeReading();
  }

  /** Shutdown step 1: stop reading from every link. */
  stopReading(): void {
    this.stopped = true;
    for (const session of this.sessions) session.pauseReading();
  }

  /** Shutdown, after the drain: read again, only so that the 0810s to our sign-offs can arrive. */
  readForSignOff(): void {
    for (const session of this.sessions) session.resumeReading();
  }
}
