import { effectiveLimits, type LimitOverrides } from "../card-limits.ts";
import type { CardLimits } from "../../domain/card-limits.ts";
import type { CardStatus } from "../../domain/card-status.ts";
import { addMinor } from "../money.ts";
import { CardIndex } from "./card-index.ts";
import { AssertionFailure } from "../../ops/assert.ts";

/**
 * The state a batch is decided against: accounts with their balances and cards looked up by PAN index,
 * the early reversals waiting for their originals, and the sequences new rows take.
 *
 * The SQLite ledger keeps all of it in memory: it is the file's only writer (exclusive lock), so a
 * write-through cache is coherent; rebuilt from disk at start-up and after any failed transaction, never
 * patched back (see sqlite/load-state.ts). Every card and account stays in memory (a few hundred bytes
 * each), so the embedded ledger suits programs of up to about a million cards.
 *
 * The PostgreSQL ledger shares its database with other instances and keeps nothing of this: it builds a
 * LedgerState per transaction from the rows it has just locked (only the accounts and cards the
 * transaction touches) and drops it after the commit.
 */
export type AccountKind = "cardholder" | "funding" | "settlement";

export interface AccountState {
  readonly seq: number;
  readonly id: string;
  readonly kind: AccountKind;
  readonly userSeq: number | null;
  readonly currency: number;
  /** Posted balance, minor units. */
  ledger: number;
  /** Sum of pending holds, minor units. */
  held: number;
  /** Newest transaction in this account's history. */
  head: number | null;
  /** Changed since the last checkpoint (listed in LedgerState.dirtyAccounts). */
  dirty: boolean;
}

export interface CardState {
  readonly seq: number;
  readonly id: string;
  readonly userSeq: number;
  readonly accountSeq: number;
  /** HMAC of the PAN: as stored (base64) and as bytes. */
  readonly panIndex: string;
  readonly panIndexBytes: Uint8Array;
  readonly panMasked: string;
  readonly last4: string;
  readonly expiry: string;
  readonly createdAtMs: number;
  status: CardStatus;
  overrides: LimitOverrides;
  limits: CardLimits;
  updatedAtMs: number;
  /** Approved authorizations on usageDay (UTC days since the epoch). */
  usageDay: number;
  usageAmount: number;
  usageCount: number;
  /** Changed since the last checkpoint (listed in LedgerState.dirtyCards). */
  dirty: boolean;
}

export interface EarlyReversal {
  remaining: number;
  readonly reversalSeq: number;
  readonly createdAtMs: number;
}

export class LedgerState {
  readonly accounts = new Map<number, AccountState>();
  readonly accountsByUser = new Map<number, AccountState>();
  readonly systemAccounts = new Map<string, AccountState>();
  readonly cards = new Map<number, CardState>();
  readonly cardsById = new Map<string, CardState>();
  readonly cardsByPanIndex = new CardIndex<CardState>();
  readonly earlyReversals = new Map<string, EarlyReversal>();
  /** Accounts and cards whose derived values changed since the last checkpoint. */
  readonly dirtyAccounts = new DirtyList<AccountState>();
  readonly dirtyCards = new DirtyList<CardState>();
  nextTxnSeq = 1;
  nextLineSeq = 1;
  nextOutboxSeq = 1;
  checkpointSeq = 0;
  /** No pending hold has a lower sequence: where expiry starts walking. */
  pendingHoldsFromSeq = 1;

  addAccount(account: AccountState): void {
    this.accounts.set(account.seq, account);
    if (account.userSeq !== null) this.accountsByUser.set(account.userSeq, account);
    else this.systemAccounts.set(systemKey(account.kind, account.currency), account);
  }

  addCard(card: CardState): void {
    this.cards.set(card.seq, card);
    this.cardsById.set(card.id, card);
    this.cardsByPanIndex.add(card);
  }

  systemAccount(kind: "funding" | "settlement", currency: number): AccountState | undefined {
    return this.systemAccounts.get(systemKey(kind, currency));
  }

  /** The newest transaction joins the account's history chain; returns the previous head. */
  chain(account: AccountState, seq: number): number | null {
    const previous = account.head;
    account.head = seq;
    this.dirtyAccounts.add(account);
    return previous;
  }
}

/**
 * What changed since the last checkpoint. A flag on the object, not a Set: marking runs for every
 * authorization, and a flag costs no hashing.
 */
export class DirtyList<T extends { dirty: boolean }> {
  private items: T[] = [];

  add(item: T): void {
    if (item.dirty) return;
    item.dirty = true;
    this.items.push(item);
  }

  get size(): number {
    return this.items.length;
  }

  [Symbol.iterator](): Iterator<T> {
    return this.items[Symbol.iterator]();
  }

  clear(): void {
    for (const item of this.items) item.dirty = false;
    this.items = [];
  }
}

function systemKey(kind: AccountKind, currency: number): string {
  return `${kind}:${currency}`;
}

/** A cards row with its numbers as numbers (both ledgers store the same columns). */
export interface CardRow {
  seq: number;
  id: string;
  user_seq: number;
  account_seq: number;
  pan_index: string;
  pan_masked: string;
  last4: string;
  expiry: string;
  status: CardStatus;
  per_transaction_max_minor: number | null;
  per_day_amount_max_minor: number | null;
  per_day_count_max: number | null;
  usage_day: number;
  usage_amount_minor: number;
  usage_count: number;
  created_at_ms: number;
  updated_at_ms: number;
}

export function cardFromRow(row: CardRow, defaults: CardLimits): CardState {
  const overrides: LimitOverrides = {
    perTransactionMax: row.per_transaction_max_minor,
    perDayAmountMax: row.per_day_amount_max_minor,
    perDayCountMax: row.per_day_count_max,
  };
  return {
    seq: row.seq,
    id: row.id,
    userSeq: row.user_seq,
    accountSeq: row.account_seq,
    panIndex: row.pan_index,
    panIndexBytes: new Uint8Array(Buffer.from(row.pan_index, "base64")),
    panMasked: row.pan_masked,
    last4: row.last4,
    expiry: row.expiry,
    createdAtMs: row.created_at_ms,
    status: row.status,
    overrides,
    limits: effectiveLimits(overrides, defaults),
    updatedAtMs: row.updated_at_ms,
    usageDay: row.usage_day,
    usageAmount: row.usage_amount_minor,
    usageCount: row.usage_count,
    dirty: false,
  };
}

/** Adds an approved amount to a card's usage on `day` (never earlier than the day it already counts). */
export function countUsage(card: CardState, day: number, amount: number): void {
  if (day > card.usageDay) {
    card.usageDay = day;
    card.usageAmount = 0;
    card.usageCount = 0;
  }
  if (day !== card.usageDay) throw new AssertionFailure("usage counted on an earlier day than the card's");
  card.usageAmount = addMinor(card.usageAmount, amount, "daily usage");
  card.usageCount += 1;
}
