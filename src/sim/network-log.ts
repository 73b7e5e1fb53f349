import type { SimCard } from "./card-book.ts";

/**
 * What the network saw, per account, for the end-of-run reconciliation with the ledger: every request that
 * asked the processor for a new decision (not the replays of one it already took), with the answer that
 * came back — or none, when the link or the process died first. A 91 is no decision: a later answer for the
 * same key (its repeat, resend or retransmission) replaces it. Bounded: past `entriesMax` the log stops
 * and the reconciliation says how many accounts it could not cover.
 */
export const LEDGER_KINDS = ["authorization", "financial", "advice", "reversal"] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];

export const NETWORK_LOG_ENTRIES_MAX = 4_000_000;

export interface NetworkEntry {
  readonly kind: LedgerKind;
  /** What the ledger shows as the entry's amount: the request's, or what a reversal gives back. */
  readonly amount: number;
  /** DE 39 and DE 38 of the answer; `delivered` false: no answer ever came. */
  readonly delivered: boolean;
  readonly code: string;
  readonly approvalCode: string | null;
  readonly stan: number;
}

export class NetworkLog {
  readonly entriesMax: number;
  count = 0;
  /** Cards whose log is incomplete (an entry did not fit): left out of the reconciliation. */
  readonly incomplete = new Set<number>();
  private readonly byCard = new Map<number, NetworkEntry[]>();

  constructor(entriesMax = NETWORK_LOG_ENTRIES_MAX) {
    this.entriesMax = entriesMax;
  }

  /** Adds the card's entry; returns its position among the card's entries (-1: it did not fit). */
  record(card: SimCard, entry: NetworkEntry): number {
    if (this.count >= this.entriesMax) {
      this.incomplete.add(card.index);
      return -1;
    }
    let list = this.byCard.get(card.index);
    if (list === undefined) this.byCard.set(card.index, (list = []));
    list.push(entry);
    this.count++;
    return list.length - 1;
  }

  /** Replaces the card's entry at `position` (what `record` returned): a 91 followed by a decision for the key. */
  replace(card: SimCard, position: number, entry: NetworkEntry): void {
    const list = this.byCard.get(card.index);
    if (list === undefined || position < 0 || position >= list.length) {
      throw new RangeError(`no network-log entry ${position} for card ${card.index}`);
    }
    list[position] = entry;
  }

  entries(card: SimCard): readonly NetworkEntry[] {
    return this.byCard.get(card.index) ?? [];
  }
}

/** The ledger kind of a request MTI (0100 → authorization …); null for what the ledger does not record. */
export function ledgerKindOf(mti: number): LedgerKind | null {
  const messageClass = Math.floor(mti / 100) % 10;
  if (messageClass === 4) return "reversal";
  if (messageClass === 2) return "financial";
  if (messageClass === 1) return Math.floor(mti / 10) % 10 === 2 ? "advice" : "authorization";
  return null;
}
