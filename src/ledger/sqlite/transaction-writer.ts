import type { Database, Statement } from "bun:sqlite";
import { EffectWriter, type EventType } from "../decision/effect-writer.ts";
import { TRANSACTION_COLUMNS, type NetworkRecord, type TransactionRow } from "../decision/records.ts";
import type { AccountState, EarlyReversal } from "../decision/state.ts";
import { BulkInsert } from "./bulk-insert.ts";
import type { SqliteLedgerState } from "./state.ts";

/**
 * Writes what one SQLite transaction changed (see EffectWriter for what the changes do to the state): new
 * transaction rows, their later changes (transaction_changes), journal lines, outbox events, accounts'
 * posted balances and early reversals. Rows are queued as they come and flush() writes them all, inside
 * the transaction the caller opened — a batch, a top-up, a card change or a chunk of hold expiry. Held
 * amounts are not stored per account: start-up sums the pending holds. The new rows' keys join the recent
 * keys (key-index.ts) as they are written.
 */
export class SqliteTransactionWriter extends EffectWriter<SqliteLedgerState> {
  private readonly transactionInsert: BulkInsert;
  private readonly lineInsert: BulkInsert;
  private readonly outboxInsert: BulkInsert;
  private readonly recordChange: Statement;
  private readonly updateLedgerBalance: Statement;
  private readonly upsertEarlyReversal: Statement;
  private readonly transactionFields = TRANSACTION_COLUMNS.map(([, field]) => field);
  private newRows: TransactionRow[] = [];
  private readonly changedRows = new Set<TransactionRow>();
  private readonly postedAccounts = new Set<AccountState>();
  private readonly earlyReversals = new Map<string, EarlyReversal>();

  /** 1 when events are written queued for webhook delivery, 0 when only kept (no webhook configured). */
  private readonly queued: 0 | 1;

  /** `state` reads the SQLite ledger's state from its owner, the context (a rebuild replaces it there). */
  constructor(db: Database, state: () => SqliteLedgerState, options: { queueEvents: boolean }) {
    super(state);
    this.queued = options.queueEvents ? 1 : 0;
    this.transactionInsert = new BulkInsert(db, "transactions", TRANSACTION_COLUMNS.map(([column]) => column));
    this.lineInsert = new BulkInsert(db, "journal_lines", ["seq", "txn_seq", "account_seq", "amount_minor"]);
    this.outboxInsert = new BulkInsert(db, "outbox", [
      "seq", "type", "account_seq", "txn_seq", "data", "created_at_ms", "queued", "ledger_balance_minor", "available_balance_minor",
    ]);
    // A changed transaction's new state is a row of its own (schema 3): the transaction's page stays as it is.
    this.recordChange = db.prepare(
      "INSERT INTO transaction_changes (status, reversed_amount_minor, hold_amount_minor, hold_state, hold_resolved_at_ms, seq) VALUES (?, ?, ?, ?, ?, ?) " +
        "ON CONFLICT (seq) DO UPDATE SET status = excluded.status, reversed_amount_minor = excluded.reversed_amount_minor, " +
        "hold_amount_minor = excluded.hold_amount_minor, hold_state = excluded.hold_state, hold_resolved_at_ms = excluded.hold_resolved_at_ms",
    );
    this.updateLedgerBalance = db.prepare("UPDATE accounts SET ledger_balance_minor = ? WHERE seq = ?");
    this.upsertEarlyReversal = db.prepare(
      "INSERT INTO early_reversals (original_key, remaining_minor, reversal_seq, created_at_ms) VALUES (?, ?, ?, ?) " +
        "ON CONFLICT (original_key) DO UPDATE SET remaining_minor = excluded.remaining_minor",
    );
  }

  /** Transaction rows queued and not yet written. */
  get queuedRows(): number {
    return this.newRows.length;
  }

  /** The event keeps the account's balances as this change left them (the state is already changed). */
  event(type: EventType, accountSeq: number, txnSeq: number | null, data: Record<string, unknown> | null, nowMs: number): void {
    const account = this.state.accounts.get(accountSeq);
    this.outboxInsert.push(
      this.state.nextOutboxSeq++, type, accountSeq, txnSeq, data === null ? null : JSON.stringify(data), nowMs, this.queued,
      account === undefined ? null : account.ledger, account === undefined ? null : account.ledger - account.held,
    );
  }

  protected queueRow(row: TransactionRow): void {
    this.newRows.push(row);
  }

  protected queueChanged(row: TransactionRow): void {
    this.changedRows.add(row);
  }

  protected queueLine(txnSeq: number, account: AccountState, amount: number): void {
    this.postedAccounts.add(account);
    this.lineInsert.push(this.state.nextLineSeq++, txnSeq, account.seq, amount);
  }

  protected queueEarlyReversal(originalKey: string, entry: EarlyReversal): void {
    this.earlyReversals.set(originalKey, entry);
  }

  protected heldChanged(_account: AccountState): void {}

  /**
   * Writes everything queued; new network rows join the recent keys and the recent records (both rebuilt
   * from disk if the commit fails).
   */
  flush(nowMs: number): void {
    const { recentKeys, recentRecords } = this.state;
    for (const row of this.newRows) {
      this.changedRows.delete(row);
      this.transactionInsert.pushFields(row, this.transactionFields);
      if (row.key !== null) {
        recentKeys.add(row.key, row.seq, nowMs);
        // A keyed row is a network record, made by the Authorizer; it is stored once this commits.
        const record = row as NetworkRecord;
        record.stored = true;
        recentRecords.add(record);
      }
    }
    this.transactionInsert.flush();
    this.lineInsert.flush();
    this.outboxInsert.flush();
    for (const row of this.changedRows) {
      this.recordChange.run(row.status, row.reversedAmount, row.holdAmount, row.holdState, row.holdResolvedAtMs, row.seq);
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
