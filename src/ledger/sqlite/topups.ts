import { isoTime, newId, sequenceId } from "../ids.ts";
import { LedgerError, type TopUp } from "../ledger.ts";
import { plainRow } from "../decision/records.ts";
import { checkCurrency, checkTopUp } from "../input-checks.ts";
import { MINOR_AMOUNT_MAX } from "../money.ts";
import { requireUser } from "./cardholders.ts";
import type { SqliteContext } from "./context.ts";
import { AssertionFailure } from "../../ops/assert.ts";

/**
 * Top-ups: money in from the program's funding account. Idempotent per user and Idempotency-Key: the same
 * key with the same fingerprint returns the first top-up; with another fingerprint it is refused.
 */
interface TopUpRow {
  id: string;
  fingerprint: string;
  amount_minor: number;
  currency: number;
  txn_seq: number;
  created_at_ms: number;
}

export function topUp(
  ctx: SqliteContext,
  userId: string,
  input: { amount: number; currency?: number; idempotencyKey: string; fingerprint: string },
): { topUp: TopUp; replayed: boolean } {
  checkTopUp(input);
  const key = input.idempotencyKey;
  const { row: user, account } = requireUser(ctx, userId);
  const earlier = ctx.db
    .query("SELECT id, fingerprint, amount_minor, currency, txn_seq, created_at_ms FROM topups WHERE user_seq = ? AND idempotency_key = ?")
    .get(user.seq, key) as TopUpRow | null;
  if (earlier !== null) {
    if (earlier.fingerprint !== input.fingerprint) {
      throw new LedgerError("idempotency_conflict", "this idempotency key was used for a different top-up");
    }
    const replay: TopUp = { id: earlier.id, transactionId: sequenceId("txn", earlier.txn_seq), userId, amount: earlier.amount_minor, currency: earlier.currency, createdAt: isoTime(earlier.created_at_ms) };
    return { topUp: replay, replayed: true };
  }
  const currency = input.currency === undefined ? account.currency : checkCurrency(input.currency);
  if (currency !== account.currency) throw new LedgerError("currency_mismatch", `the account is in currency ${account.currency}`);
  if (account.ledger + input.amount > MINOR_AMOUNT_MAX) throw new LedgerError("invalid_amount", "the balance would exceed its maximum");
  const funding = ctx.state.systemAccount("funding", currency);
  if (funding === undefined) throw new AssertionFailure(`no funding account for currency ${currency}`);

  const nowMs = ctx.clock();
  const row = plainRow(ctx.writer.nextTransactionSeq(), "topup", account.seq, input.amount, currency, nowMs);
  ctx.writer.addTransaction(row);
  ctx.writer.post(row.seq, [
    [account, input.amount],
    [funding, -input.amount],
  ]);
  const id = newId("top");
  ctx.db
    .query(
      `INSERT INTO topups (id, user_seq, idempotency_key, fingerprint, amount_minor, currency, txn_seq, created_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(id, user.seq, key, input.fingerprint, input.amount, currency, row.seq, nowMs);
  ctx.writer.event("topup", account.seq, row.seq, null, nowMs);
  return { topUp: { id, transactionId: sequenceId("txn", row.seq), userId, amount: input.amount, currency, createdAt: isoTime(nowMs) }, replayed: false };
}
