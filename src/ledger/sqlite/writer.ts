import type { Database, Statement } from "bun:sqlite";
import type { OutboxEvent } from "../ledger.ts";
import { addMinor, assertMinor } from "../money.ts";
import { BulkInsert } from "./bulk-insert.ts";
import { HOLD_COLUMNS, TRANSACTION_COLUMNS, rowValues, type HoldRow, type HoldState, type NetworkRecord, type TransactionRow } from "./records.ts";
import type { AccountState, EarlyReversal, LedgerState } from "./state.ts";

/**
 * The changes of one SQLite transaction: each primitive updates the in-memory state at once (so later
 * requests of a batch see it) and queues the row writes; flush() writes them all, inside the transaction
 * the caller opened. Every money movement passes through here, which is where it is asserted:
 * posted entries balance to zero, hold amounts stay within what was first held, balances stay integers.
 */
export type EventType = OutboxEvent["type"];

export class Writer {
  private readonly transactionInsert: BulkInsert;
  private readonly holdInsert: BulkInsert;
  private readonly lineInsert: BulkInsert;
  private readonly outboxInsert: BulkInsert;
  private readonly updateHold: Statement;
  private readonly updateTransaction: Statement;
  private readonly updateLedgerBalance: Statement;
  private readonly upsertEarlyReversal: Statement;
  private newRows: TransactionRow[] = [];
  private newHolds: HoldRow[] = [];
  private readonly changedRows = new Set<NetworkRecord>();
  private readonly changedHolds = new Set<HoldRow>();
  private readonly postedAccounts = new Set<AccountState>();
  private readonly earlyReversals = new Map<string, EarlyReversal>();

  constructor(
    db: Database,
    private state: LedgerState,
  ) {
    this.transactionInsert = new BulkInsert(db, "transactions", TRANSACTION_COLUMNS.map(([column]) => column));
    this.holdInsert = new BulkInsert(db, "holds", HOLD_COLUMNS.map(([column]) => column));
    this.lineInsert = new BulkInsert(db, "journal_lines", ["seq", "txn_seq", "account_seq", "amount_minor"]);
    this.outboxInsert = new BulkInsert(db, "outbox", ["seq", "type", "account_seq", "txn_seq", "data", "created_at_ms"]);
    this.updateHold = db.prepare("UPDATE holds SET amount_minor = ?, state = ?, resolved_at_ms = ? WHERE seq = ?");
    this.updateTransaction = db.prepare("UPDATE transactions SET status = ?, reversed_amount_minor = ? WHERE seq = ?");
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

  nextTransactionSeq(): number {
    return this.state.nextTxnSeq++;
  }

  /** A new row; it joins its account's history. */
  addTransaction(row: TransactionRow): void {
    if (row.accountSeq !== null) row.prevSeq = this.state.chain(this.state.accounts.get(row.accountSeq)!, row.seq);
    this.newRows.push(row);
  }

  placeHold(row: TransactionRow, account: AccountState, amount: number, nowMs: number, expiresAtMs: number): HoldRow {
    if (!(amount > 0)) throw new Error("assertion: a hold must be for a positive amount");
    const hold: HoldRow = {
      seq: this.state.nextHoldSeq++,
      txnSeq: row.seq,
      key: row.key!,
      accountSeq: account.seq,
      cardSeq: row.cardSeq,
      amount: assertMinor(amount, "hold"),
      originalAmount: amount,
      state: "pending",
      createdAtMs: nowMs,
      expiresAtMs,
      resolvedAtMs: null,
      stored: false,
    };
    account.held = addMinor(account.held, amount, "held");
    row.holdSeq = hold.seq;
    this.newHolds.push(hold);
    return hold;
  }

  /**
   * Changes a pending hold's amount (an advice may raise it; a reversal lowers it). At zero the hold is
   * resolved with `finalState`. Returns the amount released (negative when raised).
   */
  changeHold(hold: HoldRow, amount: number, finalState: Exclude<HoldState, "pending">, nowMs: number): number {
    if (hold.state !== "pending") throw new Error("assertion: only a pending hold changes");
    assertMinor(amount, "hold");
    if (amount < 0) throw new Error("assertion: a hold cannot go negative");
    const account = this.state.accounts.get(hold.accountSeq)!;
    const released = hold.amount - amount;
    account.held = addMinor(account.held, -released, "held");
    if (account.held < 0) throw new Error("assertion: held amount below zero");
    hold.amount = amount;
    if (amount === 0) {
      hold.state = finalState;
      hold.resolvedAtMs = nowMs;
    }
    if (hold.stored) this.changedHolds.add(hold);
    return released;
  }

  /** Resolves a pending hold whole (expiry), keeping its last amount as the record of what was released. */
  resolveHold(hold: HoldRow, finalState: Exclude<HoldState, "pending">, nowMs: number): number {
    if (hold.state !== "pending") throw new Error("assertion: only a pending hold is resolved");
    const account = this.state.accounts.get(hold.accountSeq)!;
    account.held = addMinor(account.held, -hold.amount, "held");
    if (account.held < 0) throw new Error("assertion: held amount below zero");
    hold.state = finalState;
    hold.resolvedAtMs = nowMs;
    if (hold.stored) this.changedHolds.add(hold);
    return hold.amount;
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

  /** A stored row's status or reversed amount changed. */
  touch(record: NetworkRecord): void {
    if (record.stored) this.changedRows.add(record);
  }

  event(type: EventType, accountSeq: number, txnSeq: number | null, data: Record<string, unknown> | null, nowMs: number): void {
    this.outboxInsert.push(this.state.nextOutboxSeq++, type, accountSeq, txnSeq, data === null ? null : JSON.stringify(data), nowMs);
  }

  rememberEarlyReversal(originalKey: string, entry: EarlyReversal): void {
    this.state.earlyReversals.set(originalKey, entry);
    this.earlyReversals.set(originalKey, entry);
  }

  flush(): void {
    for (const row of this.newRows) this.transactionInsert.push(...rowValues(row, TRANSACTION_COLUMNS));
    for (const hold of this.newHolds) this.holdInsert.push(...rowValues(hold, HOLD_COLUMNS));
    this.transactionInsert.flush();
    this.holdInsert.flush();
    this.lineInsert.flush();
    this.outboxInsert.flush();
    for (const hold of this.changedHolds) this.updateHold.run(hold.amount, hold.state, hold.resolvedAtMs, hold.seq);
    for (const row of this.changedRows) this.updateTransaction.run(row.status, row.reversedAmount, row.seq);
    for (const account of this.postedAccounts) this.updateLedgerBalance.run(account.ledger, account.seq);
    for (const [key, entry] of this.earlyReversals) this.upsertEarlyReversal.run(key, entry.remaining, entry.reversalSeq, entry.createdAtMs);
    this.reset();
  }

  /** Forgets everything queued (the transaction failed; the state is rebuilt from disk). */
  discard(): void {
    this.transactionInsert.discard();
    this.holdInsert.discard();
    this.lineInsert.discard();
    this.outboxInsert.discard();
    this.reset();
  }

  private reset(): void {
    this.newRows = [];
    this.newHolds = [];
    this.changedRows.clear();
    this.changedHolds.clear();
    this.postedAccounts.clear();
    this.earlyReversals.clear();
  }
}
