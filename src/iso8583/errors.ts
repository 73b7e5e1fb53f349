/**
 * Every way a frame can fail to be a message. The code is stable (tests, metrics and logs key on it);
 * the message names the field and the byte offset but never the field's value, so card data cannot
 * leak through an error.
 */
export type CodecErrorCode =
  | "truncated"
  | "length_over_max"
  | "length_invalid"
  | "not_numeric"
  | "invalid_padding"
  | "invalid_hex"
  | "invalid_sign"
  | "not_encodable"
  | "field_not_in_spec"
  | "bitmap_missing"
  | "mti_invalid"
  | "header_invalid"
  | "trailing_bytes"
  | "value_missing";

export class CodecError extends Error {
  override readonly name = "CodecError";
  readonly code: CodecErrorCode;
  /** Field number (0 = MTI, 1 = bitmap), or null when the error is about the frame as a whole. */
  readonly field: number | null;
  /** Byte offset within the decoded buffer where the problem starts; -1 while encoding. */
  readonly offset: number;

  constructor(code: CodecErrorCode, field: number | null, offset: number, detail?: string) {
    const where = field === null ? "message" : field === 0 ? "MTI" : field === 1 ? "bitmap" : `field ${field}`;
    const at = offset >= 0 ? ` at byte ${offset}` : "";
    super(`${code}: ${where}${at}${detail ? ` (${detail})` : ""}`);
    this.code = code;
    this.field = field;
    this.offset = offset;
  }
}

/** A profile table that is not self-consistent; raised at load time, never while decoding traffic. */
export class ProfileError extends Error {
  override readonly name = "ProfileError";
  readonly code = "profile_invalid";
  constructor(profile: string, detail: string) {
    super(`profile ${profile}: ${detail}`);
  }
}
