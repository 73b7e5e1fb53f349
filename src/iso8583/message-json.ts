import { z } from "zod";
import type { Base1Header } from "./base1-header.ts";
import { CodecError } from "./errors.ts";
import { MessageBuilder } from "./message-builder.ts";
import type { MessageView } from "./message-view.ts";
import { maskValue } from "./sensitive.ts";
import type { CompiledProfile } from "./spec.ts";

/**
 * The JSON form of a message that tools exchange (`sekisho decode` / `encode`, the simulator's logs):
 * `{ mti, header?, fields }`, fields keyed by number as a string, each value in its text form (digits,
 * characters, "C"/"D" + digits, or uppercase hex for binary fields).
 */
export interface MessageJson {
  mti: string;
  header?: Base1Header;
  fields: Record<string, string>;
}

const headerSchema = z.object({
  headerFormat: z.number().int(),
  textFormat: z.number().int(),
  totalLength: z.number().int().optional(),
  destination: z.string(),
  source: z.string(),
  roundTrip: z.number().int(),
  base1Flags: z.number().int(),
  statusFlags: z.number().int(),
  batchNumber: z.number().int(),
  reserved: z.string(),
  userInfo: z.number().int(),
  rejectCode: z.string().optional(),
});

export const messageJsonSchema = z.object({
  mti: z.string().regex(/^\d{4}$/, "mti must be 4 digits"),
  header: headerSchema.optional(),
  fields: z.record(z.string().regex(/^\d{1,3}$/, "field keys are numbers"), z.string()),
});

export function viewToJson(view: MessageView, options: { unmasked: boolean }): MessageJson {
  const fields: Record<string, string> = {};
  for (let i = 0; i < view.presentCount; i++) {
    const field = view.presentFields[i]!;
    const value = view.string(field);
    const sensitivity = view.profile.specs[field]!.sensitive;
    fields[String(field)] = sensitivity !== null && !options.unmasked ? maskValue(value, sensitivity) : value;
  }
  const json: MessageJson = { mti: view.mtiString(), fields };
  const header = view.header();
  if (header !== null) json.header = header;
  return json;
}

/** Parses the JSON form into a builder; a wrong shape or value is a CodecError naming the field. */
export function jsonToBuilder(profile: CompiledProfile, input: unknown): MessageBuilder {
  const parsed = messageJsonSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CodecError("value_missing", null, -1, `${issue.path.join(".") || "message"}: ${issue.message}`);
  }
  const message = parsed.data;
  const builder = new MessageBuilder(profile).reset(Number(message.mti));
  if (profile.headerBytes > 0) {
    if (message.header === undefined) throw new CodecError("header_invalid", null, -1, `${profile.name} needs a header`);
    builder.setHeader({ ...message.header, totalLength: message.header.totalLength ?? 0 });
  }
  const numbers = Object.keys(message.fields).map(Number).sort((a, b) => a - b);
  for (const field of numbers) {
    if (field === 1) continue; // the secondary bitmap is derived from the fields present
    builder.set(field, message.fields[String(field)]!);
  }
  return builder;
}
