/**
 * The bounds of a clearing file, set once. A file over either maximum is refused before any record is read;
 * a JSON Lines line over its maximum is rejected without being parsed.
 */

/** Every BASE II transaction component record (TCR) is this many bytes, header and trailers included. */
export const BASE2_RECORD_BYTES = 168;

/** Records in one file (header, every TCR, trailers; or JSON lines). */
export const CLEARING_RECORDS_MAX = 200_000;

/** A record and its line break (CR LF) at most, for every record the file may hold. */
export const CLEARING_FILE_BYTES_MAX = CLEARING_RECORDS_MAX * (BASE2_RECORD_BYTES + 2);

/** One JSON Lines record: far above the longest valid record, far below the file maximum. */
export const JSONL_LINE_BYTES_MAX = 2048;

/** Transactions the writer puts in one batch (between TC 91 batch trailers); SmartVista's writer uses 950. */
export const BASE2_BATCH_TRANSACTIONS_MAX = 950;

/** The largest amount in minor units: the twelve digits of a BASE II amount field. */
export const CLEARING_AMOUNT_MINOR_MAX = 999_999_999_999;
