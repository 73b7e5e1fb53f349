import type { OutboxEvent } from "../ledger.ts";
import { addMinor, assertMinor } from "../money.ts";
import type { HoldState, TransactionRow } from "./records.ts";
import type { AccountState, EarlyReversal, LedgerState } from "./state.ts";
import { AssertionFailure } from "../../ops/assert.ts";

/**
 * The changes of one ledger transaction. Each primitive updates the state at once (so later requests of a
 * batch see it) and hands the row writes to the storage behind it, which queues them until its flush.
 * Every money movement passes through here, which is where it is asserted: posted entries balance to
 * zero, holds never go negative, balances stay integers. Both ledgers extend this class, so what a hold,
 * a release or a posting does to the state is written once.
 */
export type EventType = OutboxEvent["type"];

export abstract class EffectWriter<State extends LedgerState = LedgerState> {
  /**
   * `currentState` names the state's owner, read at each use and never kept: the SQLite context (whose
   * state a rebuild replaces) or the PostgreSQL transaction under way.
   */
  constructor(private readonly currentState: () => State) {}

  protected get state(): State {
    return this.currentState();
  }

  nextTransactionSeq(): number {
    return this.state.nextTxnSeq++;
  }

  /** A new row; it joins its account's history. */
  addTransaction(row: TransactionRow): void {
    if (row.accountSeq !== null) row.prevSeq = this.state.chain(this.state.accounts.get(row.accountSeq)!, row.seq);
    this.queueRow(row);
  }

  /** The row's transaction holds `amount` on the account, from the row's time until released or expired. */
  placeHold(row: TransactionRow, account: AccountState, amount: number): void {
    if (!(amount > 0) || row.holdState !== null) throw new AssertionFailure("a hold is placed once, for a positive amount");
    account.held = addMinor(account.held, assertMinor(amount, "hold"), "held");
    row.holdAmount = amount;
    row.holdState = "pending";
    this.heldChanged(account);
  }

  /**
   * Changes a pending hold's amount (an advice may raise it; a reversal lowers it). At zero the hold is
   * resolved as `finalState`. Returns the amount released (negative when raised).
   */
  changeHold(row: TransactionRow, amount: number, finalState: Exclude<HoldState, "pending">, nowMs: number): number {
    if (row.holdState !== "pending") throw new AssertionFailure("only a pending hold changes");
    if (!(assertMinor(amount, "hold") >= 0)) throw new AssertionFailure("a hold cannot go negative");
    const released = row.holdAmount! - amount;
    this.release(row, released);
    row.holdAmount = amount;
    if (amount === 0) {
      row.holdState = finalState;
      row.holdResolvedAtMs = nowMs;
    }
    this.changed(row);
    return released;
  }

  /** Resolves a pending hold whole (expiry); its amount stays as the record of what was released. */
  resolveHold(row: TransactionRow, finalState: Exclude<HoldState, "pending">, nowMs: number): number {
    if (row.holdState !== "pending") throw new AssertionFailure("only a pending hold is resolved");
    const released = row.holdAmount!;
    this.release(row, released);
    row.holdState = finalState;
    row.holdResolvedAtMs = nowMs;
    this.changed(row);
    return released;
  }

  private release(row: TransactionRow, amount: number): void {
    const account = this.state.accounts.get(row.accountSeq!)!;
    account.held = addMinor(account.held, -amount, "held");
    if (account.held < 0) throw new AssertionFailure("held amount below zero");
    this.heldChanged(account);
  }

  /** A posted journal entry: its lines must sum to zero. */
  post(txnSeq: number, lines: ReadonlyArray<readonly [AccountState, number]>): void {
    let sum = 0;
    for (const [account, amount] of lines) {
      assertMinor(amount, "journal line");
      sum += amount;
      account.ledger = addMinor(account.ledger, amount, "ledger balance");
      this.queueLine(txnSeq, account, amount);
    }
    if (sum !== 0) throw new AssertionFailure(`journal entry ${txnSeq} does not balance (${sum})`);
  }

  /** A row's status, reversed amount or hold changed: written back unless the row is new anyway. */
  changed(row: TransactionRow): void {
    this.queueChanged(row);
  }

  rememberEarlyReversal(originalKey: string, entry: EarlyReversal): void {
    this.state.earlyReversals.set(originalKey, entry);
    this.queueEarlyReversal(originalKey, entry);
  }

  /** An outbox event, written in the same transaction as the change behind it. */
  abstract event(type: EventType, accountSeq: number, txnSeq: number | null, data: Record<string, unknown> | null, nowMs: number): void;

  protected abstract queueRow(row: TransactionRow): void;
  protected abstract queueChanged(row: TransactionRow): void;
  protected abstract queueLine(txnSeq: number, account: AccountState, amount: number): void;
  protected abstract queueEarlyReversal(originalKey: string, entry: EarlyReversal): void;
  /** The account's held amount changed (a storage that keeps it per account writes it back). */
  protected abstract heldChanged(account: AccountState): void;
}
