import { MessageBuilder } from "../iso8583/message-builder.ts";
import { MessageView } from "../iso8583/message-view.ts";
import { responseMti } from "../iso8583/response.ts";
import type { CompiledProfile } from "../iso8583/spec.ts";
import type { CardBook, SimCard } from "./card-book.ts";
import { syntheticPan } from "./card-plan.ts";
import type { WireClock } from "./clock.ts";
import { balanceAmountsField, expectedAuthorizationCode, ISSUER_UNAVAILABLE } from "./expectations.ts";
import {
  EFFECT_DEBIT,
  EFFECT_HOLD,
  EFFECT_HOLD_ADVICE,
  EFFECT_NONE,
  EFFECT_RELEASE,
  FORCED_NONE,
  FORCED_OLDEST,
  RECORD_AUTHORIZATION,
  RECORD_NONE,
  RECORD_REVERSAL,
  type Lane,
  type TxRecord,
} from "./lane.ts";
import { SCENARIO, type Mix } from "./mix.ts";
import { CURRENCY_JPY, NETWORK_HEADER, originalDataElements, replacementAmounts, stanString } from "./request-fields.ts";
import { laneOwner, type StanTable } from "./stan-table.ts";

/** PANs no processor issues (industry digit 9, national use): the unknown-card scenario. */
const UNKNOWN_PAN_PREFIX = "999999";
/** The acquirer named in DE 90 of a reversal whose original never existed; no lane uses it. */
const UNKNOWN_ORIGINAL_ACQUIRER = "39999999";
/** Per-day counters reset at UTC midnight; near it, processor and simulator may disagree on the day. */
const MIDNIGHT_GUARD_MS = 5_000;
const ENTRY_MODES_ASCII = ["051", "071", "010", "901"];
const ENTRY_MODES_BASE1 = ["0510", "0710", "0100", "9010"];
/** What a reversal repeats of its original (never DE 14: card authentication data has no place in it). */
const REVERSAL_FIELDS_FROM_ORIGINAL = [2, 3, 4, 18, 22, 25, 37, 41, 42, 43, 49];

export interface TrafficOptions {
  readonly profile: CompiledProfile;
  readonly book: CardBook;
  readonly mix: Mix;
  readonly stans: StanTable;
  /** How many of each lane's first requests go into the replay digest. */
  readonly digestRequestsMax: number;
}

/**
 * Draws a lane's next request from the mix, encodes it into the lane's frame and states the answer it must
 * get (MTI, DE 39, DE 38 of a replay, DE 54 of an inquiry) and what that answer does to the model. One
 * builder and one scratch view for every lane: nothing is allocated per message but the field strings.
 */
export class Traffic {
  private readonly options: TrafficOptions;
  private readonly builder: MessageBuilder;
  private readonly scratch: MessageView;
  private readonly entryModes: readonly string[];

  constructor(options: TrafficOptions) {
    this.options = options;
    this.builder = new MessageBuilder(options.profile);
    this.scratch = new MessageView(options.profile);
    this.entryModes = options.profile.name === "visa-base1" ? ENTRY_MODES_BASE1 : ENTRY_MODES_ASCII;
  }

  /** Draws and encodes the lane's next request; false when the lane has no usable account left. */
  next(lane: Lane, clock: WireClock): boolean {
    if (lane.forcedReversal !== FORCED_NONE && this.forced(lane, clock)) return this.seal(lane);
    const scenario = this.options.mix.pick(lane.random);
    resetExpectation(lane, clock);
    lane.scenario = scenario;
    if (!this.play(scenario, lane, clock)) {
      resetExpectation(lane, clock);
      lane.scenario = SCENARIO.purchase;
      if (!this.play(SCENARIO.purchase, lane, clock)) return false;
    }
    return this.seal(lane);
  }

  /**
   * The reversal a fault forces on the lane (see `Lane.forcedReversal`); false when there is nothing left to
   * reverse (the lane then draws from the mix as usual).
   */
  private forced(lane: Lane, clock: WireClock): boolean {
    const which = lane.forcedReversal;
    const record = lane.forcedRecord;
    lane.forcedReversal = FORCED_NONE;
    lane.forcedRecord = null;
    resetExpectation(lane, clock);
    lane.scenario = SCENARIO.reversal;
    if (which === FORCED_OLDEST) return this.reversal(lane, clock, 400, false, lane.oldestRecord(isReversibleApproval));
    if (record === null || record.kind !== RECORD_AUTHORIZATION || record.reversed || record.card === null || record.card.uncertain) {
      return false;
    }
    if (isReversibleApproval(record)) return this.reversal(lane, clock, 400, false, record);
    return this.reversalOfDeclined(lane, clock, record);
  }

  /** States what the lane's freshly encoded request must get, and folds it into the replay digest. */
  private seal(lane: Lane): boolean {
    lane.expectMti = responseMti(lane.requestMti);
    lane.view.decode(lane.frame.view());
    if (lane.digestCount < this.options.digestRequestsMax) {
      lane.fold(lane.scenario);
      lane.fold(lane.requestMti);
      lane.fold(lane.card === null ? -1 : lane.card.index);
      lane.fold(lane.amount);
      lane.fold(Number(lane.expectCode));
      lane.digestCount++;
    }
    return true;
  }

  private play(scenario: number, lane: Lane, clock: WireClock): boolean {
    switch (scenario) {
      case SCENARIO.purchase:
        return this.cardAuthorization(lane, clock, 100, pickCard(lane, lane.cards), purchaseAmount(lane));
      case SCENARIO.financial:
        return this.cardAuthorization(lane, clock, 200, pickCard(lane, lane.cards), purchaseAmount(lane));
      case SCENARIO.insufficient_funds: {
        const card = pickCard(lane, lane.cards);
        const amount = card === null ? 0 : Math.max(0, card.availableBalance) + lane.random.int(1, 100_000);
        return this.cardAuthorization(lane, clock, 100, card, amount);
      }
      case SCENARIO.unknown_card:
        return this.unknownCard(lane, clock);
      case SCENARIO.expired_card:
        return this.expiredCard(lane, clock);
      case SCENARIO.blocked_card: {
        const cards = this.options.book.statusCards;
        if (cards.length === 0) return false;
        return this.cardAuthorization(lane, clock, 100, lane.random.pick(cards), purchaseAmount(lane));
      }
      case SCENARIO.over_limit: {
        if (clock.msFromMidnight < MIDNIGHT_GUARD_MS) return false;
        const card = pickCard(lane, lane.limitCards);
        if (card === null) return false;
        const amount = card.role === "limit_amount" ? lane.random.int(1_000, 30_000) : lane.random.int(100, 5_000);
        this.cardAuthorization(lane, clock, 100, card, amount);
        // Never replayed or reversed: whether a reversal gives back per-day allowance is the processor's
        // business, and the model must not have to guess it.
        lane.recordAs = RECORD_NONE;
        return true;
      }
      case SCENARIO.reversal:
        return this.reversal(lane, clock, 400, false);
      case SCENARIO.partial_reversal:
        return this.reversal(lane, clock, 400, true);
      case SCENARIO.reversal_advice:
        return this.reversal(lane, clock, 420, false);
      case SCENARIO.reversal_repeat:
        return this.replay(lane, clock, lane.findRecord(isAnsweredReversal), 1);
      case SCENARIO.reversal_unknown:
        return this.reversalOfUnknown(lane, clock);
      case SCENARIO.duplicate:
        return this.replay(lane, clock, lane.findRecord(isReplayableAuthorization), 0);
      case SCENARIO.repeat:
        return this.replay(lane, clock, lane.findRecord(isReplayableAuthorization), 1);
      case SCENARIO.advice:
        return this.advice(lane, clock);
      case SCENARIO.balance_inquiry:
        return this.balanceInquiry(lane, clock);
      default:
        return false;
    }
  }

  /** 0100 / 0200 for a card of the book, with its own expiry; the model predicts DE 39. */
  private cardAuthorization(lane: Lane, clock: WireClock, mti: number, card: SimCard | null, amount: number): boolean {
    if (card === null) return false;
    this.authorization(lane, clock, mti, card, card.pan, amount, card.expiry, false);
    lane.effect = mti === 200 ? EFFECT_DEBIT : EFFECT_HOLD;
    lane.recordAs = mti === 100 ? RECORD_AUTHORIZATION : RECORD_NONE;
    return true;
  }

  private unknownCard(lane: Lane, clock: WireClock): boolean {
    let pan = syntheticPan(UNKNOWN_PAN_PREFIX, 16, lane.random);
    while (this.options.book.has(pan)) pan = syntheticPan(UNKNOWN_PAN_PREFIX, 16, lane.random);
    const expiry = String((((clock.currentYymm / 100) | 0) + 2) % 100).padStart(2, "0") + "12";
    this.authorization(lane, clock, 100, null, pan, purchaseAmount(lane), expiry, false);
    lane.recordAs = RECORD_AUTHORIZATION;
    return true;
  }

  /** DE 14 either in the past or a different (future) date than the card's. */
  private expiredCard(lane: Lane, clock: WireClock): boolean {
    const card = pickCard(lane, lane.cards);
    if (card === null) return false;
    let expiry: string;
    if (lane.random.chance(0.5)) {
      const months = (((clock.currentYymm / 100) | 0) * 12 + (clock.currentYymm % 100) - 1) - lane.random.int(1, 24);
      expiry = String(((months / 12) | 0) % 100).padStart(2, "0") + String((months % 12) + 1).padStart(2, "0");
    } else {
      const yy = (Number(card.expiry.slice(0, 2)) + lane.random.int(1, 5)) % 100;
      expiry = String(yy).padStart(2, "0") + card.expiry.slice(2);
    }
    this.authorization(lane, clock, 100, card, card.pan, purchaseAmount(lane), expiry, false);
    lane.effect = EFFECT_HOLD;
    lane.recordAs = RECORD_AUTHORIZATION;
    return true;
  }

  private advice(lane: Lane, clock: WireClock): boolean {
    const card = pickCard(lane, lane.cards);
    if (card === null) return false;
    this.authorization(lane, clock, 120, card, card.pan, purchaseAmount(lane), card.expiry, false);
    lane.expectCode = "00"; // an advice reports a decision already taken: always acknowledged
    lane.effect = EFFECT_HOLD_ADVICE;
    return true;
  }

  private balanceInquiry(lane: Lane, clock: WireClock): boolean {
    const card = pickCard(lane, lane.cards);
    if (card === null) return false;
    this.authorization(lane, clock, 100, card, card.pan, 0, card.expiry, true);
    if (lane.expectCode === "00") lane.expectBalanceField = balanceAmountsField(card.availableBalance, CURRENCY_JPY);
    return true;
  }

  private authorization(
    lane: Lane,
    clock: WireClock,
    mti: number,
    card: SimCard | null,
    pan: string,
    amount: number,
    expirySent: string,
    inquiry: boolean,
  ): void {
    const stan = this.options.stans.allocate(laneOwner(lane.index));
    const builder = this.begin(lane, clock, mti, stan);
    builder.set(2, pan).set(3, inquiry ? "310000" : "000000").setInteger(4, amount).set(14, expirySent);
    if (mti === 120) builder.set(39, "00");
    this.finish(lane, mti, stan);
    lane.card = card;
    lane.amount = amount;
    lane.expectCode = expectedAuthorizationCode(card, {
      amount,
      expirySent,
      inquiry,
      dayNumber: clock.dayNumber,
      currentYymm: clock.currentYymm,
    });
  }

  /** 0400 / 0420 of an approval the lane got earlier: all of the hold, or all but DE 95's amount. */
  private reversal(lane: Lane, clock: WireClock, mti: number, partial: boolean, chosen?: TxRecord | null): boolean {
    const original = chosen === undefined ? lane.findRecord(isReversibleApproval) : chosen;
    if (original === null || (partial && original.amount < 2)) return false;
    const stan = this.options.stans.allocate(laneOwner(lane.index));
    const view = this.scratch.decode(original.frame.view());
    const builder = this.begin(lane, clock, mti, stan);
    for (const field of REVERSAL_FIELDS_FROM_ORIGINAL) builder.copy(view, field);
    builder.set(90, originalDataElements(original.mti, original.stan, view.string(7), lane.acquirer));
    const replacement = partial ? lane.random.int(1, original.amount - 1) : 0;
    if (partial) builder.set(95, replacementAmounts(replacement));
    this.finish(lane, mti, stan);
    lane.card = original.card;
    lane.amount = original.amount;
    lane.expectCode = "00";
    lane.effect = EFFECT_RELEASE;
    lane.effectRecord = original;
    lane.replacementAmount = replacement;
    lane.recordAs = RECORD_REVERSAL;
    return true;
  }

  /**
   * The network's 0400 for a request it timed out that the processor declined: nothing to release, so it
   * is acknowledged (00, or 25 "no such original") and moves nothing. The ledger shows a reversal of 0 for
   * a declined original; for one answered 91 it holds no original, and shows the amount the 0400 names.
   */
  private reversalOfDeclined(lane: Lane, clock: WireClock, original: TxRecord): boolean {
    const stan = this.options.stans.allocate(laneOwner(lane.index));
    const view = this.scratch.decode(original.frame.view());
    const builder = this.begin(lane, clock, 400, stan);
    for (const field of REVERSAL_FIELDS_FROM_ORIGINAL) builder.copy(view, field);
    builder.set(90, originalDataElements(original.mti, original.stan, view.string(7), lane.acquirer));
    this.finish(lane, 400, stan);
    lane.card = original.card;
    lane.amount = original.amount;
    lane.expectCode = "00";
    lane.expectCodeAlternative = "25";
    // Nothing to give back: the ledger's entry shows 0, or DE 4 when the original was never decided.
    lane.replacementAmount = original.responseCode === ISSUER_UNAVAILABLE ? 0 : original.amount;
    original.reversed = true;
    return true;
  }

  /** A reversal naming an original that never existed: acknowledged (00, or 25 "not found"), no effect. */
  private reversalOfUnknown(lane: Lane, clock: WireClock): boolean {
    const card = pickCard(lane, lane.cards);
    if (card === null) return false;
    const stan = this.options.stans.allocate(laneOwner(lane.index));
    const amount = purchaseAmount(lane);
    const builder = this.begin(lane, clock, 400, stan);
    builder.set(2, card.pan).set(3, "000000").setInteger(4, amount);
    builder.set(90, originalDataElements(100, lane.random.int(1, 999_999), clock.de7, UNKNOWN_ORIGINAL_ACQUIRER));
    this.finish(lane, 400, stan);
    lane.card = card;
    lane.amount = amount;
    lane.expectCode = "00";
    lane.expectCodeAlternative = "25";
    return true;
  }

  /**
   * A duplicate (`mtiOffset` 0: the same bytes again) or a repeat (`mtiOffset` 1: 0101, 0401, 0421 with
   * every field of the original): same transaction key, so the first answer comes back and nothing moves —
   * unless the first answer was 91, which decided nothing: then the request is decided as a new one.
   */
  private replay(lane: Lane, clock: WireClock, original: TxRecord | null, mtiOffset: number): boolean {
    if (original === null) return false;
    if (!this.options.stans.claim(original.stan, laneOwner(lane.index))) return false;
    const mti = original.mti + mtiOffset;
    if (mtiOffset === 0) {
      lane.frame.copyFrom(original.frame);
    } else {
      const view = this.scratch.decode(original.frame.view());
      const builder = this.builder.reset(mti);
      if (this.options.profile.headerBytes > 0) builder.setHeader(NETWORK_HEADER);
      for (let i = 0; i < view.presentCount; i++) builder.copy(view, view.presentFields[i]!);
      lane.frame.length = builder.encodeInto(lane.frame.bytes, 0);
    }
    lane.requestMti = mti;
    lane.stan = original.stan;
    lane.card = original.card;
    lane.amount = original.amount;
    lane.expectCode = original.responseCode;
    lane.expectApprovalCode = original.responseCode === "00" ? original.approvalCode : null;
    if (original.responseCode === ISSUER_UNAVAILABLE) this.undecidedReplay(lane, clock, original);
    return true;
  }

  /**
   * The repeat or resend of an authorization answered 91: predicted from the model as it is now, like the
   * original would have been; its answer moves the model, settles the record and replaces the 91 in the
   * network log as the key's decision.
   */
  private undecidedReplay(lane: Lane, clock: WireClock, original: TxRecord): void {
    if (original.kind !== RECORD_AUTHORIZATION) throw new Error(`a replay of an undecided record of kind ${original.kind}`);
    const view = this.scratch.decode(original.frame.view());
    lane.expectCode = expectedAuthorizationCode(original.card, {
      amount: original.amount,
      expirySent: view.has(14) ? view.string(14) : "",
      inquiry: false,
      dayNumber: clock.dayNumber,
      currentYymm: clock.currentYymm,
    });
    lane.expectApprovalCode = null;
    lane.effect = original.card === null ? EFFECT_NONE : EFFECT_HOLD;
    lane.undecided = original;
    lane.logIndex = original.logIndex;
  }

  /** Starts a request with the fields every request of the lane carries. */
  private begin(lane: Lane, clock: WireClock, mti: number, stan: number): MessageBuilder {
    const builder = this.builder.reset(mti);
    if (this.options.profile.headerBytes > 0) builder.setHeader(NETWORK_HEADER);
    const stanText = stanString(stan);
    return builder
      .set(7, clock.de7)
      .set(11, stanText)
      .set(12, clock.de12)
      .set(13, clock.de13)
      .set(18, lane.merchantCategory)
      .set(22, this.entryModes[lane.index % this.entryModes.length]!)
      .set(25, "00")
      .set(32, lane.acquirer)
      .set(37, clock.rrnPrefix + stanText)
      .set(41, lane.terminalId)
      .set(42, lane.merchantId)
      .set(43, lane.merchantNameLocation)
      .set(49, CURRENCY_JPY);
  }

  private finish(lane: Lane, mti: number, stan: number): void {
    lane.frame.length = this.builder.encodeInto(lane.frame.bytes, 0);
    lane.requestMti = mti;
    lane.stan = stan;
  }
}

function resetExpectation(lane: Lane, clock: WireClock): void {
  lane.card = null;
  lane.amount = 0;
  lane.expectCode = "";
  lane.expectCodeAlternative = null;
  lane.expectApprovalCode = null;
  lane.expectBalanceField = null;
  lane.effect = EFFECT_NONE;
  lane.effectRecord = null;
  lane.replacementAmount = 0;
  lane.recordAs = RECORD_NONE;
  lane.dayNumber = clock.dayNumber;
  lane.undecided = null;
  lane.logIndex = -1;
}

/** A usable (not uncertain) card of `cards`, searched from a random starting point. */
function pickCard(lane: Lane, cards: readonly SimCard[]): SimCard | null {
  const count = cards.length;
  if (count === 0) return null;
  const start = lane.random.int(0, count - 1);
  for (let i = 0; i < count; i++) {
    const card = cards[(start + i) % count]!;
    if (!card.uncertain) return card;
  }
  return null;
}

/** 100 to 30,000 yen, log-uniform: many small purchases, a few large ones. */
function purchaseAmount(lane: Lane): number {
  return Math.round(100 * Math.pow(300, lane.random.next()));
}

function isReplayableAuthorization(record: TxRecord): boolean {
  return record.kind === RECORD_AUTHORIZATION && !record.reversed && (record.card === null || !record.card.uncertain);
}

function isReversibleApproval(record: TxRecord): boolean {
  return (
    record.kind === RECORD_AUTHORIZATION &&
    !record.reversed &&
    record.responseCode === "00" &&
    record.heldAmount > 0 &&
    record.card !== null &&
    !record.card.uncertain
  );
}

function isAnsweredReversal(record: TxRecord): boolean {
  return record.kind === RECORD_REVERSAL && record.responseCode === "00";
}
