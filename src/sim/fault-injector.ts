import { garbageFrame, truncatedFrame } from "./broken-frames.ts";
import type { FailureLog } from "./checker.ts";
import { isProcessFault, type FaultCounts, type FaultEvent } from "./faults.ts";
import { EFFECT_HOLD, FORCED_OLDEST, LANE_IN_FLIGHT, LANE_PARKED, RECORD_AUTHORIZATION, REQUEST_BYTES_MAX, type Lane } from "./lane.ts";
import type { LinkConnection } from "./link-connection.ts";
import { SCENARIO } from "./mix.ts";
import { SeededRandom } from "./random.ts";
import type { SimulatorConfig } from "./simulator-config.ts";

/** Requests in flight one `duplicate` fault retransmits at most, and lanes one `late_reversal` fault turns. */
const DUPLICATES_PER_FAULT = 4;
const LATE_REVERSALS_PER_FAULT = 4;

/** What the injector needs of the simulator. */
export interface FaultHost {
  readonly config: SimulatorConfig;
  readonly lanes: readonly Lane[];
  readonly connections: ReadonlySet<LinkConnection>;
  readonly failures: FailureLog;
  readonly phase: string;
  readonly driveStartMs: number;
  readonly driveEndMs: number;
  /** Signed-on links that drive a slot. */
  boundConnections(): readonly LinkConnection[];
  close(conn: LinkConnection): void;
  /** Takes the link out of the traffic (its slot goes to a standby) and forgets its echo. */
  detachLink(conn: LinkConnection): void;
}

/**
 * The network's faults, injected into a running simulation on the seeded schedule (see faults.ts): links
 * closed, left unread or broken, requests retransmitted, reversals sent late, and the process faults handed
 * to the processor's owner. It marks what a fault touched (`faulted` links and lanes), so that what is lost
 * or delayed by the network's own doing is stood in for rather than failed.
 */
export class FaultInjector {
  /** Faults injected, by kind; and the ones still waiting for something to act on when driving ended. */
  readonly counts: FaultCounts = {};
  skipped = 0;
  private readonly host: FaultHost;
  private next = 0;

  constructor(host: FaultHost) {
    this.host = host;
  }

  /** Injects the faults whose time has come (while driving). */
  injectDue(now: number): void {
    const host = this.host;
    const events = host.config.faults;
    while (this.next < events.length && now - host.driveStartMs >= events[this.next]!.atMs) {
      const event = events[this.next]!;
      // Nothing to act on yet (every link re-dialling, no request in flight): the fault waits for the next turn.
      if (!this.inject(event, now)) return;
      this.next++;
      this.counts[event.kind] = (this.counts[event.kind] ?? 0) + 1;
    }
  }

  /** Driving ended: the faults still waiting are not injected. */
  skipRemaining(): void {
    const total = this.host.config.faults.length;
    this.skipped += total - this.next;
    this.next = total;
  }

  /** Injects one fault; false when it found nothing to act on (it is tried again next turn). */
  private inject(event: FaultEvent, now: number): boolean {
    if (isProcessFault(event.kind)) {
      if (this.host.config.onProcessFault === undefined) return false;
      for (const conn of this.host.connections) conn.faulted = true;
      this.host.config.onProcessFault(event.kind);
      return true;
    }
    if (event.kind === "late_reversal") return this.forceReversals(event);
    const bound = this.host.boundConnections();
    if (bound.length === 0) return false;
    const conn = bound[event.pick % bound.length]!;
    switch (event.kind) {
      case "close_fin":
        conn.faulted = true;
        conn.flush();
        conn.socket.end();
        this.host.close(conn);
        return true;
      case "close_rst":
        conn.faulted = true;
        conn.socket.terminate();
        this.host.close(conn);
        return true;
      case "pause":
        this.pauseLink(conn, now);
        return true;
      case "truncated_frame":
      case "garbage_frame":
        return this.breakFraming(conn, event.kind, event.pick, now);
      case "duplicate":
        return this.retransmit(conn, event.pick);
    }
  }

  /** Stops reading the link (the processor's answers pile up in its socket) while still sending on it. */
  private pauseLink(conn: LinkConnection, now: number): void {
    conn.faulted = true;
    conn.paused = true;
    conn.pauseEndsAtMs = Math.min(now + this.host.config.pauseMs, this.host.driveEndMs);
    conn.socket.pause();
    for (const lane of this.host.lanes) if (lane.state === LANE_IN_FLIGHT && lane.linkId === conn.id) lane.faulted = true;
  }

  /**
   * A broken frame on the link, and nothing more sent on it: its slot goes to another link, and the processor
   * has `frameFaultGraceMs` to drop it. Requests sent before it are still answered and checked.
   */
  private breakFraming(conn: LinkConnection, kind: "truncated_frame" | "garbage_frame", pick: number, now: number): boolean {
    const random = new SeededRandom(pick);
    const bytes = kind === "truncated_frame" ? truncatedFrame(this.host.config.profile.framing, random) : garbageFrame(this.host.config.profile.framing, random);
    if (!conn.hasRoom(bytes.length)) return false;
    conn.faulted = true;
    conn.stalled = true;
    conn.stallDeadlineMs = now + this.host.config.frameFaultGraceMs;
    this.host.detachLink(conn);
    conn.appendRaw(bytes);
    conn.flush();
    return true;
  }

  /** Sends requests in flight on the link again, byte for byte: the same key, so the same answer must come. */
  private retransmit(conn: LinkConnection, pick: number): boolean {
    const lanes = this.host.lanes;
    let sent = 0;
    for (let i = 0; i < lanes.length && sent < DUPLICATES_PER_FAULT; i++) {
      const lane = lanes[(pick + i) % lanes.length]!;
      if (lane.state !== LANE_IN_FLIGHT || lane.linkId !== conn.id || lane.answersSeen > 0) continue;
      if (!conn.hasRoom(REQUEST_BYTES_MAX)) break;
      conn.append(lane.frame.bytes, lane.frame.length);
      lane.duplicatesPending++;
      sent++;
    }
    conn.flush();
    return sent > 0;
  }

  /**
   * Late reversals: a few lanes' next request reverses the oldest approval they still hold; and one 0100 in
   * flight is timed out by the network (its answer, whenever it comes, is still checked but never late), so
   * that the lane's next request is the network's 0400 for it, approved or not.
   */
  private forceReversals(event: FaultEvent): boolean {
    const lanes = this.host.lanes;
    if (lanes.length === 0) return false;
    let turned = 0;
    for (let i = 0; i < LATE_REVERSALS_PER_FAULT; i++) {
      const lane = lanes[(event.pick + i * 7919) % lanes.length]!;
      if (lane.forcedReversal !== FORCED_OLDEST && lane.state !== LANE_PARKED) {
        lane.forcedReversal = FORCED_OLDEST;
        turned++;
      }
    }
    for (let i = 0; i < lanes.length; i++) {
      const lane = lanes[(event.pick + i) % lanes.length]!;
      const timeable = lane.state === LANE_IN_FLIGHT && lane.effect === EFFECT_HOLD && lane.recordAs === RECORD_AUTHORIZATION;
      if (!timeable || lane.reverseAfterAnswer || lane.duplicatesPending > 0 || lane.scenario === SCENARIO.duplicate) continue;
      lane.faulted = true;
      lane.reverseAfterAnswer = true;
      turned++;
      break;
    }
    return turned > 0;
  }

  /** Resumes paused links when their time is up; drops a broken link the processor kept past its grace. */
  watch(now: number): void {
    for (const conn of this.host.connections) {
      if (conn.paused && (now >= conn.pauseEndsAtMs || this.host.phase !== "driving")) {
        conn.paused = false;
        conn.socket.resume();
      }
      if (conn.stalled && !conn.closed && now >= conn.stallDeadlineMs) {
        const graceMs = this.host.config.frameFaultGraceMs;
        this.host.failures.record("framing_kept", () => ({
          link: conn.id,
          scenario: null,
          mti: null,
          stan: null,
          pan_masked: null,
          detail: `the processor kept a link with broken framing open for more than ${graceMs} ms`,
        }));
        conn.socket.end();
        this.host.close(conn);
      }
    }
  }

  stalledLinkOpen(): boolean {
    for (const conn of this.host.connections) if (conn.stalled && !conn.closed) return true;
    return false;
  }
}
