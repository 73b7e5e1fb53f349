import { describe, expect, test } from "bun:test";
import { frameBytes, Framer, FramingError } from "../../src/iso8583/framing.ts";
import { SeededRandom } from "../../src/sim/random.ts";

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function collect(framer: Framer, chunks: Uint8Array[]): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (const chunk of chunks) framer.push(chunk, (frame) => frames.push(frame.slice()));
  return frames;
}

for (const framing of ["length2", "length2-vap"] as const) {
  describe(`framer (${framing})`, () => {
    const random = new SeededRandom(7);
    const bodies = Array.from({ length: 12 }, (_, i) => random.bytes(i === 3 ? 0 : random.int(1, 300)));
    const stream = concat(bodies.map((body) => frameBytes(framing, body)));

    test("one stream split at every possible boundary yields exactly the same frames", () => {
      for (let cut = 0; cut <= stream.length; cut++) {
        const frames = collect(new Framer({ framing, frameBytesMax: 8192 }), [stream.subarray(0, cut), stream.subarray(cut)]);
        expect(frames).toEqual(bodies);
      }
    });

    test("split into random pieces, even a byte at a time", () => {
      const framer = new Framer({ framing, frameBytesMax: 8192 });
      const oneByOne = collect(framer, Array.from(stream, (byte) => Uint8Array.of(byte)));
      expect(oneByOne).toEqual(bodies);
      expect(framer.bufferedBytes).toBe(0);
      for (let round = 0; round < 50; round++) {
        const pieces: Uint8Array[] = [];
        for (let at = 0; at < stream.length; ) {
          const size = random.int(1, 700);
          pieces.push(stream.subarray(at, at + size));
          at += size;
        }
        expect(collect(new Framer({ framing, frameBytesMax: 8192 }), pieces)).toEqual(bodies);
      }
    });

    test("frames that arrive whole are views of the chunk, not copies", () => {
      const views: Uint8Array[] = [];
      new Framer({ framing, frameBytesMax: 8192 }).push(stream, (frame) => views.push(frame));
      expect(views.length).toBe(bodies.length);
      for (const view of views) expect(view.buffer).toBe(stream.buffer);
    });

    test("a frame of exactly frameBytesMax passes; one byte more is a framing error", () => {
      const max = 100;
      const framer = new Framer({ framing, frameBytesMax: max });
      expect(collect(framer, [frameBytes(framing, new Uint8Array(max))]).length).toBe(1);
      expect(() => collect(framer, [frameBytes(framing, new Uint8Array(max + 1))])).toThrow(FramingError);
      // Also when the oversized prefix arrives split across chunks.
      const split = new Framer({ framing, frameBytesMax: max });
      const big = frameBytes(framing, new Uint8Array(max + 1));
      expect(() => collect(split, [big.subarray(0, 1), big.subarray(1)])).toThrow(/frame_too_large/);
    });

    test("frames before a framing error in the same chunk are still delivered", () => {
      const framer = new Framer({ framing, frameBytesMax: 50 });
      const frames: Uint8Array[] = [];
      const chunk = concat([frameBytes(framing, Uint8Array.of(1, 2)), frameBytes(framing, new Uint8Array(51))]);
      expect(() => framer.push(chunk, (frame) => frames.push(frame))).toThrow(FramingError);
      expect(frames.length).toBe(1);
    });
  });
}

test("a VAP header whose bytes 3-4 are not zero is a framing error", () => {
  const framer = new Framer({ framing: "length2-vap", frameBytesMax: 8192 });
  expect(() => framer.push(Uint8Array.of(0, 2, 0, 1, 9, 9), () => {})).toThrow(/vap_header_invalid/);
});

test("frameBytesMax is checked: positive, and within what a 2-byte length can say", () => {
  expect(() => new Framer({ framing: "length2", frameBytesMax: 0 })).toThrow(RangeError);
  expect(() => new Framer({ framing: "length2", frameBytesMax: 65536 })).toThrow(RangeError);
  expect(new Framer({ framing: "length2", frameBytesMax: 65535 }).frameBytesMax).toBe(65535);
});
