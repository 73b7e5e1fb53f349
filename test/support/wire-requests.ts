import { MessageBuilder } from "../../src/iso8583/message-builder.ts";
import type { CompiledProfile } from "../../src/iso8583/spec.ts";
import { TEST_HEADER } from "./test-network.ts";

/** A valid 0100 (or another authorization-class MTI) whose STAN is `stan`. */
export function authorizationRequest(
  profile: CompiledProfile,
  stan: number,
  options: { mti?: number; pan?: string; amount?: number; transmission?: string; acquirer?: string; expiry?: string } = {},
): Uint8Array {
  const builder = new MessageBuilder(profile).reset(options.mti ?? 100);
  if (profile.headerBytes > 0) builder.setHeader(TEST_HEADER);
  return builder
    .set(2, options.pan ?? "4111111111111111")
    .set(3, "000000")
    .setInteger(4, options.amount ?? 1000)
    .set(7, options.transmission ?? "1126101010")
    .set(11, String(stan).padStart(6, "0"))
    .set(14, options.expiry ?? "3012")
    .set(32, options.acquirer ?? "123456")
    .set(37, "000000000001")
    .set(41, "TERM0001")
    .set(49, "392")
    .encode();
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
