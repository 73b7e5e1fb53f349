/**
 * Every way a clearing file or one of its records can fail. The code is stable (the ledger and tests key on
 * it); the message names the record number and the byte position (BASE II) or the field (JSON Lines), never
 * a value, so a card number cannot leak through an error.
 */
export type ClearingErrorCode =
  // The file as a whole: nothing after such an error can be trusted.
  | "file_too_large"
  | "too_many_records"
  | "file_empty"
  | "stream_length"
  | "header_missing"
  | "header_invalid"
  | "trailer_missing"
  | "trailer_invalid"
  | "batch_trailer_missing"
  | "record_after_trailer"
  | "count_mismatch"
  | "amount_total_mismatch"
  | "total_overflow"
  // One record: it is rejected and the rest of the file parses.
  | "record_length"
  | "transaction_code_unknown"
  | "tcr_orphan"
  | "field_not_numeric"
  | "field_invalid"
  | "pan_invalid"
  | "currency_unknown"
  | "amount_fraction"
  | "jsonl_syntax"
  | "line_too_long";

export interface ClearingErrorPlace {
  /** 1-based: the physical record (BASE II, header included) or line (JSON Lines); null for the whole file. */
  readonly recordNumber: number | null;
  /** 1-based byte position within the record, as the layout tables number them; null when not positional. */
  readonly position?: number | null;
  /** The field's name (layout name for BASE II, JSON key for JSON Lines). */
  readonly field?: string | null;
}

export class ClearingFileError extends Error {
  override readonly name = "ClearingFileError";
  readonly code: ClearingErrorCode;
  readonly recordNumber: number | null;
  readonly position: number | null;
  readonly field: string | null;

  /** `detail` must never carry a value read from the file: say what was expected, not what was found. */
  constructor(code: ClearingErrorCode, place: ClearingErrorPlace, detail?: string) {
    const where = [
      place.recordNumber === null ? "file" : `record ${place.recordNumber}`,
      place.position != null ? `position ${place.position}` : null,
      place.field != null ? `field ${place.field}` : null,
    ].filter((part) => part !== null);
    super(`${code}: ${where.join(", ")}${detail ? ` (${detail})` : ""}`);
    this.code = code;
    this.recordNumber = place.recordNumber;
    this.position = place.position ?? null;
    this.field = place.field ?? null;
  }
}
