import type { Framing } from "../iso8583/spec.ts";
import { framePrefixBytes, writeFramePrefix } from "../iso8583/framing.ts";
import type { SeededRandom } from "./random.ts";

/**
 * The bytes of the two framing faults. A truncated frame: a length prefix promising 1,000 to 3,000 bytes,
 * then 8 to 64 of them and silence — only a frame-assembly timeout can tell the processor. A garbage frame:
 * a length prefix of 65,535 (over any frame maximum a processor keeps) and 64 random bytes — the framer
 * can tell at once. Either way the stream can no longer be trusted and the processor must drop the link.
 */
export const TRUNCATED_PROMISE_BYTES_MIN = 1_000;
export const TRUNCATED_PROMISE_BYTES_MAX = 3_000;
const TRUNCATED_SENT_BYTES_MAX = 64;
const GARBAGE_BYTES = 64;
const GARBAGE_LENGTH_PREFIX = 0xffff;

export function truncatedFrame(framing: Framing, random: SeededRandom): Uint8Array {
  const promised = random.int(TRUNCATED_PROMISE_BYTES_MIN, TRUNCATED_PROMISE_BYTES_MAX);
  const sent = random.int(8, TRUNCATED_SENT_BYTES_MAX);
  return prefixed(framing, promised, random.bytes(sent));
}

export function garbageFrame(framing: Framing, random: SeededRandom): Uint8Array {
  return prefixed(framing, GARBAGE_LENGTH_PREFIX, random.bytes(GARBAGE_BYTES));
}

function prefixed(framing: Framing, length: number, body: Uint8Array): Uint8Array {
  const prefixBytes = framePrefixBytes(framing);
  const out = new Uint8Array(prefixBytes + body.length);
  writeFramePrefix(out, 0, framing, length);
  out.set(body, prefixBytes);
  return out;
}
