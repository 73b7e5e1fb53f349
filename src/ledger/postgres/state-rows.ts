import { cardFromRow, LedgerState, type AccountKind, type AccountState, type CardState } from "../decision/state.ts";
import type { CardLimits } from "../../domain/card-limits.ts";
import type { CardStatus } from "../../domain/card-status.ts";
import type { Directory } from "./directory.ts";
import { int, intOrNull } from "./rows.ts";

/**
 * A transaction's LedgerState, built from the rows it has just read: the accounts it locked, their cards,
 * the early reversals waiting under its keys, and the program's system accounts. The system accounts'
 * balance is not stored (schema.ts), so they enter with a ledger of 0: a transaction only adds to it.
 */
export const ACCOUNT_SELECT = "seq, id, kind, user_seq, currency, ledger_balance_minor, held_minor, history_head_seq";
export const CARD_SELECT =
  "seq, id, user_seq, account_seq, pan_index, pan_masked, last4, expiry, status, per_transaction_max_minor, " +
  "per_day_amount_max_minor, per_day_count_max, usage_day, usage_amount_minor, usage_count, created_at_ms, updated_at_ms";

export type Row = Record<string, unknown>;

export function accountStateOf(row: Row): AccountState {
  return {
    seq: int(row.seq),
    id: row.id as string,
    kind: row.kind as AccountKind,
    userSeq: intOrNull(row.user_seq),
    currency: int(row.currency),
    ledger: int(row.ledger_balance_minor),
    held: int(row.held_minor),
    head: intOrNull(row.history_head_seq),
    dirty: false,
  };
}

export function cardStateOf(row: Row, defaults: CardLimits): CardState {
  return cardFromRow(
    {
      seq: int(row.seq),
      id: row.id as string,
      user_seq: int(row.user_seq),
      account_seq: int(row.account_seq),
      pan_index: row.pan_index as string,
      pan_masked: row.pan_masked as string,
      last4: row.last4 as string,
      expiry: row.expiry as string,
      status: row.status as CardStatus,
      per_transaction_max_minor: intOrNull(row.per_transaction_max_minor),
      per_day_amount_max_minor: intOrNull(row.per_day_amount_max_minor),
      per_day_count_max: intOrNull(row.per_day_count_max),
      usage_day: int(row.usage_day),
      usage_amount_minor: int(row.usage_amount_minor),
      usage_count: int(row.usage_count),
      created_at_ms: int(row.created_at_ms),
      updated_at_ms: int(row.updated_at_ms),
    },
    defaults,
  );
}

export interface StateRows {
  readonly accounts: readonly Row[];
  readonly cards: readonly Row[];
  readonly earlyReversals: readonly Row[];
  /** First sequence of the block of transaction rows this transaction took. */
  readonly txnBlockStart: number;
  readonly limitDefaults: CardLimits;
}

export function stateOf(rows: StateRows, directory: Directory): LedgerState {
  const state = new LedgerState();
  for (const row of rows.accounts) state.addAccount(accountStateOf(row));
  for (const account of directory.allSystemAccounts()) {
    state.addAccount({ ...account, userSeq: null, ledger: 0, held: 0, head: null, dirty: false });
  }
  for (const row of rows.cards) state.addCard(cardStateOf(row, rows.limitDefaults));
  for (const row of rows.earlyReversals) {
    state.earlyReversals.set(row.original_key as string, {
      remaining: int(row.remaining_minor),
      reversalSeq: int(row.reversal_seq),
      createdAtMs: int(row.created_at_ms),
    });
  }
  state.nextTxnSeq = rows.txnBlockStart;
  return state;
}
