import type { MessageView } from "../iso8583/message-view.ts";
import { ECHO_FIELDS } from "../iso8583/response.ts";
import { maskPan } from "../iso8583/sensitive.ts";
import type { Lane } from "./lane.ts";
import { SCENARIOS } from "./mix.ts";

/**
 * Every check an answer goes through, and the tally of what failed: a count per kind and the first few
 * examples of each, described by MTI, STAN, masked PAN and field numbers — never a field's value but the
 * response codes and MTIs themselves.
 */
export const CHECK_KINDS = [
  "framing", //            a bad length prefix: the stream cannot be trusted, the link was closed
  "decode", //             a frame that does not decode
  "unexpected_message", // a message the network never receives from an issuer (not 0800, not an answer)
  "unmatched", //          an answer to no request in flight
  "wrong_link", //         answered on another link than the request went out on
  "late", //               answered after the stand-in timeout: the network already stood in
  "mti", //                not the request's MTI class + 10
  "echo_missing", //       a field the request carried (2, 3, 4, 6, 7, 11, 12, 13, 32, 37, 41, 42, 49, 51) is missing
  "echo_mismatch", //      … or comes back with other bytes
  "header", //             a BASE I header not turned around (destination and source swapped)
  "response_code", //      DE 39 missing or not the one the model predicts
  "issuer_unavailable", // DE 39 91 (shed, or past its deadline) where the model predicts an answer
  "approval_code", //      an approval without a 6-character DE 38, or a replay with another DE 38 than the first
  "balance", //            a balance inquiry's DE 54 missing or not the model's available balance
  "echo_answer", //        the network's own 0800/301 answered with another MTI, missing fields or DE 39 ≠ 00
  "echo_unanswered", //    … or not answered at all
  "duplicate_answer", //   a retransmitted request (same bytes) answered otherwise than the first time, or not at all
  "framing_kept", //       a link whose framing the network broke still open after the grace period
] as const;

export type CheckKind = (typeof CHECK_KINDS)[number];

export interface FailureExample {
  readonly kind: CheckKind;
  readonly link: number;
  readonly scenario: string | null;
  readonly mti: string | null;
  readonly stan: string | null;
  readonly pan_masked: string | null;
  readonly detail: string;
}

export const EXAMPLES_PER_KIND = 3;

export class FailureLog {
  readonly counts: Record<CheckKind, number> = Object.fromEntries(CHECK_KINDS.map((kind) => [kind, 0])) as Record<
    CheckKind,
    number
  >;
  readonly examples: FailureExample[] = [];
  total = 0;

  record(kind: CheckKind, example: () => Omit<FailureExample, "kind">): void {
    this.counts[kind]++;
    this.total++;
    if (this.counts[kind] <= EXAMPLES_PER_KIND) this.examples.push({ kind, ...example() });
  }

  /** Kinds with at least one failure. */
  nonZero(): Partial<Record<CheckKind, number>> {
    const out: Partial<Record<CheckKind, number>> = {};
    for (const kind of CHECK_KINDS) if (this.counts[kind] > 0) out[kind] = this.counts[kind];
    return out;
  }
}

/** The fields compared byte for byte (DE 70 rides in ECHO_FIELDS for network management only). */
const ANSWER_ECHO_FIELDS = ECHO_FIELDS.filter((field) => field !== 70);

export class AnswerChecker {
  private readonly failures: FailureLog;
  private readonly standinMs: number;
  private readonly headerBytes: number;

  constructor(options: { failures: FailureLog; standinMs: number; headerBytes: number }) {
    this.failures = options.failures;
    this.standinMs = options.standinMs;
    this.headerBytes = options.headerBytes;
  }

  /** Runs every check of `answer` against the lane's request and prediction; returns how many failed. */
  check(lane: Lane, answer: MessageView, linkId: number, latencyMs: number): number {
    const before = this.failures.total;
    if (linkId !== lane.linkId) this.fail("wrong_link", lane, linkId, `sent on link ${lane.linkId}`);
    // A request the network itself delayed or timed out (a paused link) cannot blame the processor for lateness.
    if (latencyMs > this.standinMs && !lane.faulted) {
      this.fail("late", lane, linkId, `answered after ${Math.round(latencyMs)} ms (stand-in at ${this.standinMs} ms)`);
    }
    if (answer.mti !== lane.expectMti) {
      this.fail("mti", lane, linkId, `expected ${mtiText(lane.expectMti)}, got ${answer.mtiString()}`);
    }
    this.checkEcho(lane, answer, linkId);
    if (this.headerBytes > 0 && !isHeaderTurnedAround(lane.view.frame, answer.frame)) {
      this.fail("header", lane, linkId, "destination and source not swapped");
    }
    const code = answer.has(39) ? answer.string(39) : null;
    if (code === null) {
      this.fail("response_code", lane, linkId, "DE 39 missing");
    } else if (code !== lane.expectCode && code !== lane.expectCodeAlternative) {
      const kind = code === "91" ? "issuer_unavailable" : "response_code";
      this.fail(kind, lane, linkId, `expected ${lane.expectCode}, got ${code}`);
    }
    if ((code === "00" || code === "10") && (lane.expectMti === 110 || lane.expectMti === 210)) {
      this.checkApprovalCode(lane, answer, linkId);
    }
    if (lane.expectBalanceField !== null && code === "00") {
      if (!answer.has(54)) this.fail("balance", lane, linkId, "DE 54 missing");
      else if (answer.string(54) !== lane.expectBalanceField) this.fail("balance", lane, linkId, "DE 54 is not the model's balance");
    }
    return this.failures.total - before;
  }

  private checkEcho(lane: Lane, answer: MessageView, linkId: number): void {
    const request = lane.view;
    let missing: number[] | null = null;
    let differing: number[] | null = null;
    for (let i = 0; i < ANSWER_ECHO_FIELDS.length; i++) {
      const field = ANSWER_ECHO_FIELDS[i]!;
      if (!request.has(field)) continue;
      if (!answer.has(field)) (missing ??= []).push(field);
      else if (!sameBytes(request, answer, field)) (differing ??= []).push(field);
    }
    if (missing !== null) this.fail("echo_missing", lane, linkId, `DE ${missing.join(", ")} missing`);
    if (differing !== null) this.fail("echo_mismatch", lane, linkId, `DE ${differing.join(", ")} differ`);
  }

  private checkApprovalCode(lane: Lane, answer: MessageView, linkId: number): void {
    if (!answer.has(38) || answer.valueUnits[38] !== 6) {
      this.fail("approval_code", lane, linkId, "approval without a 6-character DE 38");
    } else if (lane.expectApprovalCode !== null && answer.string(38) !== lane.expectApprovalCode) {
      this.fail("approval_code", lane, linkId, "replay answered with another DE 38 than the first answer");
    }
  }

  private fail(kind: CheckKind, lane: Lane, linkId: number, detail: string): void {
    this.failures.record(kind, () => describeLane(lane, linkId, detail));
  }
}

export function describeLane(lane: Lane, linkId: number, detail: string): Omit<FailureExample, "kind"> {
  const request = lane.view;
  return {
    link: linkId,
    scenario: SCENARIOS[lane.scenario] ?? null,
    mti: mtiText(lane.requestMti),
    stan: request.has(11) ? request.string(11) : null,
    pan_masked: request.has(2) ? maskPan(request.string(2)) : null,
    detail,
  };
}

export function mtiText(mti: number): string {
  return String(mti).padStart(4, "0");
}

function sameBytes(request: MessageView, answer: MessageView, field: number): boolean {
  const a = request.frame;
  const b = answer.frame;
  let i = request.fieldStart[field]!;
  const end = request.valueEnd[field]!;
  let j = answer.fieldStart[field]!;
  if (end - i !== answer.valueEnd[field]! - j) return false;
  for (; i < end; i++, j++) if (a[i] !== b[j]) return false;
  return true;
}

/** BASE I: the answer's destination (bytes 5–7) is the request's source (8–10) and the other way round. */
function isHeaderTurnedAround(request: Uint8Array, answer: Uint8Array): boolean {
  for (let i = 0; i < 3; i++) {
    if (answer[5 + i] !== request[8 + i] || answer[8 + i] !== request[5 + i]) return false;
  }
  return true;
}
