import { SeededRandom } from "./random.ts";

/**
 * The faults a run injects, and when. The schedule is drawn from the run's seed (salted apart from the
 * traffic's streams), so `--seed` replays the same faults at the same offsets into driving, on the same
 * link index and the same lanes. Link faults are the simulator's own doing; process faults (`sigkill`,
 * `sigterm`) are handed to whoever owns the processor (`sekisho demo`).
 */
export const LINK_FAULT_KINDS = [
  "close_fin", //      the network closes a link gracefully (FIN): the processor re-dials and signs on again
  "close_rst", //      … abortively (RST, SO_LINGER 0)
  "pause", //          the network stops reading a link for a while, keeps sending on it, then reads again
  "truncated_frame", // a length prefix promising more bytes than follow, then silence: the processor must drop the link
  "garbage_frame", //  a length prefix over any frame maximum followed by random bytes: the processor must drop the link
  "duplicate", //      requests in flight retransmitted (same bytes, same key): the same answer, one hold
  "late_reversal", //  an 0400 for the oldest approval a lane holds, and for a request the network timed out
] as const;
export const PROCESS_FAULT_KINDS = [
  "sigkill", // the processor killed (SIGKILL) mid-run and started again on the same ledger
  "sigterm", // … stopped in order (SIGTERM) and started again
] as const;
export const FAULT_KINDS = [...LINK_FAULT_KINDS, ...PROCESS_FAULT_KINDS] as const;

export type LinkFaultKind = (typeof LINK_FAULT_KINDS)[number];
export type ProcessFaultKind = (typeof PROCESS_FAULT_KINDS)[number];
export type FaultKind = (typeof FAULT_KINDS)[number];

export function isProcessFault(kind: FaultKind): kind is ProcessFaultKind {
  return (PROCESS_FAULT_KINDS as readonly string[]).includes(kind);
}

export class FaultListError extends Error {
  override readonly name = "FaultListError";
  readonly code = "invalid_faults";
}

/**
 * `close_fin,pause` or `all` (every kind `allowed` holds). Kinds are kept in the canonical order, once each.
 * The hyphenated spelling (`close-fin`) is accepted too.
 */
export function parseFaults(list: string, allowed: readonly FaultKind[]): FaultKind[] {
  const names = list.split(",").map((name) => name.trim().replace(/-/g, "_")).filter((name) => name !== "");
  if (names.length === 0) throw new FaultListError("an empty list of faults");
  const chosen = new Set<FaultKind>();
  for (const name of names) {
    if (name === "all") {
      for (const kind of allowed) chosen.add(kind);
      continue;
    }
    if (!(FAULT_KINDS as readonly string[]).includes(name)) {
      throw new FaultListError(`unknown fault "${name}"; choose from ${allowed.join(", ")} or all`);
    }
    if (!allowed.includes(name as FaultKind)) {
      throw new FaultListError(`fault "${name}" needs a processor this command owns (sekisho demo); here: ${allowed.join(", ")}`);
    }
    chosen.add(name as FaultKind);
  }
  return FAULT_KINDS.filter((kind) => chosen.has(kind));
}

/** Salt so that the fault schedule draws from its own stream of the seed. */
const FAULT_PLAN_SALT = 0xfa017;
/** Faults fall in this part of the driving time: none in the first moments nor near the end. */
const FAULT_WINDOW_START = 0.1;
const FAULT_WINDOW_END = 0.8;
/** A run injects at most this many faults, however long it drives. */
export const FAULT_EVENTS_MAX = 10_000;

export interface FaultEvent {
  /** Milliseconds after driving began. */
  readonly atMs: number;
  readonly kind: FaultKind;
  /** A draw for the fault's target (which link, which lanes), fixed by the seed. */
  readonly pick: number;
}

/**
 * Every fault of a run, in time order: one every `spacingMs` (± a quarter, seeded) within the fault window,
 * at least one of each kind, the kinds taking turns in a seeded order.
 */
export function planFaults(options: { kinds: readonly FaultKind[]; seed: number; durationMs: number; spacingMs: number }): FaultEvent[] {
  const { kinds, durationMs, spacingMs } = options;
  if (kinds.length === 0) return [];
  if (!(spacingMs > 0)) throw new RangeError("fault spacing must be positive");
  const random = new SeededRandom((options.seed ^ FAULT_PLAN_SALT) >>> 0);
  const windowStartMs = durationMs * FAULT_WINDOW_START;
  const windowMs = durationMs * (FAULT_WINDOW_END - FAULT_WINDOW_START);
  const count = Math.min(FAULT_EVENTS_MAX, Math.max(kinds.length, Math.floor(windowMs / spacingMs)));
  const order = [...kinds];
  const events: FaultEvent[] = [];
  const stepMs = windowMs / count;
  for (let i = 0; i < count; i++) {
    if (i % order.length === 0) shuffle(order, random);
    const jitterMs = (random.next() - 0.5) * 0.5 * stepMs;
    events.push({
      atMs: Math.round(windowStartMs + (i + 0.5) * stepMs + jitterMs),
      kind: order[i % order.length]!,
      pick: random.nextUint32(),
    });
  }
  return events;
}

function shuffle<T>(items: T[], random: SeededRandom): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    const item = items[i]!;
    items[i] = items[j]!;
    items[j] = item;
  }
}

/** Faults injected so far, by kind. */
export type FaultCounts = Partial<Record<FaultKind, number>>;
