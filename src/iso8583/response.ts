import type { MessageBuilder } from "./message-builder.ts";
import type { MessageView } from "./message-view.ts";

/**
 * The fields a response carries back unchanged from its request (those present), copied byte for byte.
 * DE 70 rides along so that a network-management answer names the function it answers.
 */
export const ECHO_FIELDS: readonly number[] = [2, 3, 4, 6, 7, 11, 12, 13, 32, 37, 41, 42, 49, 51, 70];

/** The response MTI: the request's class with function "response" (0100 and its repeat 0101 → 0110). */
export function responseMti(requestMti: number): number {
  return requestMti - (requestMti % 10) + 10;
}

/** Starts the response to `request` in `builder`: MTI, header (turned around) and the echoed fields. */
export function beginResponse(builder: MessageBuilder, request: MessageView): MessageBuilder {
  builder.reset(responseMti(request.mti));
  if (builder.profile.headerBytes > 0) builder.headerFrom(request);
  for (let i = 0; i < ECHO_FIELDS.length; i++) builder.copy(request, ECHO_FIELDS[i]!);
  return builder;
}
