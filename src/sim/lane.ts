import { MessageView } from "../iso8583/message-view.ts";
import type { CompiledProfile } from "../iso8583/spec.ts";
import type { SimCard } from "./card-book.ts";
import { SeededRandom } from "./random.ts";

/**
 * A lane is one sequential stream of requests with exactly one in flight: its own seeded generator, its
 * own accounts (no other lane touches them), its own acquirer id (DE 32). Because a lane waits for each
 * answer before it draws the next request, its sequence depends only on the seed and on the answers —
 * `--seed` replays it — and every account has at most one request in flight, so the model can predict
 * every answer exactly. The window of a link is the number of lanes bound to it.
 */
export const REQUEST_BYTES_MAX = 512;
/** Lanes in one run at most (DE 32 stays 8 digits, and STANs stay plentiful). */
export const LANES_MAX = 65_536;
export const RECORDS_PER_LANE = 16;
const FRAME_VIEWS_CACHED = 8;

export const LANE_IDLE = 0;
export const LANE_IN_FLIGHT = 1;
/** No usable account left (all uncertain): the lane sends nothing more. */
export const LANE_PARKED = 2;

// What an answer does to the model (applied with the answer's actual DE 39).
export const EFFECT_NONE = 0;
export const EFFECT_HOLD = 1; //        0100 approved: held, counts toward the card's daily limits
export const EFFECT_HOLD_ADVICE = 2; // 0120 accepted: held, even into a negative balance
export const EFFECT_DEBIT = 3; //       0200 approved: debited
export const EFFECT_RELEASE = 4; //     reversal accepted: part or all of a hold released

// A reversal the network forces on a lane's next request (the `late_reversal` fault).
export const FORCED_NONE = 0;
export const FORCED_OLDEST = 1; // the oldest approval the lane still holds, sent well after it
export const FORCED_RECORD = 2; // the request the network timed out (approved or not)

// What the lane remembers of an answered request, for later duplicates, repeats and reversals.
export const RECORD_NONE = 0;
export const RECORD_AUTHORIZATION = 1;
export const RECORD_REVERSAL = 2;

/**
 * A request's bytes with its length, and views of them by length, so that decoding allocates no view
 * (a lane's request lengths repeat). A lane and its records swap these rather than copying bytes.
 */
export class FrameBuffer {
  readonly bytes = new Uint8Array(REQUEST_BYTES_MAX);
  length = 0;
  private readonly viewLengths = new Int32Array(FRAME_VIEWS_CACHED).fill(-1);
  private readonly views: Array<Uint8Array | undefined> = new Array(FRAME_VIEWS_CACHED).fill(undefined);
  private viewNext = 0;

  /** The bytes cut to `length`. */
  view(): Uint8Array {
    const length = this.length;
    for (let i = 0; i < FRAME_VIEWS_CACHED; i++) if (this.viewLengths[i] === length) return this.views[i]!;
    const view = this.bytes.subarray(0, length);
    this.viewLengths[this.viewNext] = length;
    this.views[this.viewNext] = view;
    this.viewNext = (this.viewNext + 1) % FRAME_VIEWS_CACHED;
    return view;
  }

  copyFrom(other: FrameBuffer): void {
    const from = other.bytes;
    const to = this.bytes;
    for (let i = 0; i < other.length; i++) to[i] = from[i]!;
    this.length = other.length;
  }
}

/**
 * The merchants the lanes stand for, one row each: DE 43 (name 25, city 13, country 2: 40 characters) and
 * the DE 18 category code that fits the name, so a name never comes with another kind of shop's code.
 */
export const MERCHANTS: ReadonlyArray<{ readonly nameLocation: string; readonly category: string }> = [
  { nameLocation: "SEKISHO MART SHIBUYA     TOKYO        JP", category: "5411" }, // grocery stores, supermarkets
  { nameLocation: "HAKONE RAMEN             KANAGAWA     JP", category: "5812" }, // eating places, restaurants
  { nameLocation: "KYOTO TEA HOUSE          KYOTO        JP", category: "5814" }, // fast food, quick service
  { nameLocation: "NAMBA ELECTRONICS        OSAKA        JP", category: "5732" }, // electronics stores
  { nameLocation: "SAPPORO FUEL STATION     SAPPORO      JP", category: "5541" }, // service stations
  { nameLocation: "OMOTESANDO GENERAL STORE TOKYO        JP", category: "5999" }, // miscellaneous retail
];

/** A request a lane sent and got an answer to, with its frame kept for byte-exact replays. */
export class TxRecord {
  kind = RECORD_NONE;
  /** The request as sent (swapped in from the lane when the record is written). */
  frame = new FrameBuffer();
  mti = 0;
  stan = 0;
  card: SimCard | null = null;
  amount = 0;
  responseCode = "";
  approvalCode: string | null = null;
  /** What is still held for this approval (0 once reversed, the replacement after a partial reversal). */
  heldAmount = 0;
  reversed = false;
  /** Its entry in the network log (-1: none), replaced when a 91 is followed by a decision for the key. */
  logIndex = -1;
}

export class Lane {
  readonly index: number;
  /** The link slot the lane sends on. */
  readonly slot: number;
  /** DE 32, unique to the lane. */
  readonly acquirer: string;
  readonly random: SeededRandom;
  /** DE 41, 42, 43 and 18 of the lane's requests: one merchant terminal per lane. */
  readonly terminalId: string;
  readonly merchantId: string;
  readonly merchantNameLocation: string;
  readonly merchantCategory: string;
  /** Active cards with ordinary limits: the whole mix. */
  readonly cards: SimCard[] = [];
  /** Active cards with tight limits: plain purchases only. */
  readonly limitCards: SimCard[] = [];
  state = LANE_IDLE;

  // The request in flight.
  frame = new FrameBuffer();
  /** The request decoded, for comparing echoed fields byte for byte. */
  readonly view: MessageView;
  scenario = 0;
  requestMti = 0;
  stan = 0;
  sentAtMs = 0;
  /** Connection id the request went out on. */
  linkId = -1;
  standinCounted = false;
  /** The answer may be late or lost through a fault the network injected (a paused link, a network time-out). */
  faulted = false;
  /** Retransmissions of the request in flight (the `duplicate` fault) whose answers are still awaited. */
  duplicatesPending = 0;
  /** Answers to the request in flight so far, and the first one's DE 39 and DE 38. */
  answersSeen = 0;
  firstCode = "";
  firstApprovalCode: string | null = null;
  /** The network timed the request in flight out: once answered, the lane's next request reverses it. */
  reverseAfterAnswer = false;
  /** The next request is a reversal (the `late_reversal` fault): of the oldest approval, or of `forcedRecord`. */
  forcedReversal = FORCED_NONE;
  forcedRecord: TxRecord | null = null;

  // The answer it must get.
  expectMti = 0;
  expectCode = "";
  /** A second acceptable code (25 for the reversal of an unknown original), or null. */
  expectCodeAlternative: string | null = null;
  /** A replay must carry its first answer's DE 38. */
  expectApprovalCode: string | null = null;
  /** A balance inquiry's DE 54. */
  expectBalanceField: string | null = null;
  /** The card the request names (null: unknown card). */
  card: SimCard | null = null;
  amount = 0;
  effect = EFFECT_NONE;
  /** The approval a reversal releases, and how much stays held after it. */
  effectRecord: TxRecord | null = null;
  replacementAmount = 0;
  recordAs = RECORD_NONE;
  dayNumber = 0;
  /**
   * The record of an earlier request with this key that was answered 91: nothing was decided for it, so the
   * request in flight (its repeat or resend, or the network's retransmission after a 91) asks for a new
   * decision, which settles the record. Null otherwise.
   */
  undecided: TxRecord | null = null;
  /** The network-log entry of the request's key (-1: none yet): a decision after a 91 replaces it. */
  logIndex = -1;

  // History for duplicates, repeats and reversals: a ring of records, allocated on first use.
  readonly records: Array<TxRecord | undefined> = new Array(RECORDS_PER_LANE).fill(undefined);
  recordNext = 0;

  // Replay digest over the first requests of the lane (FNV-1a, 32 bits).
  digest = 0x811c9dc5;
  digestCount = 0;
  sentCount = 0;

  constructor(index: number, slot: number, acquirer: string, seed: number, profile: CompiledProfile) {
    this.index = index;
    this.slot = slot;
    this.acquirer = acquirer;
    this.random = new SeededRandom(seed);
    this.view = new MessageView(profile);
    this.terminalId = "SIM" + String(index % 100_000).padStart(5, "0");
    this.merchantId = "SIMMERCHANT" + String(index % 10_000).padStart(4, "0");
    const merchant = MERCHANTS[index % MERCHANTS.length]!;
    this.merchantNameLocation = merchant.nameLocation;
    this.merchantCategory = merchant.category;
  }

  /** The next record slot to overwrite. */
  takeRecord(): TxRecord {
    let record = this.records[this.recordNext];
    if (record === undefined) {
      record = new TxRecord();
      this.records[this.recordNext] = record;
    }
    this.recordNext = (this.recordNext + 1) % RECORDS_PER_LANE;
    record.kind = RECORD_NONE;
    record.reversed = false;
    record.heldAmount = 0;
    record.approvalCode = null;
    record.logIndex = -1;
    return record;
  }

  /** A record matching `accept`, searched from a random starting point; null if none. */
  findRecord(accept: (record: TxRecord) => boolean): TxRecord | null {
    const start = this.random.int(0, RECORDS_PER_LANE - 1);
    for (let i = 0; i < RECORDS_PER_LANE; i++) {
      const record = this.records[(start + i) % RECORDS_PER_LANE];
      if (record !== undefined && record.kind !== RECORD_NONE && accept(record)) return record;
    }
    return null;
  }

  /** The oldest record matching `accept` (the ring read from its next slot to overwrite); null if none. */
  oldestRecord(accept: (record: TxRecord) => boolean): TxRecord | null {
    for (let i = 0; i < RECORDS_PER_LANE; i++) {
      const record = this.records[(this.recordNext + i) % RECORDS_PER_LANE];
      if (record !== undefined && record.kind !== RECORD_NONE && accept(record)) return record;
    }
    return null;
  }

  /** The record written last (by the lane's latest answered request worth remembering). */
  lastRecord(): TxRecord | null {
    const record = this.records[(this.recordNext + RECORDS_PER_LANE - 1) % RECORDS_PER_LANE];
    return record !== undefined && record.kind !== RECORD_NONE ? record : null;
  }

  /** Folds a request's identity (not its clock- or counter-derived fields) into the replay digest. */
  fold(value: number): void {
    let hash = this.digest;
    let v = value >>> 0;
    for (let i = 0; i < 4; i++) {
      hash = Math.imul(hash ^ (v & 0xff), 0x01000193) >>> 0;
      v >>>= 8;
    }
    this.digest = hash;
  }
}

/** A FIFO of idle lanes per link slot; fixed capacity (the lanes bound to the slot), never grows. */
export class LaneQueue {
  private readonly items: Int32Array;
  private head = 0;
  count = 0;

  constructor(capacity: number) {
    this.items = new Int32Array(Math.max(1, capacity));
  }

  push(laneIndex: number): void {
    if (this.count === this.items.length) throw new Error("lane queue overflow: a lane was queued twice");
    this.items[(this.head + this.count) % this.items.length] = laneIndex;
    this.count++;
  }

  shift(): number {
    if (this.count === 0) return -1;
    const lane = this.items[this.head]!;
    this.head = (this.head + 1) % this.items.length;
    this.count--;
    return lane;
  }
}
