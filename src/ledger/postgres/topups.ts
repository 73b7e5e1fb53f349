import { plainRow } from "../decision/records.ts";
import { isoTime, newId, sequenceId } from "../ids.ts";
import { checkCurrency, checkTopUp } from "../input-checks.ts";
import { LedgerError, type TopUp } from "../ledger.ts";
import { MINOR_AMOUNT_MAX } from "../money.ts";
import type { PostgresContext } from "./context.ts";
import { int } from "./rows.ts";
import { ACCOUNT_SELECT, stateOf, type Row } from "./state-rows.ts";
import { ensureSystemAccounts } from "./system-accounts.ts";
import { PostgresTransactionWriter } from "./transaction-writer.ts";

/**
 * Top-ups: money in from the program's funding account, idempotent per user and Idempotency-Key (same
 * key and fingerprint: the first top-up again; another fingerprint: refused). The account's lock orders
 * two instances given the same key at once: the second finds the first.
 */
export async function topUp(
  ctx: PostgresContext,
  userId: string,
  input: { amount: number; currency?: number; idempotencyKey: string; fingerprint: string },
): Promise<{ topUp: TopUp; replayed: boolean }> {
  checkTopUp(input);
  return ctx.transactions.run("top-up", async (session) => {
    const columns = session.sql.unsafe(ACCOUNT_SELECT.split(", ").map((column) => `a.${column}`).join(", "));
    const [accounts, earlier, blocks] = await session.begin([
      session.sql<Row[]>`SELECT ${columns} FROM users u JOIN accounts a ON a.user_seq = u.seq WHERE u.id = ${userId} FOR UPDATE OF a`,
      session.sql<Row[]>`SELECT t.id, t.fingerprint, t.amount_minor, t.currency, t.txn_seq, t.created_at_ms FROM topups t JOIN users u ON u.seq = t.user_seq
        WHERE u.id = ${userId} AND t.idempotency_key = ${input.idempotencyKey}`,
      session.sql<Row[]>`SELECT nextval('transaction_blocks') AS txn, nextval('outbox_blocks') AS outbox`,
    ]);
    const accountRow = accounts[0];
    if (accountRow === undefined) throw new LedgerError("not_found", "no such user");
    const first = earlier[0];
    if (first !== undefined) {
      if (first.fingerprint !== input.fingerprint) throw new LedgerError("idempotency_conflict", "this idempotency key was used for a different top-up");
      await session.commit([]);
      const replay: TopUp = { id: first.id as string, transactionId: sequenceId("txn", int(first.txn_seq)), userId, amount: int(first.amount_minor), currency: int(first.currency), createdAt: isoTime(int(first.created_at_ms)) };
      return { topUp: replay, replayed: true };
    }
    await ensureSystemAccounts(session.sql, ctx.directory, accounts);
    const state = stateOf({ accounts, cards: [], earlyReversals: [], txnBlockStart: int(blocks[0]!.txn), limitDefaults: ctx.limitDefaults }, ctx.directory);
    const account = state.accounts.get(int(accountRow.seq))!;
    const currency = input.currency === undefined ? account.currency : checkCurrency(input.currency);
    if (currency !== account.currency) throw new LedgerError("currency_mismatch", `the account is in currency ${account.currency}`);
    if (account.ledger + input.amount > MINOR_AMOUNT_MAX) throw new LedgerError("invalid_amount", "the balance would exceed its maximum");
    const funding = state.systemAccount("funding", currency)!;
    const writer = new PostgresTransactionWriter(() => state, { queueEvents: ctx.queueEvents });
    writer.begin(int(blocks[0]!.outbox));
    const nowMs = ctx.clock();
    const row = plainRow(writer.nextTransactionSeq(), "topup", account.seq, input.amount, currency, nowMs);
    writer.addTransaction(row);
    writer.post(row.seq, [
      [account, input.amount],
      [funding, -input.amount],
    ]);
    writer.event("topup", account.seq, row.seq, null, nowMs);
    const id = newId("top");
    await session.commit([
      ...writer.statements(session.sql),
      session.sql`INSERT INTO topups (id, user_seq, idempotency_key, fingerprint, amount_minor, currency, txn_seq, created_at_ms)
        VALUES (${id}, ${account.userSeq}, ${input.idempotencyKey}, ${input.fingerprint}, ${input.amount}, ${currency}, ${row.seq}, ${nowMs})`,
    ]);
    return { topUp: { id, transactionId: sequenceId("txn", row.seq), userId, amount: input.amount, currency, createdAt: isoTime(nowMs) }, replayed: false };
  });
}
