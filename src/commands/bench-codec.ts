import { originatingBase1Header, type Base1Header } from "../iso8583/base1-header.ts";
import { MessageBuilder } from "../iso8583/message-builder.ts";
import { MessageView } from "../iso8583/message-view.ts";
import { beginResponse } from "../iso8583/response.ts";
import type { CompiledProfile } from "../iso8583/spec.ts";
import { requestPan } from "../iso8583/validate.ts";
import { parseFlags } from "./cli.ts";
import { profileFromFlag } from "./profile-flag.ts";

const SAMPLE_HEADER: Base1Header = originatingBase1Header({ destination: "123456", source: "654321" });

/** A typical purchase authorization: DE 2,3,4,7,11,12,13,14,18,22,25,32,37,41,42,43,49. */
export function typicalAuthorization(profile: CompiledProfile): Uint8Array {
  const builder = new MessageBuilder(profile).reset(100);
  if (profile.headerBytes > 0) builder.setHeader(SAMPLE_HEADER);
  builder
    .set(2, "4111111111111111")
    .set(3, "000000")
    .set(4, "000000012345")
    .set(7, "1126071245")
    .set(11, "123456")
    .set(12, "161245")
    .set(13, "1126")
    .set(14, "3012")
    .set(18, "5411")
    .set(22, profile.name === "visa-base1" ? "0510" : "051")
    .set(25, "00")
    .set(32, "12345678")
    .set(37, "633012345678")
    .set(41, "TERM0001")
    .set(42, "MERCHANT0000001")
    .set(43, "SEKISHO MART SHIBUYA     TOKYO        JP")
    .set(49, "392");
  return builder.encode();
}

interface CodecTimings {
  profile: string;
  decode_ns: number;
  encode_ns: number;
  roundtrip_ns: number;
  rounds: number;
  iterations_per_round: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median over rounds of the mean time per message within a round. */
function time(rounds: number, iterations: number, body: () => void): number {
  const perMessage: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = Bun.nanoseconds();
    for (let i = 0; i < iterations; i++) body();
    perMessage.push((Bun.nanoseconds() - start) / iterations);
  }
  return median(perMessage);
}

export function benchCodec(profile: CompiledProfile, rounds = 15, iterations = 50_000): CodecTimings {
  const request = typicalAuthorization(profile);
  const view = new MessageView(profile);
  const builder = new MessageBuilder(profile);
  const out = new Uint8Array(8192);
  let sink = 0;
  const decode = () => {
    view.decode(request);
    sink += view.integer(4) + requestPan(view)!.length;
  };
  const encode = () => {
    beginResponse(builder, view).set(38, "A1B2C3").set(39, "00");
    sink += builder.encodeInto(out, 0);
  };
  decode();
  time(3, iterations, decode); // warm-up: let the JIT settle before anything counts
  time(3, iterations, encode);
  const decodeNs = time(rounds, iterations, decode);
  const encodeNs = time(rounds, iterations, encode);
  const roundtripNs = time(rounds, iterations, () => {
    decode();
    encode();
  });
  if (sink === 0) throw new Error("unreachable: keeps the work observable");
  return {
    profile: profile.name,
    decode_ns: Math.round(decodeNs),
    encode_ns: Math.round(encodeNs),
    roundtrip_ns: Math.round(roundtripNs),
    rounds,
    iterations_per_round: iterations,
  };
}

export const benchCodecUsage = `sekisho bench codec [--profile P] [--json]

Times the codec in-process on a typical 0100 (DE 2,3,4,7,11,12,13,14,18,22,25,32,37,41,42,43,49):
decoding it (and reading its PAN and amount), building and encoding its 0110 (echoed fields + DE 38/39),
and both together. Reports the median nanoseconds per message over 15 rounds.`;

export async function runBenchCodec(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    profile: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    console.log(benchCodecUsage);
    return 0;
  }
  const result = benchCodec(profileFromFlag(values.profile));
  if (values.json) {
    console.log(JSON.stringify(result));
  } else {
    console.log(`profile    ${result.profile}`);
    console.log(`decode     ${result.decode_ns} ns/message`);
    console.log(`encode     ${result.encode_ns} ns/message`);
    console.log(`roundtrip  ${result.roundtrip_ns} ns/message (median of ${result.rounds} rounds)`);
  }
  return 0;
}
