import type { CompiledProfile } from "../iso8583/spec.ts";
import type { FaultEvent, ProcessFaultKind } from "./faults.ts";

/** What a simulator run is set up with, resolved and checked (see SimOptions in run.ts for the defaults). */
export interface SimulatorConfig {
  readonly profile: CompiledProfile;
  readonly seed: number;
  readonly links: number;
  readonly connectionsMax: number;
  /** Requests in flight per link (lanes per link). */
  readonly windowMax: number;
  /** Requests per second over all links; null: as fast as answers come back. */
  readonly ratePerSecond: number | null;
  readonly durationMs: number;
  readonly standinMs: number;
  /** After the duration, how long to wait for outstanding answers. */
  readonly drainMs: number;
  readonly echoIntervalMs: number;
  readonly digestRequestsMax: number;
  /** The faults to inject, in time order (empty: none). */
  readonly faults: readonly FaultEvent[];
  /** How long the `pause` fault leaves a link unread. */
  readonly pauseMs: number;
  /** How long the processor has to drop a link whose framing the network broke. */
  readonly frameFaultGraceMs: number;
  /** Hands a process fault to whoever owns the processor; without it, process faults are skipped. */
  readonly onProcessFault?: (kind: ProcessFaultKind) => void;
  readonly onProgress?: (progress: SimProgress) => void;
}

export interface SimProgress {
  readonly phase: "driving" | "draining";
  readonly elapsed_s: number;
  readonly duration_s: number;
  readonly sent: number;
  readonly answered: number;
  /** Answers per second over the last second. */
  readonly rate: number;
  /** Of the last interval; null when nothing was answered in it (shown as "—", never as 0 ms). */
  readonly p50_ms: number | null;
  readonly p99_ms: number | null;
  readonly in_flight: number;
  readonly errors: number;
  readonly standin: number;
  readonly links: number;
}
