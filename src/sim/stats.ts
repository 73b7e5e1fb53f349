import { LatencyHistogram, usToMs } from "./histogram.ts";
import { SCENARIOS } from "./mix.ts";

/**
 * Counters of a run and its latency: one histogram for the whole run, one for the current interval (reset
 * each second) from which the timeline takes a point per interval. The timeline is bounded: when full,
 * neighbouring points merge and the interval doubles.
 */
export const TIMELINE_POINTS_MAX = 1800;

export interface TimelinePoint {
  /** Seconds since driving began, at the end of the interval. */
  t_s: number;
  interval_s: number;
  answered: number;
  /** Answers per second over the interval. */
  rate: number;
  /** Null for an interval without answers: no latency was measured (not 0 ms). */
  p50_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
}

export class RunStats {
  sent = 0;
  answered = 0;
  /** Authorization and financial answers (0110, 0130, 0210) with 00 or 10, and with anything else. */
  approved = 0;
  declined = 0;
  /** Reversal answers (0410, 0430). */
  reversals = 0;
  /** Requests not answered within the stand-in timeout (answered late or never). */
  standin = 0;
  unanswered = 0;
  echoesSent = 0;
  echoesAnswered = 0;
  /** 0800 the processor sent, by function: sign-on, echo, sign-off, other. */
  signOns = 0;
  signOffs = 0;
  processorEchoes = 0;
  networkOther = 0;
  connectionsAccepted = 0;
  connectionsRefused = 0;
  /** Answers by DE 39: two digits counted in a flat array (no string keys per answer), anything else in a map. */
  private readonly byDigitCode = new Float64Array(100);
  private readonly byOtherCode = new Map<string, number>();
  readonly sentByScenario = new Float64Array(SCENARIOS.length);
  readonly latency = new LatencyHistogram();
  readonly interval = new LatencyHistogram();
  readonly timeline: TimelinePoint[] = [];
  private intervalSeconds = 1;

  recordAnswer(latencyUs: number, code: string, requestMti: number): void {
    this.answered++;
    this.latency.record(latencyUs);
    this.interval.record(latencyUs);
    const tens = code.charCodeAt(0) - 48;
    const units = code.charCodeAt(1) - 48;
    if (code.length === 2 && tens >= 0 && tens <= 9 && units >= 0 && units <= 9) this.byDigitCode[tens * 10 + units]! += 1;
    else this.byOtherCode.set(code, (this.byOtherCode.get(code) ?? 0) + 1);
    const messageClass = Math.floor(requestMti / 100) % 10;
    if (messageClass === 4) this.reversals++;
    else if (code === "00" || code === "10") this.approved++;
    else this.declined++;
  }

  /** Answers by response code ("" for an answer without DE 39), codes in order. */
  byCode(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let i = 0; i < 100; i++) if (this.byDigitCode[i]! > 0) out[String(i).padStart(2, "0")] = this.byDigitCode[i]!;
    for (const [code, count] of [...this.byOtherCode.entries()].sort(([a], [b]) => a.localeCompare(b))) out[code] = count;
    return out;
  }

  /** Ends the current interval; returns its point (also kept in the timeline). */
  closeInterval(elapsedSeconds: number, intervalSeconds: number): TimelinePoint {
    const h = this.interval;
    const point: TimelinePoint = {
      t_s: round3(elapsedSeconds),
      interval_s: round3(intervalSeconds),
      answered: h.count,
      rate: intervalSeconds > 0 ? Math.round(h.count / intervalSeconds) : 0,
      p50_ms: h.count === 0 ? null : usToMs(h.quantileUs(0.5)),
      p99_ms: h.count === 0 ? null : usToMs(h.quantileUs(0.99)),
      max_ms: h.count === 0 ? null : usToMs(h.maxUs),
    };
    h.reset();
    this.timeline.push(point);
    if (this.timeline.length > TIMELINE_POINTS_MAX) this.halveTimeline();
    return point;
  }

  /** Merges neighbouring points: counts add up, percentiles take the count-weighted mean, maxima the max. */
  private halveTimeline(): void {
    const merged: TimelinePoint[] = [];
    for (let i = 0; i + 1 < this.timeline.length; i += 2) {
      const a = this.timeline[i]!;
      const b = this.timeline[i + 1]!;
      const answered = a.answered + b.answered;
      // A point without answers has no latency: the other's stands alone (both without: still none).
      const weight = (x: number | null, y: number | null) =>
        x === null ? y : y === null ? x : round3((x * a.answered + y * b.answered) / answered);
      const seconds = a.interval_s + b.interval_s;
      merged.push({
        t_s: b.t_s,
        interval_s: round3(seconds),
        answered,
        rate: seconds > 0 ? Math.round(answered / seconds) : 0,
        p50_ms: weight(a.p50_ms, b.p50_ms),
        p99_ms: weight(a.p99_ms, b.p99_ms),
        max_ms: a.max_ms === null ? b.max_ms : b.max_ms === null ? a.max_ms : Math.max(a.max_ms, b.max_ms),
      });
    }
    if (this.timeline.length % 2 === 1) merged.push(this.timeline[this.timeline.length - 1]!);
    this.timeline.length = 0;
    this.timeline.push(...merged);
    this.intervalSeconds *= 2;
  }

  /** How long an interval should be now (doubles each time the timeline is halved). */
  get timelineIntervalSeconds(): number {
    return this.intervalSeconds;
  }
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
