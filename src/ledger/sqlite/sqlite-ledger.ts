import type { Database, Statement } from "bun:sqlite";
import { approvalCodeSource, type RandomBytes } from "../../authorize/approval-code.ts";
import { DEFAULT_CARD_LIMITS } from "../card-limits.ts";
import type { AuthorizationDecision, AuthorizationRequest } from "../../domain/authorization.ts";
import type { CardLimits } from "../../domain/card-limits.ts";
import type { CardStatus } from "../../domain/card-status.ts";
import { LedgerError, type Card, type ConsistencyReport, type Ledger, type OutboxEvent } from "../ledger.ts";
import { checkNewCard } from "../input-checks.ts";
import { createPanVault } from "../pan-vault.ts";
import { balancesOf, cardOf, sealPan, userOf } from "../views.ts";
import { Authorizer } from "../decision/authorizer.ts";
import * as cardholders from "./cardholders.ts";
import { CHECKPOINT_TRANSACTIONS_DEFAULT, writeCheckpoint } from "./checkpoint.ts";
import { checkConsistency } from "./consistency.ts";
import type { SqliteContext } from "./context.ts";
import { openDatabase } from "./database.ts";
import { expireHoldsChunk, forgetEarlyReversals } from "./hold-expiry.ts";
import { listTransactions } from "./history.ts";
import * as lists from "./lists.ts";
import { KEY_MERGE_KEYS_MAX, KEY_MERGE_SLICE_KEYS_MAX } from "./key-index.ts";
import { KeyMerger } from "./key-merger.ts";
import * as outbox from "./outbox.ts";
import { loadState } from "./load-state.ts";
import { META, metaValue, setMeta } from "./meta.ts";
import { RecordReader } from "./record-reader.ts";
import { topUp } from "./topups.ts";
import { SqliteTransactionWriter } from "./transaction-writer.ts";
import { AssertionFailure, rethrowAssertionFailure } from "../../ops/assert.ts";

/**
 * The embedded ledger: SQLite through bun:sqlite, one writer, one transaction per batch.
 *
 * Concurrency: every method runs its transaction synchronously from BEGIN to COMMIT, with no await in
 * between, so calls from several async tasks are serialized by the event loop itself; a batch's promise
 * resolves only after its COMMIT returned (durable with synchronous=FULL).
 *
 * Speed comes from writing little per authorization: balances, cards and the day's usage live in memory
 * (rebuilt from disk at start-up and after any failed transaction); a batch finds the stored records of
 * all its keys among the newest records in memory (recent-records.ts) or with a few IN (…) queries, then
 * appends its rows with multi-row INSERTs — one transaction row (which carries its hold) and one event
 * per request — and updates only what a reversal or a posting changed. Derived values (history heads,
 * daily usage) are checkpointed every `checkpointTransactions`. Network keys are indexed in memory first
 * and merged to disk in sorted runs (key-index.ts), so a batch writes no index page for its own rows; a
 * merge is due every keyMergeKeysMax keys or 2 s and rides in the next batches' transactions, a slice each.
 */
export interface SqliteLedgerOptions {
  readonly path: string;
  readonly synchronous: "full" | "normal";
  readonly busyTimeoutMs: number;
  readonly holdTimeoutSeconds: number;
  /** ISO 4217 numeric currency of new accounts. */
  readonly currency: number;
  /** SEKISHO_PAN_KEY: 32 bytes as 64 hex characters. */
  readonly panKeyHex: string;
  readonly clock?: () => number;
  /** Source of approval codes' randomness; crypto-random when absent. */
  readonly randomBytes?: RandomBytes;
  readonly limitDefaults?: CardLimits;
  readonly checkpointTransactions?: number;
  /** Recent keys that start a merge into transaction_keys (KEY_MERGE_KEYS_MAX when absent). */
  readonly keyMergeKeysMax?: number;
  /** Keys of a merge one transaction writes at most (KEY_MERGE_SLICE_KEYS_MAX when absent). */
  readonly keyMergeSliceKeysMax?: number;
  /** Newest network records kept in memory (RECENT_RECORDS_MAX when absent; 0 keeps none). */
  readonly recentRecordsMax?: number;
  /** WAL pages after which a commit checkpoints (WAL_AUTOCHECKPOINT_PAGES when absent). */
  readonly walAutocheckpointPages?: number;
  /** Events are written queued for webhook delivery (true when absent); else only kept for listEvents. */
  readonly queueEvents?: boolean;
}

/** Where the key index stands, and what its merges have cost since the ledger opened. */
export interface KeyIndexStats {
  /** Keys in memory, not yet merged into transaction_keys (those of a merge under way included). */
  readonly recentKeys: number;
  /** Keys of the merge under way not yet written; 0 when none is under way. */
  readonly stagedKeysLeft: number;
  /** Every keyed transaction up to this sequence is in transaction_keys. */
  readonly mergedThroughSeq: number;
  /** Merges completed, and the keys written by all slices. */
  readonly merges: number;
  readonly mergedKeys: number;
  /** Time spent merging (staging and writing slices, inside transactions whose commits are shared): total, longest slice. */
  readonly mergeMsTotal: number;
  readonly mergeMsMax: number;
}

/** Largest batch one call may carry (the engine's batchSizeMax is at most 4096). */
export const BATCH_REQUESTS_MAX = 4096;

const cryptoRandomBytes: RandomBytes = (buffer) => {
  crypto.getRandomValues(buffer);
};

export async function openSqliteLedger(options: SqliteLedgerOptions): Promise<SqliteLedger> {
  const vault = await createPanVault(options.panKeyHex);
  const db = openDatabase(options);
  try {
    const stored = metaValue(db, META.panKeyCheck);
    if (stored === null) setMeta(db, META.panKeyCheck, vault.keyCheck);
    else if (stored !== vault.keyCheck) throw new LedgerError("unavailable", "SEKISHO_PAN_KEY is not the key this ledger was created with");
    const limitDefaults = options.limitDefaults ?? DEFAULT_CARD_LIMITS;
    const clock = options.clock ?? Date.now;
    const ctx: SqliteContext = {
      db,
      state: loadState(db, limitDefaults, clock(), options.recentRecordsMax),
      writer: new SqliteTransactionWriter(db, () => ctx.state, { queueEvents: options.queueEvents ?? true }),
      vault,
      clock,
      currency: options.currency,
      limitDefaults,
      holdTimeoutMs: options.holdTimeoutSeconds * 1000,
    };
    return new SqliteLedger(ctx, options);
  } catch (error) {
    db.close(true);
    throw error;
  }
}

export class SqliteLedger implements Ledger {
  private readonly authorizer: Authorizer;
  private readonly begin: Statement;
  private readonly commit: Statement;
  private readonly rollback: Statement;
  private readonly checkpointTransactions: number;
  private readonly keyMergeKeysMax: number;
  private readonly keyMerger: KeyMerger;
  private readonly merges = { count: 0, keys: 0, msTotal: 0, msMax: 0 };
  private closed = false;
  private broken: unknown = null;

  constructor(
    private readonly ctx: SqliteContext,
    options: SqliteLedgerOptions,
  ) {
    const db: Database = ctx.db;
    this.begin = db.prepare("BEGIN IMMEDIATE");
    this.commit = db.prepare("COMMIT");
    this.rollback = db.prepare("ROLLBACK");
    this.checkpointTransactions = options.checkpointTransactions ?? CHECKPOINT_TRANSACTIONS_DEFAULT;
    this.keyMergeKeysMax = options.keyMergeKeysMax ?? KEY_MERGE_KEYS_MAX;
    if (!(Number.isInteger(this.keyMergeKeysMax) && this.keyMergeKeysMax >= 1)) throw new AssertionFailure("keyMergeKeysMax must be a positive integer");
    this.keyMerger = new KeyMerger(db, options.keyMergeSliceKeysMax ?? KEY_MERGE_SLICE_KEYS_MAX);
    this.authorizer = new Authorizer({
      state: () => ctx.state,
      reader: new RecordReader(db, () => ctx.state),
      writer: ctx.writer,
      panIndexInto: (pan, out) => ctx.vault.indexInto(pan, out),
      approvalCodes: approvalCodeSource(options.randomBytes ?? cryptoRandomBytes),
    });
  }

  async authorizeBatch(requests: readonly AuthorizationRequest[]): Promise<AuthorizationDecision[]> {
    if (requests.length > BATCH_REQUESTS_MAX) throw new LedgerError("invalid_input", `a batch carries at most ${BATCH_REQUESTS_MAX} requests`);
    if (requests.length === 0) return [];
    const nowMs = this.ctx.clock();
    // A key merge's next slice, when one is due or under way, rides in the batch's transaction, ahead of
    // the batch: one commit for both.
    const mergeDue = this.ctx.state.recentKeys.mergeDue(nowMs, this.keyMergeKeysMax);
    const decisions = this.write(
      () => {
        // Twice the batch's own keys at least: the merges keep up with any batch size.
        if (mergeDue) this.mergeKeys({ keysAtLeast: 2 * requests.length });
        return this.authorizer.run(requests, nowMs);
      },
      { rebuildOnAnyFailure: true },
    );
    this.checkpointIfDue();
    return decisions;
  }

  async createUser(input: { externalId?: string | null; name?: string | null; currency?: number }) {
    return this.write(() => cardholders.createUser(this.ctx, input));
  }

  async getUser(userId: string) {
    this.assertUsable();
    const found = cardholders.findUser(this.ctx, userId);
    return found === null ? null : { user: userOf(found.row), balances: balancesOf(found.account) };
  }

  async listUsers(page: { limit: number; cursor?: string | null; externalId?: string | null }) {
    this.assertUsable();
    return lists.listUsers(this.ctx, page);
  }

  async listCards(userId: string, page: { limit: number; cursor?: string | null }) {
    this.assertUsable();
    return lists.listCards(this.ctx, userId, page);
  }

  async issueCard(userId: string, input: { pan: string; expiry: string; limits?: Partial<CardLimits> }): Promise<Card> {
    this.assertUsable();
    const limits = checkNewCard(input);
    const sealed = await this.ctx.vault.seal(input.pan);
    // After the await: the user or the PAN may have changed meanwhile; issueCard checks both inside the transaction.
    const pan = sealPan(input.pan, this.ctx.vault.index(input.pan), sealed);
    return this.write(() => cardholders.issueCard(this.ctx, userId, { expiry: input.expiry, limits }, pan));
  }

  async getCard(cardId: string): Promise<Card | null> {
    this.assertUsable();
    const card = this.ctx.state.cardsById.get(cardId);
    return card === undefined ? null : cardOf(card, cardholders.userIdOf(this.ctx, card.userSeq));
  }

  async updateCard(cardId: string, patch: { status?: CardStatus; limits?: Partial<CardLimits> }): Promise<Card> {
    return this.write(() => cardholders.updateCard(this.ctx, cardId, patch));
  }

  async topUp(userId: string, input: { amount: number; currency?: number; idempotencyKey: string; fingerprint: string }) {
    const result = this.write(() => topUp(this.ctx, userId, input));
    this.checkpointIfDue();
    return result;
  }

  async listTransactions(userId: string, page: { limit: number; cursor?: string | null }) {
    this.assertUsable();
    return listTransactions(this.ctx, userId, page);
  }

  async claimOutbox(input: { limit: number; leaseMs: number; owner: string; nowMs: number }): Promise<OutboxEvent[]> {
    return this.write(() => outbox.claimOutbox(this.ctx, input));
  }

  async completeOutbox(eventId: string, owner: string): Promise<void> {
    this.write(() => outbox.completeOutbox(this.ctx, eventId, owner));
  }

  async retryOutbox(eventId: string, owner: string, nextAttemptAtMs: number, error: string): Promise<void> {
    this.write(() => outbox.retryOutbox(this.ctx, eventId, owner, nextAttemptAtMs, error));
  }

  async outboxBacklog(): Promise<number> {
    this.assertUsable();
    return outbox.outboxBacklog(this.ctx);
  }

  async listEvents(page: { limit: number; cursor?: string | null }) {
    this.assertUsable();
    return outbox.listEvents(this.ctx, page);
  }

  /** One short transaction of its own: the caller paces the steps, so batches run between them. */
  async pruneEvents(input: { createdBeforeMs: number; nowMs: number; rowsMax: number }) {
    return this.write(() => outbox.pruneEvents(this.ctx, input));
  }

  async expireHolds(nowMs: number): Promise<number> {
    let expired = 0;
    for (;;) {
      const chunk = this.write(() => expireHoldsChunk(this.ctx, nowMs));
      expired += chunk.expired;
      if (!chunk.more) break;
    }
    this.write(() => forgetEarlyReversals(this.ctx, nowMs));
    this.checkpointIfDue();
    this.mergeKeysIfDue();
    return expired;
  }

  keyIndexStats(): KeyIndexStats {
    const recent = this.ctx.state.recentKeys;
    const merges = this.merges;
    return {
      recentKeys: recent.size,
      stagedKeysLeft: recent.stagedLeft,
      mergedThroughSeq: recent.mergedThroughSeq,
      merges: merges.count,
      mergedKeys: merges.keys,
      mergeMsTotal: merges.msTotal,
      mergeMsMax: merges.msMax,
    };
  }

  /** How many of the newest network records are in memory, and the bound. */
  recentRecordStats(): { records: number; recordsMax: number } {
    const recent = this.ctx.state.recentRecords;
    return { records: recent.size, recordsMax: recent.recordsMax };
  }

  async checkConsistency(): Promise<ConsistencyReport> {
    this.assertUsable();
    return checkConsistency(this.ctx);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.broken === null) this.write(() => writeCheckpoint(this.ctx));
    this.closed = true;
    this.ctx.db.close(true);
  }

  private assertUsable(): void {
    if (this.closed) throw new LedgerError("unavailable", "the ledger is closed");
    if (this.broken instanceof AssertionFailure) throw new LedgerError("unavailable", "the ledger stopped at a broken invariant", { cause: this.broken });
    if (this.broken !== null) throw new LedgerError("unavailable", "the ledger could not rebuild its state after a failure", { cause: this.broken });
  }

  /**
   * One synchronous transaction. In the API operations a LedgerError is an expected refusal raised before
   * anything in memory changed: roll back and pass it on. Anything else — and any failure of a batch, whose
   * earlier requests changed memory already — may have left the memory ahead of the disk: roll back and
   * rebuild the state from the file. A broken invariant (AssertionFailure) is not an operating error:
   * roll back — nothing of the transaction reaches the file — rebuild nothing, refuse all later work
   * (`broken`; close() writes no checkpoint either) and pass it on, for the process to stop.
   */
  private write<T>(body: () => T, options: { rebuildOnAnyFailure?: boolean } = {}): T {
    this.assertUsable();
    this.begin.run();
    try {
      const result = body();
      this.ctx.writer.flush(this.ctx.clock());
      this.commit.run();
      return result;
    } catch (error) {
      if (this.ctx.db.inTransaction) this.rollback.run();
      this.ctx.writer.discard();
      if (error instanceof AssertionFailure) this.broken = error;
      else if (options.rebuildOnAnyFailure || !(error instanceof LedgerError)) this.rebuild();
      throw error;
    }
  }

  private rebuild(): void {
    try {
      // The context owns the state: the writer, the record reader and the Authorizer read it from there.
      this.ctx.state = loadState(this.ctx.db, this.ctx.limitDefaults, this.ctx.clock(), this.ctx.state.recentRecords.recordsMax);
    } catch (error) {
      this.broken = error;
      rethrowAssertionFailure(error);
    }
  }

  /** A merge due or under way when no batch comes (expiry work): all of it, in a transaction of its own. */
  private mergeKeysIfDue(): void {
    if (this.ctx.state.recentKeys.mergeDue(this.ctx.clock(), this.keyMergeKeysMax)) this.write(() => this.mergeKeys({ wholeRun: true }));
  }

  /** Inside the caller's transaction. */
  private mergeKeys(options: { wholeRun?: boolean; keysAtLeast?: number } = {}): void {
    const startNs = Bun.nanoseconds();
    const { keys, completed } = this.keyMerger.step(this.ctx, options);
    const ms = (Bun.nanoseconds() - startNs) / 1e6;
    const merges = this.merges;
    if (completed) merges.count += 1;
    merges.keys += keys;
    merges.msTotal += ms;
    merges.msMax = Math.max(merges.msMax, ms);
  }

  private checkpointIfDue(): void {
    const state = this.ctx.state;
    if (state.nextTxnSeq - 1 - state.checkpointSeq >= this.checkpointTransactions) this.write(() => writeCheckpoint(this.ctx));
  }
}
