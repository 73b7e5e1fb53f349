import { MESSAGE_TYPES } from "../domain/message-kinds.ts";

/**
 * Transaction keys: how Sekisho recognises the same network transaction again — a repeat (0101), the
 * advice the network sends after standing in (0120), and the reversal that names it in DE 90.
 *
 * Key = message class + ":" + DE 32 (leading zeros stripped) + ":" + DE 11 + ":" + DE 7, e.g.
 * "01:12345678:123456:1126071245". The class is the MTI's first two digits ("01" authorizations and their
 * advices, "02" financials, "04" reversals; MESSAGE_TYPES' keyClass in src/domain/message-kinds.ts), so an
 * 0100, its 0101 repeat and its 0120 advice share a key, an 0200 and its 0201 repeat share one, while a
 * reversal has a key of its own. DE 37 is deliberately left out: DE 90 does not carry it, and a
 * reversal must find its original from DE 90 alone.
 */
export interface KeyParts {
  readonly mti: number;
  readonly acquirer: string;
  readonly stan: string;
  readonly transmissionDateTime: string;
}

/**
 * The key class of an MTI: the table's keyClass for the MTIs we authorize; for any other (an original
 * named in DE 90), the version digit and the message class — "01" for 0100..0199, "04" for 0400..0499.
 */
export function messageClass(mti: number): string {
  return MESSAGE_TYPES.get(mti)?.keyClass ?? String(Math.floor(mti / 100)).padStart(2, "0");
}

/** DE 32 as the key carries it: leading zeros stripped (DE 90 pads it to 11 digits), "0" when all zeros. */
export function normalizeAcquirer(acquirer: string): string {
  const stripped = acquirer.replace(/^0+/, "");
  return stripped === "" ? "0" : stripped;
}

export function transactionKey(parts: KeyParts): string {
  return `${messageClass(parts.mti)}:${normalizeAcquirer(parts.acquirer)}:${parts.stan}:${parts.transmissionDateTime}`;
}

const DE90_LENGTH = 42;

/**
 * The key of the transaction a reversal names. DE 90 = original MTI (4) + original STAN (6) + original
 * DE 7 (10) + original acquirer (11, zero-padded) + forwarding institution (11, not part of the key).
 */
export function originalKeyFromDe90(de90: string): string | null {
  if (de90.length !== DE90_LENGTH || !/^\d+$/.test(de90)) return null;
  const mti = Number(de90.slice(0, 4));
  return transactionKey({
    mti,
    stan: de90.slice(4, 10),
    transmissionDateTime: de90.slice(10, 20),
    acquirer: de90.slice(20, 31),
  });
}
