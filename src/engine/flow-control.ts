import type { LinkSession } from "../link/session.ts";
import type { EngineMetrics } from "./engine-metrics.ts";
import type { RequestRing } from "./ring.ts";

/**
 * Backpressure from the ring to the network: above the high-water mark every link stops reading (the
 * network then feels TCP backpressure, and its own timeouts, rather than our memory growing); at the
 * low-water mark reading resumes. Shutdown stops reading too, except to hear the sign-off answers.
 * Each cause is a pause reason of its own on the session ("ring", "shutdown"; the session adds "writer"
 * for its own unsent responses), so a link paused for several reasons reads again only when all have cleared.
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
    if (this.pausedForPressure) session.pauseReading("ring");
    if (this.stopped) session.pauseReading("shutdown");
  }

  remove(session: LinkSession): void {
    this.sessions.delete(session);
  }

  afterPush(): void {
    if (this.pausedForPressure || this.ring.length < this.highWater) return;
    this.pausedForPressure = true;
    this.metrics.readsPaused.set(1);
    for (const session of this.sessions) session.pauseReading("ring");
  }

  afterPop(): void {
    if (!this.pausedForPressure || this.ring.length > this.lowWater) return;
    this.pausedForPressure = false;
    this.metrics.readsPaused.set(0);
    for (const session of this.sessions) session.resumeReading("ring");
  }

  /** Shutdown: stop reading from every link (sessions opened later start paused). */
  stopReading(): void {
    this.stopped = true;
    for (const session of this.sessions) session.pauseReading("shutdown");
  }

  /** Shutdown, during sign-off: read again (until `stopReadingFrom`), so the 0810s and what precedes them arrive. */
  readForSignOff(): void {
    for (const session of this.sessions) session.resumeReading("shutdown");
  }

  /** Shutdown: this session's sign-off is settled; nothing more is read from it. */
  stopReadingFrom(session: LinkSession): void {
    session.pauseReading("shutdown");
  }
}
