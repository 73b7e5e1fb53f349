import { beginResponse } from "../iso8583/response.ts";
import type { MessageBuilder } from "../iso8583/message-builder.ts";
import type { MessageView } from "../iso8583/message-view.ts";
import type { CompiledProfile } from "../iso8583/spec.ts";
import { validateMessage } from "../iso8583/validate.ts";
import type { CheckKind, FailureLog } from "./checker.ts";
import type { LinkConnection } from "./link-connection.ts";
import { linkOwner, type StanTable } from "./stan-table.ts";
import type { RunStats } from "./stats.ts";
import { NETWORK_HEADER, stanString } from "./request-fields.ts";

/**
 * The control plane of the links, kept apart from the traffic: the network answers the processor's 0800
 * (sign-on 001, echo 301, sign-off 002) with 0810, and sends its own echo on every signed-on link now and
 * then, expecting 0810 with DE 39 00.
 */
export type NetworkAction = "sign_on" | "sign_off" | "echo" | "other";

const SIGN_ON = "001";
const SIGN_OFF = "002";
const ECHO = "301";
/** Room an 0800 / 0810 needs in a link's buffer (a few dozen bytes in practice). */
const CONTROL_FRAME_BYTES_MAX = 512;

export class NetworkManagement {
  echoesOutstanding = 0;
  private readonly profile: CompiledProfile;
  private readonly builder: MessageBuilder;
  private readonly stans: StanTable;
  private readonly stats: RunStats;
  private readonly failures: FailureLog;
  private readonly standinMs: number;

  constructor(options: {
    profile: CompiledProfile;
    builder: MessageBuilder;
    stans: StanTable;
    stats: RunStats;
    failures: FailureLog;
    standinMs: number;
  }) {
    this.profile = options.profile;
    this.builder = options.builder;
    this.stans = options.stans;
    this.stats = options.stats;
    this.failures = options.failures;
    this.standinMs = options.standinMs;
  }

  /** Answers the processor's 0800 on its link; says what it was. A malformed one gets 30. */
  answer(conn: LinkConnection, request: MessageView): NetworkAction {
    const code = request.has(70) ? request.string(70) : "";
    const action: NetworkAction = code === SIGN_ON ? "sign_on" : code === SIGN_OFF ? "sign_off" : code === ECHO ? "echo" : "other";
    const valid = validateMessage(request) === null;
    const responseCode = !valid ? "30" : action === "other" ? "12" : "00";
    if (conn.hasRoom(CONTROL_FRAME_BYTES_MAX)) {
      const builder = beginResponse(this.builder, request).set(39, responseCode);
      const target = conn.encodeTarget();
      conn.commitEncoded(builder.encodeInto(target.buffer, target.offset));
    }
    if (!valid) return "other";
    if (action === "sign_on") this.stats.signOns++;
    else if (action === "echo") this.stats.processorEchoes++;
    else if (action === "other") this.stats.networkOther++;
    return action;
  }

  /** Echoes start one interval after driving begins. */
  startEchoes(nowMs: number): void {
    this.echoStartMs = nowMs;
  }
  private echoStartMs = 0;

  /** Sends the network's echo on each signed-on link whose last one is `intervalMs` old and answered. */
  sendEchoes(nowMs: number, connections: Iterable<LinkConnection>, intervalMs: number): void {
    if (intervalMs <= 0) return;
    for (const conn of connections) {
      if (!conn.signedOn || conn.closed || conn.paused || conn.echoStan >= 0) continue;
      const last = Math.max(conn.lastEchoAtMs, this.echoStartMs);
      if (nowMs - last < intervalMs || !conn.hasRoom(CONTROL_FRAME_BYTES_MAX)) continue;
      const stan = this.stans.allocate(linkOwner(conn.id));
      const de7 = wallClockDe7(Date.now());
      const builder = this.builder.reset(800);
      if (this.profile.headerBytes > 0) builder.setHeader(NETWORK_HEADER);
      builder.set(7, de7).set(11, stanString(stan)).set(70, ECHO);
      const target = conn.encodeTarget();
      conn.commitEncoded(builder.encodeInto(target.buffer, target.offset));
      conn.echoStan = stan;
      conn.echoDe7 = de7;
      conn.echoSentAtMs = nowMs;
      conn.lastEchoAtMs = nowMs;
      this.echoesOutstanding++;
      this.stats.echoesSent++;
    }
  }

  /** An 0810: the answer to one of our echoes, on the link it went out on, with DE 7, 11, 70 and 39 00. */
  onEchoAnswer(conn: LinkConnection, answer: MessageView, connections: Iterable<LinkConnection>): void {
    const stan = answer.has(11) ? answer.integer(11) : -1;
    let owner: LinkConnection | null = null;
    for (const candidate of connections) if (candidate.echoStan === stan && stan >= 0) owner = candidate;
    if (owner === null) {
      this.fail("unmatched", conn, "0810 to no echo in flight");
      return;
    }
    const latencyMs = performance.now() - owner.echoSentAtMs;
    if (owner !== conn) this.fail("wrong_link", conn, `echo sent on link ${owner.id}`);
    if (latencyMs > this.standinMs && !owner.faulted) this.fail("late", conn, `echo answered after ${Math.round(latencyMs)} ms`);
    if (!answer.has(7) || answer.string(7) !== owner.echoDe7 || !answer.has(70) || answer.string(70) !== ECHO) {
      this.fail("echo_answer", conn, "DE 7 or DE 70 not echoed");
    }
    const code = answer.has(39) ? answer.string(39) : "missing";
    if (code !== "00") this.fail("echo_answer", conn, `DE 39 ${code}`);
    this.stats.echoesAnswered++;
    this.forgetEcho(owner);
  }

  forgetEcho(conn: LinkConnection): void {
    if (conn.echoStan < 0) return;
    this.stans.release(conn.echoStan, linkOwner(conn.id));
    conn.echoStan = -1;
    this.echoesOutstanding--;
  }

  /** At the end: echoes still outstanding were never answered. */
  giveUpEchoes(connections: Iterable<LinkConnection>): void {
    for (const conn of connections) {
      if (conn.echoStan < 0) continue;
      this.fail("echo_unanswered", conn, `echo STAN ${stanString(conn.echoStan)}`);
      this.forgetEcho(conn);
    }
  }

  private fail(kind: CheckKind, conn: LinkConnection, detail: string): void {
    this.failures.record(kind, () => ({ link: conn.id, scenario: "echo", mti: "0800", stan: null, pan_masked: null, detail }));
  }
}

/** DE 7 (MMDDhhmmss, UTC) of `nowMs`. */
export function wallClockDe7(nowMs: number): string {
  return new Date(nowMs).toISOString().replace(/[-:T]/g, "").slice(4, 14);
}
