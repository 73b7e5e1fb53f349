import type { AuthorizationDecision, AuthorizationRequest } from "../domain/authorization.ts";
import type { CardLimits } from "../domain/card-limits.ts";
import type { CardStatus } from "../domain/card-status.ts";
import type { ResponseCode } from "../domain/response-codes.ts";

/**
 * The ledger as the rest of Sekisho sees it. Batch-shaped and asynchronous, so that the embedded SQLite
 * ledger and the shared PostgreSQL ledger both fit behind it: the engine hands over a batch of requests and
 * gets one decision per request back only after the batch's transaction has committed. Money is always an
 * integer number of minor units of the account's currency (ISO 4217 numeric code). The domain's vocabulary
 * (requests, decisions, response codes, card statuses) lives in src/domain/.
 */

export interface User {
  readonly id: string;
  readonly externalId: string | null;
  readonly name: string | null;
  readonly createdAt: string;
}

export interface AccountBalances {
  readonly accountId: string;
  readonly currency: number;
  /** Posted balance. */
  readonly ledgerBalance: number;
  /** Posted balance minus pending holds. */
  readonly availableBalance: number;
  /** Sum of pending holds. */
  readonly heldAmount: number;
}

export interface Card {
  readonly id: string;
  readonly userId: string;
  readonly panMasked: string;
  readonly last4: string;
  readonly expiry: string;
  readonly status: CardStatus;
  readonly limits: CardLimits;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface TopUp {
  readonly id: string;
  /** The history entry (txn_…) the top-up made. */
  readonly transactionId: string;
  readonly userId: string;
  readonly amount: number;
  readonly currency: number;
  readonly createdAt: string;
}

export type TransactionKind = "authorization" | "advice" | "financial" | "reversal" | "topup" | "expiry";

/** A history entry's type: a stored kind, or a balance inquiry (an authorization or financial message with DE 3 = 31xxxx). */
export type HistoryKind = TransactionKind | "balance_inquiry";

export interface TransactionRecord {
  readonly id: string;
  readonly kind: HistoryKind;
  /** The top-up's own id (top_…) when the entry is a top-up. */
  readonly topUpId: string | null;
  readonly cardId: string | null;
  readonly panMasked: string | null;
  readonly amount: number;
  readonly currency: number;
  /** What was held, posted or credited, when that differs from `amount` (a partial approval). */
  readonly approvedAmount?: number | null;
  readonly responseCode: ResponseCode | null;
  readonly approvalCode: string | null;
  /** approved / declined / reversed / partially_reversed / expired / posted. */
  readonly status: string;
  readonly reason: string | null;
  readonly merchantNameLocation: string | null;
  readonly merchantCategory: string | null;
  readonly createdAt: string;
}

export interface OutboxEvent {
  readonly id: string;
  readonly type:
    | "authorization.approved"
    | "authorization.declined"
    | "reversal"
    | "advice"
    | "topup"
    | "card.updated"
    | "hold.expired";
  /** Events of one account are delivered in order. */
  readonly accountId: string;
  readonly createdAt: string;
  readonly data: Record<string, unknown>;
  readonly attempts: number;
}

export interface ConsistencyReport {
  /** Sum of all journal lines over all accounts; must be 0. */
  readonly journalSum: number;
  /** Accounts whose stored balances disagree with their journal and holds. */
  readonly accountsMismatched: number;
  /** Accounts with a negative available balance not explained by an advice. */
  readonly accountsNegativeWithoutAdvice: number;
  /** Transaction keys with more than one hold. */
  readonly keysWithSeveralHolds: number;
  /** Journal entries (one per transaction) whose own lines do not sum to zero. */
  readonly entriesUnbalanced?: number;
  /** Holds that are malformed: no key or account, a negative amount, a pending hold of zero. */
  readonly holdsInvalid?: number;
  /** Cards and accounts whose derived values kept by the implementation (daily usage, newest history
   * entry) disagree with what the stored transactions imply. */
  readonly derivedMismatched?: number;
  readonly consistent: boolean;
}

/** Expected failures of ledger operations (API misuse, conflicts), as values with a stable code. */
export type LedgerErrorCode =
  | "not_found"
  | "conflict"
  | "idempotency_conflict"
  | "invalid_state"
  | "invalid_amount"
  | "currency_mismatch"
  | "invalid_input"
  | "unavailable";

export class LedgerError extends Error {
  override readonly name = "LedgerError";
  readonly code: LedgerErrorCode;
  constructor(code: LedgerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export interface Ledger {
  /** Decides and applies a batch in one transaction; resolves only after it committed. */
  authorizeBatch(requests: readonly AuthorizationRequest[]): Promise<AuthorizationDecision[]>;

  createUser(input: { externalId?: string | null; name?: string | null; currency?: number }): Promise<User>;
  getUser(userId: string): Promise<{ user: User; balances: AccountBalances } | null>;
  /** Newest first; with `externalId`, only the user who has it (at most one). `cursor` as listTransactions'. */
  listUsers(page: {
    limit: number;
    cursor?: string | null;
    externalId?: string | null;
  }): Promise<{ items: Array<{ user: User; balances: AccountBalances }>; nextCursor: string | null }>;
  /** The user's cards, newest first (masked PANs only); `not_found` for an unknown user. */
  listCards(userId: string, page: { limit: number; cursor?: string | null }): Promise<{ items: Card[]; nextCursor: string | null }>;
  /** Stores a card whose PAN the caller generated; `conflict` when that PAN exists already. */
  issueCard(userId: string, input: { pan: string; expiry: string; limits?: Partial<CardLimits> }): Promise<Card>;
  getCard(cardId: string): Promise<Card | null>;
  /** Status and limits; lost / stolen / closed are final (`invalid_state` when leaving them). */
  updateCard(cardId: string, patch: { status?: CardStatus; limits?: Partial<CardLimits> }): Promise<Card>;
  /** Same key and same fingerprint → the first result (`replayed`); same key, other fingerprint → conflict. */
  topUp(
    userId: string,
    input: { amount: number; currency?: number; idempotencyKey: string; fingerprint: string },
  ): Promise<{ topUp: TopUp; replayed: boolean }>;
  /** Newest first; `cursor` is opaque, from a previous page's `nextCursor`. */
  listTransactions(
    userId: string,
    page: { limit: number; cursor?: string | null },
  ): Promise<{ items: TransactionRecord[]; nextCursor: string | null }>;

  /**
   * Claims deliverable events (the oldest undelivered one per account), leased to `owner` for `leaseMs`.
   * Only events written while the ledger queued them (`queueEvents`, on when a webhook is configured) are
   * ever claimed; every event is kept until pruned either way.
   */
  claimOutbox(input: { limit: number; leaseMs: number; owner: string; nowMs: number }): Promise<OutboxEvent[]>;
  /** Marks a leased event delivered: it leaves the backlog and stays readable (listEvents) until pruned. */
  completeOutbox(eventId: string, owner: string): Promise<void>;
  retryOutbox(eventId: string, owner: string, nextAttemptAtMs: number, error: string): Promise<void>;
  /** Undelivered events (the webhook backlog). */
  outboxBacklog(): Promise<number>;
  /**
   * Retained events, delivered or not, oldest first; `cursor` is opaque, from a previous page's
   * `nextCursor`, which is null when the page reached the newest event. An event id is never reused.
   */
  listEvents(page: { limit: number; cursor?: string | null }): Promise<{ items: OutboxEvent[]; nextCursor: string | null }>;
  /**
   * Deletes events created before `createdBeforeMs`, delivered or not, among the `rowsMax` oldest (at most
   * PRUNE_ROWS_MAX): bounded work per call. An undelivered event leased at `nowMs` is left to its delivery.
   * Returns how many went, and how many of those had never been delivered though they were queued.
   */
  pruneEvents(input: { createdBeforeMs: number; nowMs: number; rowsMax: number }): Promise<{ pruned: number; undelivered: number }>;

  /** Releases holds older than the hold timeout; returns how many. */
  expireHolds(nowMs: number): Promise<number>;
  checkConsistency(): Promise<ConsistencyReport>;
  close(): Promise<void>;
}
