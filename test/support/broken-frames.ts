import { MessageView } from "../../src/iso8583/message-view.ts";
import type { CompiledProfile } from "../../src/iso8583/spec.ts";
import { authorizationRequest } from "./wire-requests.ts";

/**
 * Valid requests with one field damaged on purpose, for the tests of the tolerant locate pass and of the
 * 30 answers: the frame stays intact (its length and every other field unchanged), only the bytes of one
 * field's value, or of its length prefix, are replaced by ones its encoding forbids.
 */

/** A byte that is no digit in the field's encoding: a letter in ASCII or EBCDIC, nibble A in BCD. */
function nonDigit(profile: CompiledProfile): number {
  return profile.name === "visa-base1" ? 0x4a : 0x41;
}

function fieldBounds(profile: CompiledProfile, frame: Uint8Array, field: number): { start: number; valueStart: number; end: number } {
  const view = new MessageView(profile).decode(frame);
  return { start: view.fieldStart[field]!, valueStart: view.valueStart[field]!, end: view.valueEnd[field]! };
}

/** An 0100 (STAN `stan`) whose DE `field` holds a non-digit in its second value byte. */
export function withBrokenValue(profile: CompiledProfile, stan: number, field: number): Uint8Array {
  const frame = authorizationRequest(profile, stan);
  const { valueStart } = fieldBounds(profile, frame, field);
  frame[valueStart + 1] = nonDigit(profile);
  return frame;
}

/** An 0100 whose DE `field` (an LL field) has a length prefix that cannot be read, or is over the maximum. */
export function withBrokenPrefix(profile: CompiledProfile, stan: number, field: number): Uint8Array {
  const frame = authorizationRequest(profile, stan);
  const { start } = fieldBounds(profile, frame, field);
  frame[start] = profile.name === "visa-base1" ? 0x63 : 0x58; // a binary count of 99 (over 11); "X"
  return frame;
}
