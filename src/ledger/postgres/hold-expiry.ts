import { plainRow, type TransactionRow } from "../decision/records.ts";
import type { LedgerState } from "../decision/state.ts";
import type { PostgresContext } from "./context.ts";
import { int, TRANSACTION_SELECT, transactionRowOf } from "./rows.ts";
import { ACCOUNT_SELECT, stateOf, type Row } from "./state-rows.ts";
import { ensureSystemAccounts } from "./system-accounts.ts";
import { PostgresTransactionWriter } from "./transaction-writer.ts";
import { AssertionFailure } from "../../ops/assert.ts";

/**
 * Hold expiry (not to be confused with a card's expiry date, which the rules check), safe with every
 * instance sweeping at once: the pending holds older than the hold timeout are found through their index,
 * oldest first, a chunk at a time; each chunk is one transaction that locks the chunk's accounts (in
 * account order, as a batch does), reads the holds again under those locks, and expires those still
 * pending. A hold another instance expired, or a reversal released, meanwhile is no
 * longer pending and is left alone. Each expiry is a transaction row of its own (kind "expiry", in the
 * account's history) and an event; the transaction whose hold it released shows status "expired".
 */
export const HOLD_EXPIRY_ROWS_PER_CHUNK = 1024;

export async function expireHolds(ctx: PostgresContext, nowMs: number): Promise<number> {
  const cutoffMs = nowMs - ctx.holdTimeoutMs;
  let expired = 0;
  for (;;) {
    const due = await ctx.transactions.statement(
      "find expired holds",
      (sql) => sql<Row[]>`SELECT seq, account_seq FROM transactions WHERE hold_state = 'pending' AND created_at_ms <= ${cutoffMs}
        ORDER BY created_at_ms LIMIT ${HOLD_EXPIRY_ROWS_PER_CHUNK}`,
    );
    if (due.length === 0) break;
    expired += await expireHoldsChunk(ctx, due, cutoffMs, nowMs);
    if (due.length < HOLD_EXPIRY_ROWS_PER_CHUNK) break;
  }
  await ctx.transactions.statement("forget early reversals", (sql) => sql`DELETE FROM early_reversals WHERE created_at_ms <= ${cutoffMs}`);
  return expired;
}

async function expireHoldsChunk(ctx: PostgresContext, due: readonly Row[], cutoffMs: number, nowMs: number): Promise<number> {
  const accountSeqs = [...new Set(due.map((row) => int(row.account_seq)))].sort((a, b) => a - b);
  const seqs = due.map((row) => int(row.seq));
  return ctx.transactions.run("expire holds", async (session) => {
    const [accounts, held, blocks] = await session.begin([
      session.sql.unsafe<Row[]>(`SELECT ${ACCOUNT_SELECT} FROM accounts WHERE seq = ANY($1::bigint[]) ORDER BY seq FOR UPDATE`, [accountSeqs]),
      session.sql.unsafe<Row[]>(
        `SELECT ${TRANSACTION_SELECT} FROM transactions WHERE seq = ANY($1::bigint[]) AND hold_state = 'pending' AND created_at_ms <= $2 ORDER BY created_at_ms`,
        [seqs, cutoffMs],
      ),
      session.sql<Row[]>`SELECT nextval('transaction_blocks') AS txn, nextval('outbox_blocks') AS outbox`,
    ]);
    if (held.length === 0) {
      await session.commit([]);
      return 0;
    }
    await ensureSystemAccounts(session.sql, ctx.directory, accounts);
    const state = stateOf({ accounts, cards: [], earlyReversals: [], txnBlockStart: int(blocks[0]!.txn), limitDefaults: ctx.limitDefaults }, ctx.directory);
    const writer = new PostgresTransactionWriter(() => state, { queueEvents: ctx.queueEvents });
    writer.begin(int(blocks[0]!.outbox));
    for (const row of held) expireHold(state, writer, transactionRowOf(row), nowMs);
    await session.commit(writer.statements(session.sql));
    return held.length;
  });
}

function expireHold(state: LedgerState, writer: PostgresTransactionWriter, held: TransactionRow, nowMs: number): void {
  const account = state.accounts.get(held.accountSeq!);
  if (account === undefined) throw new AssertionFailure(`hold ${held.seq} on an account the sweep did not lock`);
  const released = writer.resolveHold(held, "expired", nowMs);
  held.status = "expired";
  const row = plainRow(writer.nextTransactionSeq(), "expiry", account.seq, released, account.currency, nowMs);
  row.relatedSeq = held.seq;
  row.cardSeq = held.cardSeq;
  writer.addTransaction(row);
  writer.event("hold.expired", account.seq, row.seq, null, nowMs);
}
