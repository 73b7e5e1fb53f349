import type { AccountState } from "../decision/state.ts";
import { effectiveLimits, validateLimits, type LimitOverrides } from "../card-limits.ts";
import { isoTime, newId } from "../ids.ts";
import { checkCurrency, checkStatus, checkStatusChange, optionalText } from "../input-checks.ts";
import type { CardLimits } from "../../domain/card-limits.ts";
import type { CardStatus } from "../../domain/card-status.ts";
import { LedgerError, type AccountBalances, type Card, type User } from "../ledger.ts";
import { balanceAfter, balancesOf, cardEventData, cardOf, userOf, type SealedPan } from "../views.ts";
import type { PostgresContext } from "./context.ts";
import { int } from "./rows.ts";
import { ACCOUNT_SELECT, accountStateOf, CARD_SELECT, cardStateOf, type Row } from "./state-rows.ts";
import type { Session } from "./transaction.ts";

/**
 * Users, their accounts and cards: the API side of the ledger. A change to a card takes its account's
 * lock first, like every writer of the account's events, so that the account's events are numbered in
 * commit order (outbox.ts). A duplicate written by another instance at the same moment (external id, PAN)
 * fails the slower transaction on a unique index; it runs again and then finds the first.
 */
export async function createUser(
  ctx: PostgresContext,
  input: { externalId?: string | null; name?: string | null; currency?: number },
): Promise<User> {
  const externalId = optionalText(input.externalId, "externalId");
  const name = optionalText(input.name, "name");
  const currency = checkCurrency(input.currency ?? ctx.currency);
  return ctx.transactions.run("create user", async (session) => {
    const nowMs = ctx.clock();
    const id = newId("usr");
    const [taken] = await session.begin([session.sql<Row[]>`SELECT 1 FROM users WHERE external_id = ${externalId}`]);
    if (taken.length > 0) throw new LedgerError("conflict", "a user with this externalId exists already");
    const [inserted] = await Promise.all([
      session.sql<Row[]>`INSERT INTO users (id, external_id, name, created_at_ms) VALUES (${id}, ${externalId}, ${name}, ${nowMs}) RETURNING seq`,
      session.sql`INSERT INTO accounts (id, kind, currency, created_at_ms)
        VALUES (${newId("acct")}, 'funding', ${currency}, ${nowMs}), (${newId("acct")}, 'settlement', ${currency}, ${nowMs})
        ON CONFLICT (kind, currency) WHERE user_seq IS NULL DO NOTHING`,
    ]);
    const userSeq = int(inserted[0]!.seq);
    await session.commit([
      session.sql`INSERT INTO accounts (id, kind, user_seq, currency, created_at_ms) VALUES (${newId("acct")}, 'cardholder', ${userSeq}, ${currency}, ${nowMs})`,
    ]);
    return { id, externalId, name, createdAt: isoTime(nowMs) };
  });
}

export async function getUser(ctx: PostgresContext, userId: string): Promise<{ user: User; balances: AccountBalances } | null> {
  const rows = await ctx.transactions.statement(
    "read user",
    (sql) => sql<Row[]>`SELECT u.seq AS user_seq_, u.id AS user_id, u.external_id, u.name, u.created_at_ms AS user_created_at_ms,
      ${sql.unsafe(accountColumns("a"))} FROM users u JOIN accounts a ON a.user_seq = u.seq WHERE u.id = ${userId}`,
  );
  const row = rows[0];
  if (row === undefined) return null;
  const user = userOf({ seq: int(row.user_seq_), id: row.user_id as string, external_id: row.external_id as string | null, name: row.name as string | null, created_at_ms: int(row.user_created_at_ms) });
  return { user, balances: balancesOf(accountStateOf(row)) };
}

function accountColumns(alias: string): string {
  return ACCOUNT_SELECT.split(", ").map((column) => `${alias}.${column}`).join(", ");
}

/** Locks the user's account; its row (with the user's id as user_id), or not_found. */
async function lockUserAccount(session: Session, userId: string, more: readonly PromiseLike<unknown>[] = []): Promise<{ account: Row; more: unknown[] }> {
  const [accounts, ...rest] = await session.begin([
    session.sql<Row[]>`SELECT ${session.sql.unsafe(accountColumns("a"))}, u.id AS user_id FROM users u JOIN accounts a ON a.user_seq = u.seq
      WHERE u.id = ${userId} FOR UPDATE OF a`,
    ...more,
  ]);
  const account = accounts[0];
  if (account === undefined) throw new LedgerError("not_found", "no such user");
  return { account, more: rest };
}

export async function issueCard(
  ctx: PostgresContext,
  userId: string,
  input: { expiry: string; limits: Partial<CardLimits> },
  pan: SealedPan,
): Promise<Card> {
  return ctx.transactions.run("issue card", async (session) => {
    const { account, more } = await lockUserAccount(session, userId, [session.sql`SELECT 1 FROM cards WHERE pan_index = ${pan.index}`]);
    if ((more[0] as unknown[]).length > 0) throw new LedgerError("conflict", "a card with this PAN exists already");
    const nowMs = ctx.clock();
    const overrides: LimitOverrides = {
      perTransactionMax: input.limits.perTransactionMax ?? null,
      perDayAmountMax: input.limits.perDayAmountMax ?? null,
      perDayCountMax: input.limits.perDayCountMax ?? null,
    };
    const [card] = await session.sql<Row[]>`INSERT INTO cards (id, user_seq, account_seq, pan_index, pan_sealed, pan_masked, last4, expiry, status,
        per_transaction_max_minor, per_day_amount_max_minor, per_day_count_max, created_at_ms, updated_at_ms)
      VALUES (${newId("crd")}, ${int(account.user_seq)}, ${int(account.seq)}, ${pan.index}, ${pan.sealed}, ${pan.panMasked}, ${pan.last4},
        ${input.expiry}, 'active', ${overrides.perTransactionMax}, ${overrides.perDayAmountMax}, ${overrides.perDayCountMax}, ${nowMs}, ${nowMs})
      RETURNING ${session.sql.unsafe(CARD_SELECT)}`;
    const state = cardStateOf(card!, ctx.limitDefaults);
    await session.commit([cardEvent(ctx, session, accountStateOf(account), cardEventData(state, userId, "issued"), nowMs)]);
    return cardOf(state, userId);
  });
}

export async function getCard(ctx: PostgresContext, cardId: string): Promise<Card | null> {
  const rows = await ctx.transactions.statement(
    "read card",
    (sql) => sql<Row[]>`SELECT ${sql.unsafe(cardColumns("c"))}, u.id AS user_id FROM cards c JOIN users u ON u.seq = c.user_seq WHERE c.id = ${cardId}`,
  );
  const row = rows[0];
  return row === undefined ? null : cardOf(cardStateOf(row, ctx.limitDefaults), row.user_id as string);
}

function cardColumns(alias: string): string {
  return CARD_SELECT.split(", ").map((column) => `${alias}.${column}`).join(", ");
}

export async function updateCard(ctx: PostgresContext, cardId: string, patch: { status?: CardStatus; limits?: Partial<CardLimits> }): Promise<Card> {
  const limits = validateLimits(patch.limits);
  checkStatus(patch.status);
  return ctx.transactions.run("update card", async (session) => {
    // The card's account never changes: lock it, then read the card as it is now.
    const [locked, cards] = await session.begin([
      session.sql<Row[]>`SELECT ${session.sql.unsafe(accountColumns("a"))} FROM cards c JOIN accounts a ON a.seq = c.account_seq
        WHERE c.id = ${cardId} FOR UPDATE OF a`,
      session.sql<Row[]>`SELECT ${session.sql.unsafe(cardColumns("c"))}, u.id AS user_id FROM cards c JOIN users u ON u.seq = c.user_seq WHERE c.id = ${cardId}`,
    ]);
    const row = cards[0];
    const account = locked[0];
    if (account === undefined || row === undefined) throw new LedgerError("not_found", "no such card");
    const card = cardStateOf(row, ctx.limitDefaults);
    const status = patch.status ?? card.status;
    checkStatusChange(card.status, status);
    const overrides: LimitOverrides = { ...card.overrides, ...limits };
    const nowMs = ctx.clock();
    card.status = status;
    card.overrides = overrides;
    card.limits = effectiveLimits(overrides, ctx.limitDefaults);
    card.updatedAtMs = nowMs;
    const userId = row.user_id as string;
    await session.commit([
      session.sql`UPDATE cards SET status = ${status}, per_transaction_max_minor = ${overrides.perTransactionMax},
        per_day_amount_max_minor = ${overrides.perDayAmountMax}, per_day_count_max = ${overrides.perDayCountMax}, updated_at_ms = ${nowMs}
        WHERE seq = ${card.seq}`,
      cardEvent(ctx, session, accountStateOf(account), cardEventData(card, userId, "updated"), nowMs),
    ]);
    return cardOf(card, userId);
  });
}

/**
 * A card.updated event; its sequence is taken now, under the account's lock, and it keeps the balances of
 * the locked account (a card change moves no money).
 */
function cardEvent(ctx: PostgresContext, session: Session, account: AccountState, data: Record<string, unknown>, nowMs: number): PromiseLike<unknown> {
  const balance = balanceAfter(account);
  return session.sql`INSERT INTO outbox (seq, type, account_seq, txn_seq, data, created_at_ms, queued, ledger_balance_minor, available_balance_minor)
    VALUES (nextval('outbox_blocks'), 'card.updated', ${account.seq}, NULL, ${JSON.stringify(data)}, ${nowMs}, ${ctx.queueEvents},
      ${balance.ledger}, ${balance.available})`;
}
