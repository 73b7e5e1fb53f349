import type { MessageBuilder } from "../iso8583/message-builder.ts";
import type { MessageView } from "../iso8583/message-view.ts";
import { beginResponse } from "../iso8583/response.ts";

/**
 * Network management (0800/0810): the control plane of a link. We sign on after connecting, echo when
 * idle and sign off at shutdown; the network may echo us too, and we answer inline.
 */
export const NETWORK_MANAGEMENT_CODE = { signOn: "001", signOff: "002", echo: "301" } as const;
export type NetworkManagementCode = (typeof NETWORK_MANAGEMENT_CODE)[keyof typeof NETWORK_MANAGEMENT_CODE];

export const MTI_NETWORK_REQUEST = 800;
export const MTI_NETWORK_RESPONSE = 810;

/** DE 7, transmission date and time: MMDDhhmmss in UTC. */
export function transmissionDateTime(nowMs: number): string {
  const d = new Date(nowMs);
  const two = (n: number) => (n < 10 ? "0" : "") + n;
  return two(d.getUTCMonth() + 1) + two(d.getUTCDate()) + two(d.getUTCHours()) + two(d.getUTCMinutes()) + two(d.getUTCSeconds());
}

/** DE 11 as six digits; STANs run 000001–999999 and wrap. */
export function formatStan(stan: number): string {
  return String(stan).padStart(6, "0");
}

export function nextStan(stan: number): number {
  return stan >= 999_999 ? 1 : stan + 1;
}

/** Fills `builder` with an 0800 of the given function code. */
export function buildNetworkRequest(
  builder: MessageBuilder,
  code: NetworkManagementCode,
  stan: number,
  nowMs: number,
  header: Parameters<MessageBuilder["setHeader"]>[0] | null,
): MessageBuilder {
  builder.reset(MTI_NETWORK_REQUEST);
  if (builder.profile.headerBytes > 0 && header !== null) builder.setHeader(header);
  return builder.set(7, transmissionDateTime(nowMs)).set(11, formatStan(stan)).set(70, code);
}

/** Fills `builder` with the 0810 to the network's own 0800: echoed, approved. */
export function buildNetworkAnswer(builder: MessageBuilder, request: MessageView): MessageBuilder {
  return beginResponse(builder, request).set(39, "00");
}
