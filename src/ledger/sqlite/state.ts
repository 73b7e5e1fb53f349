import type { Database } from "bun:sqlite";
import { effectiveLimits, type LimitOverrides } from "../card-limits.ts";
import type { CardLimits, CardStatus } from "../ledger.ts";
import { addMinor } from "../money.ts";
import { CardIndex } from "./card-index.ts";
import { loadRecentKeys, RecentKeys } from "./key-index.ts";

/**
 * The hot state the SQLite ledger keeps in memory: every account's balances and every card, looked up
 * by PAN index. The ledger is the file's only writer (exclusive lock), so a write-through cache is
 * coherent; it is rebuilt from disk at start-up and after any failed transaction, never patched back.
 *
 * Rebuilding: accounts and cards from their tables, held amounts from the pending holds (all at or after
 * the sequence meta remembers as the oldest pending one), the two derived values that are checkpointed
 * rather than written per batch — each account's history head and each card's usage of the day — from the
 * last checkpoint plus a replay of the transactions after it, and the keys not yet merged into
 * transaction_keys from the transactions after the merged sequence (key-index.ts).
 *
 * Size: every card and account stays in memory (a few hundred bytes each), so the embedded ledger suits
 * programs of up to about a million cards; larger programs belong on the shared PostgreSQL ledger.
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
  /** Keys of the transactions not yet in transaction_keys. */
  recentKeys = new RecentKeys(0);
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

interface AccountRow {
  seq: number;
  id: string;
  kind: AccountKind;
  user_seq: number | null;
  currency: number;
  ledger_balance_minor: number;
  history_head_seq: number | null;
}

interface CardRow {
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
  if (day !== card.usageDay) throw new Error("assertion: usage counted on an earlier day than the card's");
  card.usageAmount = addMinor(card.usageAmount, amount, "daily usage");
  card.usageCount += 1;
}

export function loadState(db: Database, defaults: CardLimits, nowMs: number): LedgerState {
  const state = new LedgerState();
  for (const row of db.query("SELECT * FROM accounts ORDER BY seq").all() as AccountRow[]) {
    state.addAccount({
      seq: row.seq,
      id: row.id,
      kind: row.kind,
      userSeq: row.user_seq,
      currency: row.currency,
      ledger: row.ledger_balance_minor,
      held: 0,
      head: row.history_head_seq,
      dirty: false,
    });
  }
  for (const row of db.query("SELECT * FROM cards ORDER BY seq").all() as CardRow[]) state.addCard(cardFromRow(row, defaults));
  state.pendingHoldsFromSeq = Number(metaValue(db, "pending_holds_from_seq") ?? 1);
  const held = db.query(
    "SELECT account_seq, SUM(hold_amount_minor) AS held FROM transactions WHERE seq >= ? AND hold_state = 'pending' GROUP BY account_seq",
  );
  for (const row of held.all(state.pendingHoldsFromSeq) as Array<{ account_seq: number; held: number }>) {
    const account = state.accounts.get(row.account_seq);
    if (account === undefined) throw new Error(`assertion: pending hold on unknown account ${row.account_seq}`);
    account.held = row.held;
  }
  const early = db.query("SELECT original_key, remaining_minor, reversal_seq, created_at_ms FROM early_reversals");
  for (const row of early.all() as Array<{ original_key: string; remaining_minor: number; reversal_seq: number; created_at_ms: number }>) {
    state.earlyReversals.set(row.original_key, { remaining: row.remaining_minor, reversalSeq: row.reversal_seq, createdAtMs: row.created_at_ms });
  }
  const maxOf = (table: string) => ((db.query(`SELECT MAX(seq) AS m FROM ${table}`).get() as { m: number | null }).m ?? 0) + 1;
  state.nextTxnSeq = maxOf("transactions");
  state.nextLineSeq = maxOf("journal_lines");
  state.nextOutboxSeq = maxOf("outbox");
  state.checkpointSeq = Number(metaValue(db, "checkpoint_seq") ?? 0);
  replaySinceCheckpoint(db, state);
  state.recentKeys = loadRecentKeys(db, nowMs);
  return state;
}

export function metaValue(db: Database, name: string): string | null {
  const row = db.query("SELECT value FROM meta WHERE name = ?").get(name) as { value: string } | null;
  return row === null ? null : row.value;
}

/** Heads and daily usage from the transactions written after the last checkpoint, in order. */
function replaySinceCheckpoint(db: Database, state: LedgerState): void {
  const rows = db
    .query("SELECT seq, account_seq, card_seq, usage_day, approved_amount_minor FROM transactions WHERE seq > ? ORDER BY seq")
    .values(state.checkpointSeq) as Array<[number, number | null, number | null, number | null, number | null]>;
  for (const [seq, accountSeq, cardSeq, usageDay, approved] of rows) {
    if (accountSeq !== null) state.chain(state.accounts.get(accountSeq)!, seq);
    if (usageDay !== null && cardSeq !== null && approved !== null) {
      const card = state.cards.get(cardSeq)!;
      countUsage(card, usageDay, approved);
      state.dirtyCards.add(card);
    }
  }
}
