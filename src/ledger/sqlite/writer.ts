import type { Database, Statement } from "bun:sqlite";
import type { OutboxEvent } from "../ledger.ts";
import { addMinor, assertMinor } from "../money.ts";
import { BulkInsert } from "./bulk-insert.ts";
import { TRANSACTION_COLUMNS, type HoldState, type TransactionRow } from "./records.ts";
import type { AccountState, EarlyReversal, LedgerState } from "./state.ts";

/**
 * The changes of one SQLite transaction: each primitive updates the in-memory state at once (so later
 * requests of a batch see it) and queues the row writes; flush() writes them all, inside the transaction
 * the caller opened. Every money movement passes through here, which is where it is asserted:
 * posted entries balance to zero, holds never go negative, balances stay integers.
 */
export type EventType = OutboxEvent["type"];

export class Writer {
  private readonly transactionInsert: BulkInsert;
  private readonly lineInsert: BulkInsert;
  private readonly outboxInsert: BulkInsert;
  private readonly updateTransaction: Statement;
  private readonly updateLedgerBalance: Statement;
  private readonly upsertEarlyReversal: Statement;
  private readonly transactionFields = TRANSACTION_COLUMNS.map(([, field]) => field);
  private newRows: TransactionRow[] = [];
  private readonly changedRows = new Set<TransactionRow>();
  private readonly postedAccounts = new Set<AccountState>();
  private readonly earlyReversals = new Map<string, EarlyReversal>();

  constructor(
    db: Database,
    private state: LedgerState,
  ) {
    this.transactionInsert = new BulkInsert(db, "transactions", TRANSACTION_COLUMNS.map(([column]) => column));
    this.lineInsert = new BulkInsert(db, "journal_lines", ["seq", "txn_seq", "account_seq", "amount_minor"]);
    this.outboxInsert = new BulkInsert(db, "outbox", ["seq", "type", "account_seq", "txn_seq", "data", "created_at_ms"]);
    this.updateTransaction = db.prepare(
      "UPDATE transactions SET status = ?, reversed_amount_minor = ?, hold_amount_minor = ?, hold_state = ?, hold_resolved_at_ms = ? WHERE seq = ?",
    );
    this.updateLedgerBalance = db.prepare("UPDATE accounts SET ledger_balance_minor = ? WHERE seq = ?");
    this.upsertEarlyReversal = db.prepare(
      "INSERT INTO early_reversals (original_key, remaining_minor, reversal_seq, created_at_ms) VALUES (?, ?, ?, ?) " +
        "ON CONFLICT (original_key) DO UPDATE SET remaining_minor = excluded.remaining_minor",
    );
  }

  /** After a rebuild, the writer works on the new state. */
  useState(state: LedgerState): void {
    this.state = state;
  }

  /** Transaction rows queued and not yet written. */
  get queuedRows(): number {
    return this.newRows.length;
  }

  nextTransactionSeq(): number {
    return this.state.nextTxnSeq++;
  }

  /** A new row; it joins its account's history. */
  addTransaction(row: TransactionRow): void {
    if (row.accountSeq !== null) row.prevSeq = this.state.chain(this.state.accounts.get(row.accountSeq)!, row.seq);
    this.newRows.push(row);
  }

  /** The row's transaction holds `amount` on the account, from the row's time until released or expired. */
  placeHold(row: TransactionRow, account: AccountState, amount: number): void {
    if (!(amount > 0) || row.holdState !== null) throw new Error("assertion: a hold is placed once, for a positive amount");
    account.held = addMinor(account.held, assertMinor(amount, "hold"), "held");
    row.holdAmount = amount;
    row.holdState = "pending";
  }

  /**
   * Changes a pending hold's amount (an advice may raise it; a reversal lowers it). At zero the hold is
   * resolved as `finalState`. Returns the amount released (negative when raised).
   */
  changeHold(row: TransactionRow, amount: number, finalState: Exclude<HoldState, "pending">, nowMs: number): number {
    if (row.holdState !== "pending") throw new Error("assertion: only a pending hold changes");
    if (!(assertMinor(amount, "hold") >= 0)) throw new Error("assertion: a hold cannot go negative");
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
    if (row.holdState !== "pending") throw new Error("assertion: only a pending hold is resolved");
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
    if (account.held < 0) throw new Error("assertion: held amount below zero");
  }

  /** A posted journal entry: its lines must sum to zero. */
  post(txnSeq: number, lines: ReadonlyArray<readonly [AccountState, number]>): void {
    let sum = 0;
    for (const [account, amount] of lines) {
      assertMinor(amount, "journal line");
      sum += amount;
      account.ledger = addMinor(account.ledger, amount, "ledger balance");
      this.postedAccounts.add(account);
      this.lineInsert.push(this.state.nextLineSeq++, txnSeq, account.seq, amount);
    }
    if (sum !== 0) throw new Error(`assertion: journal entry ${txnSeq} does not balance (${sum})`);
  }

  /** A row's status, reversed amount or hold changed: written back unless the row is new anyway. */
  changed(row: TransactionRow): void {
    this.changedRows.add(row);
  }

  event(type: EventType, accountSeq: number, txnSeq: number | null, data: Record<string, unknown> | null, nowMs: number): void {
    this.outboxInsert.push(this.state.nextOutboxSeq++, type, accountSeq, txnSeq, data === null ? null : JSON.stringify(data), nowMs);
  }

  rememberEarlyReversal(originalKey: string, entry: EarlyReversal): void {
    this.state.earlyReversals.set(originalKey, entry);
    this.earlyReversals.set(originalKey, entry);
  }

  /** Writes everything queued; new rows' keys join the recent keys (rebuilt from disk if the commit fails). */
  flush(nowMs: number): void {
    const recentKeys = this.state.recentKeys;
    for (const row of this.newRows) {
      this.changedRows.delete(row);
      this.transactionInsert.pushFields(row, this.transactionFields);
      if (row.key !== null) recentKeys.add(row.key, row.seq, nowMs);
    }
    this.transactionInsert.flush();
    this.lineInsert.flush();
    this.outboxInsert.flush();
    for (const row of this.changedRows) {
      this.updateTransaction.run(row.status, row.reversedAmount, row.holdAmount, row.holdState, row.holdResolvedAtMs, row.seq);
    }
    for (const account of this.postedAccounts) this.updateLedgerBalance.run(account.ledger, account.seq);
    for (const [key, entry] of this.earlyReversals) this.upsertEarlyReversal.run(key, entry.remaining, entry.reversalSeq, entry.createdAtMs);
    this.reset();
  }

  /** Forgets everything queued (the transaction failed; the state is rebuilt from disk). */
  discard(): void {
    this.transactionInsert.discard();
    this.lineInsert.discard();
    this.outboxInsert.discard();
    this.reset();
  }

  private reset(): void {
    this.newRows = [];
    this.changedRows.clear();
    this.postedAccounts.clear();
    this.earlyReversals.clear();
  }
}
