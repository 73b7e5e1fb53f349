import { MessageBuilder } from "../iso8583/message-builder.ts";
import { MessageView } from "../iso8583/message-view.ts";
import { FramingError } from "../iso8583/framing.ts";
import type { CardBook } from "./card-book.ts";
import { AnswerChecker, FailureLog, type CheckKind } from "./checker.ts";
import { WireClock } from "./clock.ts";
import { applyAnswer } from "./answer-effects.ts";
import { ISSUER_UNAVAILABLE } from "./expectations.ts";
import { FaultInjector } from "./fault-injector.ts";
import {
  EFFECT_NONE,
  FORCED_RECORD,
  LANE_IDLE,
  LANE_IN_FLIGHT,
  LANE_PARKED,
  REQUEST_BYTES_MAX,
  type Lane,
} from "./lane.ts";
import { ACQUIRER_BASE, buildLanes } from "./lane-plan.ts";
import { LinkSlots } from "./link-slots.ts";
import { LinkConnection, type LinkSocket } from "./link-connection.ts";
import { SCENARIO, type Mix } from "./mix.ts";
import { ledgerKindOf, NetworkLog } from "./network-log.ts";
import { NetworkManagement } from "./network-management.ts";
import { StanTable, laneOwner } from "./stan-table.ts";
import type { SimProgress, SimulatorConfig } from "./simulator-config.ts";
import { RunStats } from "./stats.ts";
import { Traffic } from "./traffic.ts";

/**
 * The network side of a run: the processor's links, the lanes that drive traffic over them, the checks on
 * every answer and the model the answers move. Socket handlers call in synchronously; one periodic timer
 * paces the rate, sweeps for stand-ins, sends the network's echoes, reports progress and ends the run.
 * Nothing here is allocated per message except the field strings of a request.
 */
export type { SimProgress, SimulatorConfig };

const TICK_MS = 2;
const SWEEP_MS = 10;
const PROGRESS_MS = 1_000;
/** Room kept in every link's buffer for network-management frames, whatever the traffic queued. */
const CONTROL_RESERVE_BYTES = 4_096;
/** A rate pacer never releases more than this much of a second's quota at once. */
const BURST_SECONDS = 0.02;

export type SimPhase = "waiting" | "driving" | "draining" | "done";

export class Simulator {
  readonly config: SimulatorConfig;
  readonly stats = new RunStats();
  readonly failures = new FailureLog();
  readonly connections = new Set<LinkConnection>();
  phase: SimPhase = "waiting";
  lanes: Lane[] = [];
  driveStartMs = 0;
  driveEndMs = 0;
  drainedAtMs = 0;
  inFlight = 0;
  parked = 0;
  readonly finished: Promise<void>;
  readonly faults: FaultInjector;
  /** Requests lost with a link or a process the network's faults took down: not the processor's failure. */
  unansweredByFaults = 0;
  /** Every request that asked for a new decision, and its answer, for the reconciliation with the ledger. */
  readonly networkLog = new NetworkLog();
  /** Wall-clock time driving began (the ledger's entries of the run are not older). */
  driveStartWallMs = 0;

  private readonly slots: LinkSlots;
  /**
   * STANs start at a point taken from the clock, so that two runs against the same ledger in the same
   * second do not begin with the same transaction keys (DE 32 + DE 11 + DE 7).
   */
  private readonly stans = new StanTable(1 + (Math.floor(Date.now() / 1000) % 1000) * 997);
  private readonly clock = new WireClock();
  private readonly answerView: MessageView;
  private readonly checker: AnswerChecker;
  private readonly network: NetworkManagement;
  private traffic: Traffic | null = null;
  private nextConnectionId = 1;
  private tokens = 0;
  private lastTickMs = 0;
  private nextSweepMs = 0;
  private nextProgressMs = 0;
  private nextTimelineMs = 0;
  private lastProgressAnswered = 0;
  private lastProgressMs = 0;
  private drainDeadlineMs = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private resolveFinished: () => void = () => {};

  constructor(config: SimulatorConfig) {
    this.config = config;
    this.slots = new LinkSlots(config.links, config.windowMax);
    this.answerView = new MessageView(config.profile);
    this.checker = new AnswerChecker({ failures: this.failures, standinMs: config.standinMs, headerBytes: config.profile.headerBytes });
    this.network = new NetworkManagement({
      profile: config.profile,
      builder: new MessageBuilder(config.profile),
      stans: this.stans,
      stats: this.stats,
      failures: this.failures,
      standinMs: config.standinMs,
    });
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
    this.faults = new FaultInjector(this);
  }

  // ── links ────────────────────────────────────────────────────────────────────────────────────

  /** A new TCP connection; null when it is one too many (the socket is closed at once). */
  open(socket: LinkSocket): LinkConnection | null {
    if (this.connections.size >= this.config.connectionsMax || this.phase === "done") {
      this.stats.connectionsRefused++;
      return null;
    }
    const outBytes = 65_536 + this.config.windowMax * (REQUEST_BYTES_MAX + 4);
    const conn = new LinkConnection({ id: this.nextConnectionId++, socket, framing: this.config.profile.framing, outBytes });
    this.connections.add(conn);
    this.stats.connectionsAccepted++;
    return conn;
  }

  data(conn: LinkConnection, chunk: Uint8Array): void {
    if (conn.closed) return;
    try {
      conn.framer.push(chunk, conn.onFrame ??= (frame) => this.frame(conn, frame));
    } catch (error) {
      if (!(error instanceof FramingError)) throw error;
      this.failures.record("framing", () => ({ link: conn.id, scenario: null, mti: null, stan: null, pan_masked: null, detail: error.code }));
      conn.socket.end();
      return;
    }
    this.pump(conn);
    conn.flush();
  }

  drain(conn: LinkConnection): void {
    conn.flush();
    this.pump(conn);
    conn.flush();
  }

  close(conn: LinkConnection): void {
    if (conn.closed) return;
    conn.closed = true;
    this.connections.delete(conn);
    if (conn.signedOn) this.signOff(conn, false);
    this.network.forgetEcho(conn);
    for (const lane of this.lanes) if (lane.state === LANE_IN_FLIGHT && lane.linkId === conn.id) this.lose(lane, conn.faulted);
  }

  /** Signed-on links that drive a slot. */
  boundLinks(): number {
    return this.slots.boundCount();
  }

  boundConnections(): readonly LinkConnection[] {
    return this.slots.bound();
  }

  /** Takes a link out of the traffic (a fault broke it): its slot goes to a standby, its echo is forgotten. */
  detachLink(conn: LinkConnection): void {
    if (conn.signedOn) this.signOff(conn, false);
    this.network.forgetEcho(conn);
  }

  private frame(conn: LinkConnection, frame: Uint8Array): void {
    const view = this.answerView;
    try {
      view.decode(frame);
    } catch (error) {
      this.linkFailure("decode", conn, error instanceof Error ? error.message : String(error));
      return;
    }
    if (view.rejected) return this.linkFailure("decode", conn, "BASE I reject header");
    const mti = view.mti;
    // A link whose framing the network broke says nothing more to the processor; answers on it still count.
    if (conn.stalled && (mti === 800 || mti === 810)) return;
    if (mti === 800) {
      const action = this.network.answer(conn, view);
      if (action === "sign_on") this.signOn(conn);
      else if (action === "sign_off") this.signOff(conn, true);
      return;
    }
    if (mti === 810) return this.network.onEchoAnswer(conn, view, this.connections);
    const messageFunction = Math.floor(mti / 10) % 10;
    if (messageFunction === 1 || messageFunction === 3) return this.answer(conn, view);
    this.linkFailure("unexpected_message", conn, `MTI ${view.mtiString()}`);
  }

  private signOn(conn: LinkConnection): void {
    if (conn.signedOn) return;
    conn.signedOn = true;
    if (this.slots.bind(conn)) this.pump(conn);
  }

  /** Sign-off or close: the link gets no more traffic; a standby link takes over its slot. */
  private signOff(conn: LinkConnection, answered: boolean): void {
    conn.signedOn = false;
    if (answered) this.stats.signOffs++;
    const standby = this.slots.unbind(conn, this.connections);
    if (standby !== null) this.pump(standby);
  }

  private linkFailure(kind: CheckKind, conn: LinkConnection, detail: string): void {
    this.failures.record(kind, () => ({ link: conn.id, scenario: null, mti: null, stan: null, pan_masked: null, detail }));
  }

  // ── traffic ──────────────────────────────────────────────────────────────────────────────────

  /** Builds the lanes over the book's active cards and starts driving. */
  start(book: CardBook, mix: Mix): void {
    if (this.phase !== "waiting") throw new Error(`start in phase ${this.phase}`);
    this.lanes = buildLanes(this.config, book);
    for (const lane of this.lanes) this.slots.queue(lane.slot).push(lane.index);
    this.traffic = new Traffic({
      profile: this.config.profile,
      book,
      mix,
      stans: this.stans,
      digestRequestsMax: this.config.digestRequestsMax,
    });
    const now = performance.now();
    this.phase = "driving";
    this.driveStartMs = now;
    this.driveEndMs = now + this.config.durationMs;
    this.driveStartWallMs = Date.now();
    this.lastTickMs = now;
    this.nextSweepMs = now + SWEEP_MS;
    this.nextProgressMs = now + PROGRESS_MS;
    this.nextTimelineMs = now + 1_000;
    this.lastProgressMs = now;
    this.tokens = this.config.ratePerSecond === null ? Number.POSITIVE_INFINITY : 1;
    this.network.startEchoes(now);
    this.timer = setInterval(() => this.tick(), TICK_MS);
    for (const conn of this.slots.bound()) {
      this.pump(conn);
      conn.flush();
    }
  }

  /** Ends driving now (the outstanding answers are still awaited). */
  stop(): void {
    if (this.phase === "driving") this.beginDrain(performance.now());
  }

  /** Fills the link's idle lanes with their next requests, as far as the rate and the buffer allow. */
  private pump(conn: LinkConnection): void {
    if (this.phase !== "driving" || !conn.signedOn || conn.slot < 0 || conn.closed) return;
    const queue = this.slots.queue(conn.slot);
    if (queue.count === 0 || this.tokens < 1) return;
    const traffic = this.traffic!;
    const clock = this.clock.refresh(Date.now());
    const now = performance.now();
    while (queue.count > 0 && this.tokens >= 1 && conn.hasRoom(REQUEST_BYTES_MAX + CONTROL_RESERVE_BYTES)) {
      const lane = this.lanes[queue.shift()]!;
      if (!traffic.next(lane, clock)) {
        lane.state = LANE_PARKED;
        this.parked++;
        continue;
      }
      conn.append(lane.frame.bytes, lane.frame.length);
      lane.state = LANE_IN_FLIGHT;
      lane.linkId = conn.id;
      lane.sentAtMs = now;
      lane.standinCounted = false;
      lane.faulted = conn.paused;
      lane.duplicatesPending = 0;
      lane.answersSeen = 0;
      lane.reverseAfterAnswer = false;
      lane.sentCount++;
      this.inFlight++;
      this.stats.sent++;
      this.stats.sentByScenario[lane.scenario]! += 1;
      this.tokens -= 1;
    }
  }

  private answer(conn: LinkConnection, view: MessageView): void {
    const lane = this.match(view);
    if (lane === null) {
      const stan = view.has(11) ? view.string(11) : null;
      this.failures.record("unmatched", () => ({
        link: conn.id,
        scenario: null,
        mti: view.mtiString(),
        stan,
        pan_masked: null,
        detail: "no request in flight with this DE 11 / DE 32",
      }));
      return;
    }
    const code = view.has(39) ? view.string(39) : "";
    const approvalCode = view.has(38) ? view.string(38) : null;
    if (lane.answersSeen > 0) return this.retransmissionAnswered(conn, lane, view, code, approvalCode);
    const latencyMs = performance.now() - lane.sentAtMs;
    this.checker.check(lane, view, conn.id, latencyMs);
    this.stats.recordAnswer(latencyMs * 1000, code, lane.requestMti);
    if (latencyMs > this.config.standinMs && !lane.standinCounted) this.stats.standin++;
    this.logDecision(lane, true, code, approvalCode);
    applyAnswer(lane, code, approvalCode);
    if (lane.reverseAfterAnswer) {
      lane.reverseAfterAnswer = false;
      lane.forcedReversal = FORCED_RECORD;
      lane.forcedRecord = lane.lastRecord();
    }
    if (lane.duplicatesPending > 0) {
      // The retransmission's answer is still to come; the lane keeps its STAN until it does.
      lane.answersSeen = 1;
      lane.firstCode = code;
      lane.firstApprovalCode = approvalCode;
      return;
    }
    this.release(lane);
  }

  /**
   * The answer to a retransmission: the first answer again, DE 39 and DE 38 alike — unless one of the two is
   * 91. After a first 91 nothing was decided, so a decision now is the key's first: checked against the
   * prediction, logged and applied like a first answer. A 91 after a decision is the processor being
   * unavailable for the retransmission, not another decision.
   */
  private retransmissionAnswered(conn: LinkConnection, lane: Lane, view: MessageView, code: string, approvalCode: string | null): void {
    lane.duplicatesPending--;
    lane.answersSeen++;
    if (lane.firstCode === ISSUER_UNAVAILABLE && code !== ISSUER_UNAVAILABLE) {
      this.checker.check(lane, view, conn.id, performance.now() - lane.sentAtMs);
      this.logDecision(lane, true, code, approvalCode);
      applyAnswer(lane, code, approvalCode);
      lane.firstCode = code;
      lane.firstApprovalCode = approvalCode;
    } else if (code === ISSUER_UNAVAILABLE && lane.firstCode !== ISSUER_UNAVAILABLE) {
      this.failures.record("issuer_unavailable", () => ({
        link: conn.id,
        scenario: null,
        mti: null,
        stan: String(lane.stan).padStart(6, "0"),
        pan_masked: null,
        detail: `first answered ${lane.firstCode}, the retransmission 91`,
      }));
    } else if (code !== lane.firstCode || approvalCode !== lane.firstApprovalCode) {
      const first = `${lane.firstCode}${lane.firstApprovalCode === null ? "" : " with DE 38"}`;
      const again = `${code}${approvalCode === null ? "" : approvalCode === lane.firstApprovalCode ? " with the same DE 38" : " with another DE 38"}`;
      this.failures.record("duplicate_answer", () => ({
        link: conn.id,
        scenario: null,
        mti: null,
        stan: String(lane.stan).padStart(6, "0"),
        pan_masked: null,
        detail: `first answered ${first}, the retransmission ${again}`,
      }));
    }
    if (lane.duplicatesPending === 0) this.release(lane);
  }

  /**
   * What the network saw of a request that asked for a new decision, for the reconciliation: a new request's
   * answer is a new entry; the answer for a key answered 91 before (a repeat, resend or retransmission of
   * it) replaces that entry, 91 being no decision. Replays of a decision add nothing.
   */
  private logDecision(lane: Lane, delivered: boolean, code: string, approvalCode: string | null): void {
    const card = lane.card;
    if (card === null) return;
    const scenario = lane.scenario;
    const replay = scenario === SCENARIO.duplicate || scenario === SCENARIO.repeat || scenario === SCENARIO.reversal_repeat;
    if (replay && lane.undecided === null) return;
    const kind = ledgerKindOf(lane.requestMti);
    if (kind === null) return;
    const amount = kind === "reversal" ? lane.amount - lane.replacementAmount : lane.amount;
    const entry = { kind, amount, delivered, code, approvalCode, stan: lane.stan };
    if (lane.logIndex >= 0) this.networkLog.replace(card, lane.logIndex, entry);
    else if (!replay) lane.logIndex = this.networkLog.record(card, entry);
  }

  /**
   * The lane whose request this answers: by DE 11; only when DE 11 is missing, by DE 32 (one acquirer per
   * lane). A DE 11 that matches nothing (a second answer to the same request, say) stays unmatched rather
   * than being pinned on the lane's next request.
   */
  private match(view: MessageView): Lane | null {
    if (view.has(11)) {
      const stan = view.integer(11);
      const owner = this.stans.ownerOf(stan);
      const lane = owner > 0 ? this.lanes[owner - 1] : undefined;
      return lane !== undefined && lane.state === LANE_IN_FLIGHT && lane.stan === stan ? lane : null;
    }
    if (view.has(32)) {
      const lane = this.lanes[view.integer(32) - ACQUIRER_BASE];
      if (lane !== undefined && lane.state === LANE_IN_FLIGHT) return lane;
    }
    return null;
  }

  /** The lane's request is done (answered or lost): free its STAN and queue it for its next request. */
  private release(lane: Lane): void {
    this.stans.release(lane.stan, laneOwner(lane.index));
    lane.state = LANE_IDLE;
    this.inFlight--;
    this.slots.queue(lane.slot).push(lane.index);
  }

  /**
   * A request that can no longer be answered (its link closed): unanswered, and its account leaves the run.
   * Lost with a link a fault took down, it is what the network's stand-in is for, not the processor's failure.
   * A request answered once whose retransmission goes unanswered only frees its lane.
   */
  private lose(lane: Lane, byFault: boolean): void {
    if (lane.answersSeen > 0 && lane.firstCode === ISSUER_UNAVAILABLE) {
      // Answered 91, then a retransmission the processor may have decided: its effect is unknown.
      this.logDecision(lane, false, "", null);
      if (lane.effect !== EFFECT_NONE && lane.card !== null) lane.card.uncertain = true;
      this.release(lane);
      return;
    }
    if (lane.answersSeen > 0) {
      if (!byFault) {
        this.failures.record("duplicate_answer", () => ({
          link: lane.linkId,
          scenario: null,
          mti: null,
          stan: String(lane.stan).padStart(6, "0"),
          pan_masked: null,
          detail: "the retransmission was never answered",
        }));
      }
      this.release(lane);
      return;
    }
    if (byFault || lane.faulted) this.unansweredByFaults++;
    else this.stats.unanswered++;
    this.logDecision(lane, false, "", null);
    if (lane.effect !== EFFECT_NONE && lane.card !== null) lane.card.uncertain = true;
    if (lane.effectRecord !== null) lane.effectRecord.reversed = true;
    this.release(lane);
  }

  // ── the periodic timer ───────────────────────────────────────────────────────────────────────

  private tick(): void {
    const now = performance.now();
    const rate = this.config.ratePerSecond;
    if (rate !== null && this.phase === "driving") {
      this.tokens = Math.min(this.tokens + (rate * (now - this.lastTickMs)) / 1000, Math.max(1, rate * BURST_SECONDS));
    }
    this.lastTickMs = now;
    if (now >= this.nextSweepMs) {
      this.nextSweepMs = now + SWEEP_MS;
      this.sweepStandins(now);
    }
    if (this.phase === "driving") this.faults.injectDue(now);
    if (this.config.faults.length > 0) this.faults.watch(now);
    if (this.phase === "driving" && now >= this.driveEndMs) this.beginDrain(now);
    if (this.phase === "driving") this.network.sendEchoes(now, this.connections, this.config.echoIntervalMs);
    if (now >= this.nextTimelineMs) {
      this.nextTimelineMs = now + this.stats.timelineIntervalSeconds * 1000;
      this.closeInterval(now);
    }
    if (now >= this.nextProgressMs) {
      this.nextProgressMs = now + PROGRESS_MS;
      this.progress(now);
    }
    for (const conn of this.slots.bound()) this.pump(conn);
    for (const conn of this.connections) conn.flush();
    const settled = this.inFlight === 0 && this.network.echoesOutstanding === 0 && !this.faults.stalledLinkOpen();
    if (this.phase === "draining" && (settled || now >= this.drainDeadlineMs)) {
      this.finish(now);
    }
  }

  /** Closes the timeline's current interval, however long it really was (a stalled loop makes it longer). */
  private closeInterval(now: number): void {
    const elapsed = (now - this.driveStartMs) / 1000;
    const last = this.stats.timeline[this.stats.timeline.length - 1];
    this.stats.closeInterval(elapsed, elapsed - (last?.t_s ?? 0));
  }

  private sweepStandins(now: number): void {
    const limit = now - this.config.standinMs;
    for (const lane of this.lanes) {
      if (lane.state === LANE_IN_FLIGHT && !lane.standinCounted && lane.sentAtMs < limit) {
        lane.standinCounted = true;
        this.stats.standin++;
      }
    }
  }

  private beginDrain(now: number): void {
    this.phase = "draining";
    this.faults.skipRemaining();
    this.driveEndMs = now;
    this.drainDeadlineMs = now + this.config.drainMs;
    // A link broken by a fault near the end still gets its whole grace period to be dropped.
    for (const conn of this.connections) {
      if (conn.stalled) this.drainDeadlineMs = Math.max(this.drainDeadlineMs, conn.stallDeadlineMs + SWEEP_MS);
    }
  }

  private progress(now: number): void {
    const onProgress = this.config.onProgress;
    if (onProgress === undefined || (this.phase !== "driving" && this.phase !== "draining")) return;
    const seconds = (now - this.lastProgressMs) / 1000;
    const last = this.stats.timeline[this.stats.timeline.length - 1];
    onProgress({
      phase: this.phase,
      elapsed_s: (now - this.driveStartMs) / 1000,
      duration_s: this.config.durationMs / 1000,
      sent: this.stats.sent,
      answered: this.stats.answered,
      rate: seconds > 0 ? Math.round((this.stats.answered - this.lastProgressAnswered) / seconds) : 0,
      p50_ms: last?.p50_ms ?? null,
      p99_ms: last?.p99_ms ?? null,
      in_flight: this.inFlight,
      errors: this.failures.total,
      standin: this.stats.standin,
      links: this.boundLinks(),
    });
    this.lastProgressAnswered = this.stats.answered;
    this.lastProgressMs = now;
  }

  private finish(now: number): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    for (const lane of this.lanes) if (lane.state === LANE_IN_FLIGHT) this.lose(lane, false);
    this.faults.watch(Number.POSITIVE_INFINITY);
    this.network.giveUpEchoes(this.connections);
    if (this.stats.interval.count > 0) this.closeInterval(now);
    this.drainedAtMs = now;
    this.phase = "done";
    this.resolveFinished();
  }

  /** Ends a run that never started driving (links or cards not ready). */
  abandon(): void {
    if (this.phase !== "waiting") return;
    this.phase = "done";
    this.resolveFinished();
  }
}
