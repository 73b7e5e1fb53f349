import { expect, test } from "bun:test";
import { CodecError } from "../../src/iso8583/errors.ts";
import { jsonToBuilder, viewToJson } from "../../src/iso8583/message-json.ts";
import { MessageView } from "../../src/iso8583/message-view.ts";
import { loadProfile, PROFILE_NAMES } from "../../src/iso8583/profiles/index.ts";
import { validateMessage } from "../../src/iso8583/validate.ts";
import { frameBytes, Framer, FramingError } from "../../src/iso8583/framing.ts";
import { SeededRandom, seedFromEnvironment } from "../../src/sim/random.ts";
import { randomMessage } from "../support/random-messages.ts";

/** Inputs per profile; three profiles make well over 200,000 in all. */
const INPUTS_PER_PROFILE = 70_000;
/** A bound on the whole run so a hang shows up as a failure, not a stuck CI. */
const SECONDS_MAX = 60;

function mutate(random: SeededRandom, frame: Uint8Array): Uint8Array {
  const out = frame.slice();
  switch (random.int(0, 4)) {
    case 0: // flip bytes
      for (let i = random.int(1, 4); i > 0 && out.length > 0; i--) out[random.int(0, out.length - 1)] = random.int(0, 255);
      return out;
    case 1: // cut short
      return out.subarray(0, random.int(0, out.length));
    case 2: // extra bytes
      return Uint8Array.from([...out, ...random.bytes(random.int(1, 8))]);
    case 3: // set a bitmap bit
      if (out.length > 30) out[random.int(0, 30)]! |= 1 << random.int(0, 7);
      return out;
    default: // pure noise
      return random.bytes(random.int(0, 200));
  }
}

test(
  "fuzz: random and mutated input through framer + decoder raises nothing but CodecError/FramingError; locate nothing",
  () => {
    const seed = seedFromEnvironment();
    const random = new SeededRandom(seed);
    const deadline = performance.now() + SECONDS_MAX * 1000;
    let inputs = 0;
    let decoded = 0;
    try {
      for (const name of PROFILE_NAMES) {
        const profile = loadProfile(name);
        const view = new MessageView(profile);
        const valid = Array.from({ length: 200 }, () => jsonToBuilder(profile, randomMessage(random, profile)).encode());
        let framer = new Framer({ framing: profile.framing, frameBytesMax: 8192 });
        for (let i = 0; i < INPUTS_PER_PROFILE; i++) {
          if ((i & 1023) === 0 && performance.now() > deadline) throw new Error(`time bound hit after ${inputs} inputs`);
          inputs++;
          const frame = mutate(random, random.pick(valid));
          // Half through the framer (as a stream with a random prefix), half straight to the decoder.
          const chunk = random.chance(0.5) ? frameBytes(profile.framing, frame) : random.bytes(random.int(0, 6));
          try {
            framer.push(chunk, () => {});
          } catch (error) {
            if (!(error instanceof FramingError)) throw error;
            framer = new Framer({ framing: profile.framing, frameBytesMax: 8192 });
          }
          try {
            view.decode(frame);
            validateMessage(view);
            viewToJson(view, { unmasked: false });
            decoded++;
          } catch (error) {
            if (!(error instanceof CodecError)) throw error;
            view.locate(frame); // the dispatcher's tolerant pass after a decode error: must never throw
            for (let f = 0; f < view.presentCount; f++) view.string(view.presentFields[f]!);
          }
        }
      }
    } catch (error) {
      throw new Error(`seed ${seed} (replay with SEKISHO_SEED=${seed}): ${(error as Error).stack}`);
    }
    expect(inputs).toBe(INPUTS_PER_PROFILE * PROFILE_NAMES.length);
    expect(inputs).toBeGreaterThanOrEqual(200_000);
    // Some mutations leave a valid message; if none decode, the generator or decoder is broken.
    expect(decoded).toBeGreaterThan(1000);
    expect(decoded).toBeLessThan(inputs);
  },
  { timeout: (SECONDS_MAX + 30) * 1000 },
);
