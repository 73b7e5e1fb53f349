import { applyDebit, applyHold, applyRelease } from "./expectations.ts";
import {
  EFFECT_DEBIT,
  EFFECT_HOLD,
  EFFECT_HOLD_ADVICE,
  EFFECT_RELEASE,
  RECORD_AUTHORIZATION,
  RECORD_NONE,
  type Lane,
} from "./lane.ts";

/**
 * What an answer does to the model: it moves by what the processor actually answered, predicted or not,
 * so that one wrong answer is reported once and the model keeps following the processor's ledger. The
 * lane then remembers the request (for duplicates, repeats and reversals) if it is one worth replaying.
 */
export function applyAnswer(lane: Lane, code: string, approvalCode: string | null): void {
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
      original.reversed = true;
      break;
    }
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
  record.card = card;
  record.amount = lane.amount;
  record.responseCode = code;
  record.approvalCode = approvalCode;
  record.heldAmount = lane.recordAs === RECORD_AUTHORIZATION && accepted && lane.effect === EFFECT_HOLD && card !== null ? lane.amount : 0;
}
