import type { ReservedSQL } from "bun";
import { EffectWriter, type EventType } from "../decision/effect-writer.ts";
import { TRANSACTION_COLUMNS, type TransactionRow } from "../decision/records.ts";
import type { AccountState, EarlyReversal, LedgerState } from "../decision/state.ts";
import { SEQUENCE_BLOCK, TRANSACTION_COLUMN_TYPES } from "./schema.ts";
import { AssertionFailure } from "../../ops/assert.ts";

/**
 * Writes what one PostgreSQL transaction changed (see EffectWriter for what the changes do to the state):
 * new transaction rows and their changes, journal lines, outbox events, early reversals, and the touched
 * accounts and cards. Gathered column by column and written with one set-based statement per table:
 * arrays bound as parameters and spread into rows by unnest(), so a batch of any size is the same few
 * prepared statements. Every cardholder account the transaction touched gets its balance, held amount and
 * history head written back (it holds their locks); the system accounts' balances are not stored
 * (schema.ts).
 */
const TRANSACTION_INSERT =
  `INSERT INTO transactions (${TRANSACTION_COLUMNS.map(([column]) => column).join(", ")}) SELECT * FROM unnest(` +
  TRANSACTION_COLUMNS.map(([column], i) => `$${i + 1}::${TRANSACTION_COLUMN_TYPES[column]}[]`).join(", ") +
  ")";
const OUTBOX_INSERT =
  "INSERT INTO outbox (seq, type, account_seq, txn_seq, data, created_at_ms, ledger_balance_minor, available_balance_minor, queued) " +
  "SELECT *, $9::boolean FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[])";
const LINE_INSERT = "INSERT INTO journal_lines (txn_seq, account_seq, amount_minor) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[])";
const ACCOUNT_UPDATE =
  "UPDATE accounts AS a SET ledger_balance_minor = u.ledger, held_minor = u.held, history_head_seq = u.head " +
  "FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[]) AS u (seq, ledger, held, head) WHERE a.seq = u.seq";
const CARD_USAGE_UPDATE =
  "UPDATE cards AS c SET usage_day = u.day, usage_amount_minor = u.amount, usage_count = u.count " +
  "FROM unnest($1::bigint[], $2::integer[], $3::bigint[], $4::integer[]) AS u (seq, day, amount, count) WHERE c.seq = u.seq";
const TRANSACTION_UPDATE =
  "UPDATE transactions AS t SET status = u.status, reversed_amount_minor = u.reversed, hold_amount_minor = u.hold_amount, " +
  "hold_state = u.hold_state, hold_resolved_at_ms = u.resolved " +
  "FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::bigint[]) " +
  "AS u (seq, status, reversed, hold_amount, hold_state, resolved) WHERE t.seq = u.seq";
const EARLY_REVERSAL_UPSERT =
  "INSERT INTO early_reversals (original_key, remaining_minor, reversal_seq, created_at_ms) " +
  "SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[]) " +
  "ON CONFLICT (original_key) DO UPDATE SET remaining_minor = LEAST(early_reversals.remaining_minor, excluded.remaining_minor)";

type EventColumns = [number[], string[], number[], Array<number | null>, Array<string | null>, number[], Array<number | null>, Array<number | null>];

function emptyEventColumns(): EventColumns {
  return [[], [], [], [], [], [], [], []];
}

export class PostgresTransactionWriter extends EffectWriter {
  /** Events are written queued for webhook delivery, or only kept (no webhook configured). */
  private readonly queueEvents: boolean;
  private txnBlockEnd = 0;
  private nextOutboxSeq = 0;
  private outboxBlockEnd = 0;
  private readonly newRows: TransactionRow[] = [];
  private readonly changedRows = new Set<TransactionRow>();
  private readonly touched = new Set<AccountState>();
  // Fresh arrays per transaction: Bun reads a parameter when it sends the statement, not when it is made.
  private lines: [number[], number[], number[]] = [[], [], []];
  private events: EventColumns = emptyEventColumns();
  private readonly earlyReversals = new Map<string, EarlyReversal>();

  /** `state` reads the state of the transaction under way from its owner (a batch's worker, a top-up, an expiry chunk). */
  constructor(state: () => LedgerState, options: { queueEvents: boolean }) {
    super(state);
    this.queueEvents = options.queueEvents;
  }

  /**
   * Starts a transaction's changes (the writer is reused, one transaction at a time), once its state is in
   * place: the state's `nextTxnSeq` is the start of its block of row sequences, `outboxBlockStart` that of
   * its events.
   */
  begin(outboxBlockStart: number): void {
    this.txnBlockEnd = this.state.nextTxnSeq + SEQUENCE_BLOCK;
    this.nextOutboxSeq = outboxBlockStart;
    this.outboxBlockEnd = outboxBlockStart + SEQUENCE_BLOCK;
    this.newRows.length = 0;
    this.changedRows.clear();
    this.touched.clear();
    this.lines = [[], [], []];
    this.events = emptyEventColumns();
    this.earlyReversals.clear();
  }

  override nextTransactionSeq(): number {
    const seq = super.nextTransactionSeq();
    if (seq >= this.txnBlockEnd) throw new AssertionFailure(`more than ${SEQUENCE_BLOCK} rows in one transaction`);
    return seq;
  }

  event(type: EventType, accountSeq: number, txnSeq: number | null, data: Record<string, unknown> | null, nowMs: number): void {
    if (this.nextOutboxSeq >= this.outboxBlockEnd) throw new AssertionFailure(`more than ${SEQUENCE_BLOCK} events in one transaction`);
    const [seqs, types, accounts, txns, datas, times, ledgers, availables] = this.events;
    // The account's balances as this change left them (the state is already changed).
    const account = this.state.accounts.get(accountSeq);
    seqs.push(this.nextOutboxSeq++);
    types.push(type);
    accounts.push(accountSeq);
    txns.push(txnSeq);
    datas.push(data === null ? null : JSON.stringify(data));
    times.push(nowMs);
    ledgers.push(account === undefined ? null : account.ledger);
    availables.push(account === undefined ? null : account.ledger - account.held);
  }

  protected queueRow(row: TransactionRow): void {
    this.newRows.push(row);
    if (row.accountSeq !== null) this.touched.add(this.state.accounts.get(row.accountSeq)!);
  }

  protected queueChanged(row: TransactionRow): void {
    this.changedRows.add(row);
  }

  protected queueLine(txnSeq: number, account: AccountState, amount: number): void {
    this.lines[0].push(txnSeq);
    this.lines[1].push(account.seq);
    this.lines[2].push(amount);
    this.touched.add(account);
  }

  protected queueEarlyReversal(originalKey: string, entry: EarlyReversal): void {
    this.earlyReversals.set(originalKey, entry);
  }

  protected heldChanged(account: AccountState): void {
    this.touched.add(account);
  }

  /** Every write of the transaction, as statements to send together (in this order) before COMMIT. */
  statements(sql: ReservedSQL): Array<PromiseLike<unknown>> {
    const statements: Array<PromiseLike<unknown>> = [];
    if (this.newRows.length > 0) statements.push(sql.unsafe(TRANSACTION_INSERT, this.transactionColumns()));
    if (this.events[0].length > 0) statements.push(sql.unsafe(OUTBOX_INSERT, [...this.events, this.queueEvents]));
    if (this.lines[0].length > 0) statements.push(sql.unsafe(LINE_INSERT, this.lines));
    const accounts = [...this.touched].filter((account) => account.kind === "cardholder");
    if (accounts.length > 0) {
      statements.push(
        sql.unsafe(ACCOUNT_UPDATE, [accounts.map((a) => a.seq), accounts.map((a) => a.ledger), accounts.map((a) => a.held), accounts.map((a) => a.head)]),
      );
    }
    const cards = [...this.state.dirtyCards];
    if (cards.length > 0) {
      statements.push(sql.unsafe(CARD_USAGE_UPDATE, [cards.map((c) => c.seq), cards.map((c) => c.usageDay), cards.map((c) => c.usageAmount), cards.map((c) => c.usageCount)]));
    }
    for (const row of this.newRows) this.changedRows.delete(row);
    if (this.changedRows.size > 0) {
      const rows = [...this.changedRows];
      statements.push(
        sql.unsafe(TRANSACTION_UPDATE, [
          rows.map((r) => r.seq),
          rows.map((r) => r.status),
          rows.map((r) => r.reversedAmount),
          rows.map((r) => r.holdAmount),
          rows.map((r) => r.holdState),
          rows.map((r) => r.holdResolvedAtMs),
        ]),
      );
    }
    if (this.earlyReversals.size > 0) {
      const entries = [...this.earlyReversals].sort(([a], [b]) => compareKeys(a, b)); // one lock order, as above
      statements.push(
        sql.unsafe(EARLY_REVERSAL_UPSERT, [
          entries.map(([key]) => key),
          entries.map(([, e]) => e.remaining),
          entries.map(([, e]) => e.reversalSeq),
          entries.map(([, e]) => e.createdAtMs),
        ]),
      );
    }
    return statements;
  }

  /**
   * Rows in insert order. A row without an account (no such card) takes no lock but its key's entry in the
   * unique index: those go last, sorted by key, so that two instances inserting the same keys wait for
   * each other in one order and never in a cycle. Rows with an account are guarded by its lock already.
   */
  private transactionColumns(): unknown[][] {
    const rows = this.newRows.filter((row) => row.accountSeq !== null);
    const unlocked = this.newRows.filter((row) => row.accountSeq === null);
    if (unlocked.length > 0) rows.push(...unlocked.sort((a, b) => compareKeys(a.key, b.key)));
    const columns = TRANSACTION_COLUMNS.map(() => new Array<unknown>(rows.length));
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      for (let c = 0; c < TRANSACTION_COLUMNS.length; c++) columns[c]![r] = row[TRANSACTION_COLUMNS[c]![1]];
    }
    return columns;
  }
}

function compareKeys(a: string | null, b: string | null): number {
  const x = a ?? "";
  const y = b ?? "";
  return x < y ? -1 : x > y ? 1 : 0;
}
