import { applyDebit, applyHold, applyRelease, ISSUER_UNAVAILABLE } from "./expectations.ts";
import {
  EFFECT_DEBIT,
  EFFECT_HOLD,
  EFFECT_HOLD_ADVICE,
  EFFECT_RELEASE,
  RECORD_AUTHORIZATION,
  RECORD_NONE,
  type Lane,
  type TxRecord,
} from "./lane.ts";

/**
 * What an answer does to the model: it moves by what the processor actually answered, predicted or not,
 * so that one wrong answer is reported once and the model keeps following the processor's ledger. The
 * lane then remembers the request (for duplicates, repeats and reversals) if it is one worth replaying.
 *
 * A 91 moves nothing and leaves the key undecided: the lane keeps its record as `undecided`, so that a
 * decision that comes later for the same key (the network's retransmission of the request in flight)
 * moves the model and settles that record, as the answer to a repeat of an undecided record does.
 */
export function applyAnswer(lane: Lane, code: string, approvalCode: string | null): void {
  applyEffect(lane, code);
  if (lane.undecided !== null) {
    settleRecord(lane.undecided, lane, code, approvalCode);
    return;
  }
  if (lane.recordAs === RECORD_NONE) return;
  const record = lane.takeRecord();
  record.kind = lane.recordAs;
  // The record keeps the request's bytes by taking the lane's buffer; the lane takes the record's old one.
  const frame = record.frame;
  record.frame = lane.frame;
  lane.frame = frame;
  record.mti = lane.requestMti;
  record.stan = lane.stan;
  record.card = lane.card;
  record.amount = lane.amount;
  record.logIndex = lane.logIndex;
  settleRecord(record, lane, code, approvalCode);
  if (code === ISSUER_UNAVAILABLE) lane.undecided = record;
}

function applyEffect(lane: Lane, code: string): void {
  const card = lane.card;
  const accepted = code === "00";
  switch (lane.effect) {
    case EFFECT_HOLD:
      if (accepted && card !== null) applyHold(card, lane.amount, lane.dayNumber, true);
      break;
    case EFFECT_HOLD_ADVICE:
      if (accepted && card !== null) applyHold(card, lane.amount, lane.dayNumber, false);
      break;
    case EFFECT_DEBIT:
      if (accepted && card !== null) applyDebit(card, lane.amount, lane.dayNumber);
      break;
    case EFFECT_RELEASE: {
      const original = lane.effectRecord!;
      if (accepted && card !== null) {
        applyRelease(card, original.heldAmount - lane.replacementAmount);
        original.heldAmount = lane.replacementAmount;
      }
      // Not after a 91 either: the sim does not send a second reversal of it (the hold stays, as in the ledger).
      original.reversed = true;
      break;
    }
  }
}

/** The answer that stands for the record's key: a decision, or 91 (none yet). */
function settleRecord(record: TxRecord, lane: Lane, code: string, approvalCode: string | null): void {
  const held = record.kind === RECORD_AUTHORIZATION && code === "00" && lane.effect === EFFECT_HOLD && record.card !== null;
  record.responseCode = code;
  record.approvalCode = approvalCode;
  record.heldAmount = held ? record.amount : 0;
}
