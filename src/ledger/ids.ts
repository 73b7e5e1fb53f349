import { LedgerError } from "./ledger.ts";

/**
 * Identifiers: a type prefix and a part that sorts by creation time. Rare objects (users, accounts,
 * cards, top-ups) carry a UUIDv7; the high-volume ones (transactions, events) are their row sequence in
 * base 36, fixed width, so they sort as strings and cost nothing to store. Base 36 also keeps long digit
 * runs out of identifiers, which log masking would otherwise take for card numbers.
 */
export type UuidPrefix = "usr" | "acct" | "crd" | "top";
export type SequencePrefix = "txn" | "evt";

const SEQUENCE_WIDTH = 11; // 36^11 > 2^53

export function newId(prefix: UuidPrefix): string {
  return `${prefix}_${Bun.randomUUIDv7()}`;
}

export function sequenceId(prefix: SequencePrefix, seq: number): string {
  return `${prefix}_${seq.toString(36).padStart(SEQUENCE_WIDTH, "0")}`;
}

/** The sequence behind an identifier, or null when it is not one of ours. */
export function sequenceOf(prefix: SequencePrefix, id: string): number | null {
  if (!id.startsWith(prefix + "_") || id.length !== prefix.length + 1 + SEQUENCE_WIDTH) return null;
  const digits = id.slice(prefix.length + 1);
  if (!/^[0-9a-z]+$/.test(digits)) return null;
  const seq = parseInt(digits, 36);
  return Number.isSafeInteger(seq) && seq > 0 ? seq : null;
}

/** Pagination cursors are opaque to callers: the next row's sequence, wrapped. */
export function encodeCursor(seq: number): string {
  return Buffer.from(`c1:${seq.toString(36)}`).toString("base64url");
}

export function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, "base64url").toString();
  const seq = text.startsWith("c1:") ? parseInt(text.slice(3), 36) : NaN;
  if (!Number.isSafeInteger(seq) || seq <= 0) throw new LedgerError("invalid_input", "cursor is not one this ledger issued");
  return seq;
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
