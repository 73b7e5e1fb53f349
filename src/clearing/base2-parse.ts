import { FieldReader } from "./base2-fields.ts";
import { TC90, TCR5, TCR_PREFIX, TRAILER, read } from "./base2-layout.ts";
import { parseTcr0 } from "./base2-tcr0.ts";
import { addTally, compareTally, countFinancial, emptyTally, readTrailer, type Tally } from "./base2-totals.ts";
import { fromYyddd } from "./dates.ts";
import { ClearingFileError } from "./errors.ts";
import { BASE2_RECORD_BYTES, CLEARING_FILE_BYTES_MAX, CLEARING_RECORDS_MAX } from "./limits.ts";
import { BASE2_TRANSACTION_CODES, type ClearingParseResult, type ClearingRecord } from "./record.ts";

/** What the TC 90 file header says. */
export interface Base2Header {
  readonly processingBin: string;
  /** YYYY-MM-DD: the reference for every short date of the file. */
  readonly processingDate: string;
  readonly fileId: string;
}

export interface Base2ParseResult extends ClearingParseResult {
  readonly header: Base2Header | null;
}

const fileError = (code: ClearingFileError["code"], detail?: string) => new ClearingFileError(code, { recordNumber: null }, detail);

/**
 * The records of the file: one per line (LF or CR LF, a last line break optional) when it has a line
 * break, else a stream of 168-byte records with none; a file error when it cannot be split.
 */
export function splitRecords(text: string): { records: string[] } | ClearingFileError {
  let records: string[];
  if (text.includes("\n")) {
    records = text.split("\n").map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
    if (records.at(-1) === "") records.pop();
  } else {
    if (text.length % BASE2_RECORD_BYTES !== 0) return fileError("stream_length", `no line breaks, and not a multiple of ${BASE2_RECORD_BYTES} bytes`);
    records = [];
    for (let at = 0; at < text.length; at += BASE2_RECORD_BYTES) records.push(text.slice(at, at + BASE2_RECORD_BYTES));
  }
  if (records.length === 0) return fileError("file_empty");
  if (records.length > CLEARING_RECORDS_MAX) return fileError("too_many_records", `at most ${CLEARING_RECORDS_MAX}`);
  return { records };
}

function parseHeader(record: string): Base2Header | ClearingFileError {
  const place = { recordNumber: 1 };
  if (read(record, TC90.transactionCode) !== "90") return new ClearingFileError("header_missing", { ...place, position: 1 }, "the first record must be a TC 90");
  if (record.length !== BASE2_RECORD_BYTES) return new ClearingFileError("header_invalid", place, `${BASE2_RECORD_BYTES} bytes expected`);
  const reader = new FieldReader(record, 1);
  for (const spec of [TC90.processingBin, TC90.processingDate, TC90.fileId]) {
    if (reader.digits(spec) instanceof ClearingFileError) return reader.error("header_invalid", spec, `${spec.length} digits expected`);
  }
  const processingDate = fromYyddd(reader.text(TC90.processingDate));
  if (processingDate === null) return reader.error("header_invalid", TC90.processingDate, "YYDDD expected");
  return { processingBin: reader.text(TC90.processingBin), processingDate, fileId: reader.text(TC90.fileId) };
}

/** The walk through the records after the header: the current transaction, batch and file counts. */
class Walk {
  readonly records: ClearingRecord[] = [];
  readonly rejections: ClearingFileError[] = [];
  readonly fileErrors: ClearingFileError[] = [];
  batch: Tally = emptyTally();
  readonly file: Tally = emptyTally();
  batches = 0;
  /** The open transaction: its code, and its record unless TCR 0 was rejected. */
  open: { code: string; record: ClearingRecord | null } | null = null;
  ended = false;

  constructor(readonly header: Base2Header) {}

  close(): void {
    if (this.open?.record) this.records.push(this.open.record);
    this.open = null;
  }

  financial(record: string, recordNumber: number, code: string): void {
    const tcr = read(record, TCR_PREFIX.tcrNumber);
    if (tcr === "0") {
      this.close();
      countFinancial(this.batch, record);
      const parsed = parseTcr0(record, recordNumber, this.header.processingDate);
      if (parsed instanceof ClearingFileError) this.rejections.push(parsed);
      this.open = { code, record: parsed instanceof ClearingFileError ? null : parsed };
      return;
    }
    this.batch.tcrs += 1;
    if (this.open?.code !== code) {
      this.rejections.push(new ClearingFileError("tcr_orphan", { recordNumber, position: TCR_PREFIX.tcrNumber.start, field: TCR_PREFIX.tcrNumber.name }, "no TCR 0 of this transaction code before it"));
    } else if (tcr === "5" && this.open.record !== null) {
      const identifier = read(record, TCR5.transactionIdentifier).trim();
      this.open.record = { ...this.open.record, transactionIdentifier: identifier === "" ? null : identifier };
    }
  }

  batchTrailer(record: string, recordNumber: number): void {
    this.close();
    const stated = readTrailer(record, recordNumber);
    this.batch.tcrs += 1;
    this.batch.transactions += 1;
    if (stated instanceof ClearingFileError) this.fileErrors.push(stated);
    else this.fileErrors.push(...compareTally(stated, this.batch, recordNumber));
    addTally(this.file, this.batch);
    this.batch = emptyTally();
    this.batches += 1;
  }

  fileTrailer(record: string, recordNumber: number): void {
    this.close();
    this.ended = true;
    if (this.batch.tcrs > 0) {
      this.fileErrors.push(new ClearingFileError("batch_trailer_missing", { recordNumber }, "records after the last TC 91"));
      addTally(this.file, this.batch);
    }
    const stated = readTrailer(record, recordNumber);
    this.file.tcrs += 1;
    this.file.transactions += 1;
    if (stated instanceof ClearingFileError) return void this.fileErrors.push(stated);
    this.fileErrors.push(...compareTally(stated, this.file, recordNumber));
    const place = (spec: typeof TRAILER.bin) => ({ recordNumber, position: spec.start, field: spec.name });
    if (stated.batchNumberOrCount !== this.batches) {
      this.fileErrors.push(new ClearingFileError("count_mismatch", place(TRAILER.batchNumberOrCount), `the trailer says ${stated.batchNumberOrCount} batches, the file has ${this.batches}`));
    }
    if (read(record, TRAILER.bin) !== this.header.processingBin) this.fileErrors.push(new ClearingFileError("trailer_invalid", place(TRAILER.bin), "not the header's processing BIN"));
    if (fromYyddd(read(record, TRAILER.processingDate)) !== this.header.processingDate) {
      this.fileErrors.push(new ClearingFileError("trailer_invalid", place(TRAILER.processingDate), "not the header's processing date"));
    }
  }

  step(record: string, recordNumber: number): void {
    if (record.length !== BASE2_RECORD_BYTES) {
      this.batch.tcrs += 1;
      const position = Math.min(record.length, BASE2_RECORD_BYTES) + 1;
      return void this.rejections.push(new ClearingFileError("record_length", { recordNumber, position }, `${BASE2_RECORD_BYTES} bytes expected`));
    }
    const code = read(record, TCR_PREFIX.transactionCode);
    if (BASE2_TRANSACTION_CODES[code] !== undefined) return this.financial(record, recordNumber, code);
    if (code === "91") return this.batchTrailer(record, recordNumber);
    if (code === "92") return this.fileTrailer(record, recordNumber);
    if (code === "90") return void this.fileErrors.push(new ClearingFileError("header_invalid", { recordNumber, position: 1 }, "a second file header"));
    this.close();
    this.batch.tcrs += 1;
    if (read(record, TCR_PREFIX.tcrNumber) === "0") this.batch.transactions += 1;
    this.rejections.push(new ClearingFileError("transaction_code_unknown", { recordNumber, position: 1, field: TCR_PREFIX.transactionCode.name }, "05, 06, 07, 25, 26 or 27 expected"));
  }
}

/**
 * A Visa BASE II clearing file (TC 90 header, TC 05/06/07/25/26/27 transactions with their TCRs, TC 91 batch
 * trailers, TC 92 file trailer). Bytes are read one character each (latin1), so positions are byte positions.
 * Never throws on bad input: every problem is a rejection or a file error in the result.
 */
export function parseBase2(input: Uint8Array | string): Base2ParseResult {
  const empty = (error: ClearingFileError): Base2ParseResult => ({ records: [], rejections: [], fileErrors: [error], header: null });
  if (input.length > CLEARING_FILE_BYTES_MAX) return empty(fileError("file_too_large", `at most ${CLEARING_FILE_BYTES_MAX} bytes`));
  const text = typeof input === "string" ? input : new TextDecoder("latin1").decode(input);
  const split = splitRecords(text);
  if (split instanceof ClearingFileError) return empty(split);
  const header = parseHeader(split.records[0]!);
  if (header instanceof ClearingFileError) return empty(header);
  const walk = new Walk(header);
  for (let i = 1; i < split.records.length; i++) {
    if (walk.ended) {
      walk.fileErrors.push(new ClearingFileError("record_after_trailer", { recordNumber: i + 1 }, "the TC 92 must be last"));
      break;
    }
    walk.step(split.records[i]!, i + 1);
  }
  walk.close();
  if (!walk.ended) walk.fileErrors.push(fileError("trailer_missing", "the last record must be a TC 92"));
  return { records: walk.records, rejections: walk.rejections, fileErrors: walk.fileErrors, header };
}
