import { CardIndex } from "../decision/card-index.ts";
import type { AccountKind } from "../decision/state.ts";
import { PAN_INDEX_BYTES } from "../pan-vault.ts";
import { int } from "./rows.ts";
import { AssertionFailure } from "../../ops/assert.ts";

/**
 * What an instance may remember between transactions, because it never changes once written: which card a
 * PAN index names and which account that card draws on, and the program's system accounts by kind and
 * currency. Everything that does change — balances, card status and limits, daily usage, records — is read
 * fresh in each transaction, under the account's lock.
 *
 * A PAN not known here is looked up in the database every time (a card issued on another instance a
 * moment ago must be found); only found cards are remembered. The memory is bounded: past
 * CARDS_REMEMBERED_MAX cards it starts over.
 */
export interface CardRef {
  readonly seq: number;
  readonly accountSeq: number;
  readonly panIndexBytes: Uint8Array;
}

export interface SystemAccountRef {
  readonly seq: number;
  readonly id: string;
  readonly kind: Exclude<AccountKind, "cardholder">;
  readonly currency: number;
}

export const CARDS_REMEMBERED_MAX = 1_000_000;

export class Directory {
  private cards = new CardIndex<CardRef>();
  private cardsRemembered = 0;
  private readonly systemAccounts = new Map<string, SystemAccountRef>();

  /** The remembered card for the 32 bytes at `offset`, or null. */
  card(bytes: Uint8Array, offset: number): CardRef | null {
    return this.cards.find(bytes, offset);
  }

  /** Remembers a card row's (seq, account_seq, pan_index as base64). */
  rememberCard(row: { seq: unknown; account_seq: unknown; pan_index: string }): CardRef {
    const bytes = new Uint8Array(Buffer.from(row.pan_index, "base64"));
    if (bytes.length !== PAN_INDEX_BYTES) throw new AssertionFailure("a stored PAN index is 32 bytes");
    const known = this.cards.find(bytes, 0);
    if (known !== null) return known;
    if (this.cardsRemembered >= CARDS_REMEMBERED_MAX) {
      this.cards = new CardIndex<CardRef>();
      this.cardsRemembered = 0;
    }
    const ref: CardRef = { seq: int(row.seq), accountSeq: int(row.account_seq), panIndexBytes: bytes };
    this.cards.add(ref);
    this.cardsRemembered += 1;
    return ref;
  }

  systemAccount(kind: SystemAccountRef["kind"], currency: number): SystemAccountRef | undefined {
    return this.systemAccounts.get(`${kind}:${currency}`);
  }

  allSystemAccounts(): IterableIterator<SystemAccountRef> {
    return this.systemAccounts.values();
  }

  rememberSystemAccount(row: { seq: unknown; id: string; kind: string; currency: unknown }): void {
    if (row.kind !== "funding" && row.kind !== "settlement") throw new AssertionFailure(`${row.kind} is not a system account`);
    const ref: SystemAccountRef = { seq: int(row.seq), id: row.id, kind: row.kind, currency: int(row.currency) };
    this.systemAccounts.set(`${ref.kind}:${ref.currency}`, ref);
  }
}
