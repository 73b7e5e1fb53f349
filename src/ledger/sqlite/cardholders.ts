import type { AccountKind, AccountState, CardState } from "../decision/state.ts";
import { effectiveLimits, validateLimits, type LimitOverrides } from "../card-limits.ts";
import { isoTime, newId } from "../ids.ts";
import { checkCurrency, checkStatus, checkStatusChange, optionalText } from "../input-checks.ts";
import type { CardLimits } from "../../domain/card-limits.ts";
import type { CardStatus } from "../../domain/card-status.ts";
import { LedgerError, type Card, type User } from "../ledger.ts";
import { cardEventData, cardOf, type SealedPan, type UserRow } from "../views.ts";
import type { SqliteContext } from "./context.ts";
import { AssertionFailure } from "../../ops/assert.ts";

/**
 * Users, their accounts and cards: the API side of the ledger. Each function runs inside the ledger's
 * write transaction. Expected failures throw LedgerError before anything in memory has changed, so the
 * ledger can roll back without rebuilding its state.
 */

export function createUser(ctx: SqliteContext, input: { externalId?: string | null; name?: string | null; currency?: number }): User {
  const externalId = optionalText(input.externalId, "externalId");
  const name = optionalText(input.name, "name");
  const currency = checkCurrency(input.currency ?? ctx.currency);
  if (externalId !== null && ctx.db.query("SELECT 1 FROM users WHERE external_id = ?").get(externalId) !== null) {
    throw new LedgerError("conflict", "a user with this externalId exists already");
  }
  const nowMs = ctx.clock();
  const id = newId("usr");
  const { lastInsertRowid } = ctx.db
    .query("INSERT INTO users (id, external_id, name, created_at_ms) VALUES (?, ?, ?, ?)")
    .run(id, externalId, name, nowMs);
  const userSeq = Number(lastInsertRowid);
  ensureSystemAccounts(ctx, currency, nowMs);
  ctx.state.addAccount(insertAccount(ctx, "cardholder", userSeq, currency, nowMs));
  return { id, externalId, name, createdAt: isoTime(nowMs) };
}

function ensureSystemAccounts(ctx: SqliteContext, currency: number, nowMs: number): void {
  for (const kind of ["funding", "settlement"] as const) {
    if (ctx.state.systemAccount(kind, currency) === undefined) ctx.state.addAccount(insertAccount(ctx, kind, null, currency, nowMs));
  }
}

function insertAccount(ctx: SqliteContext, kind: AccountKind, userSeq: number | null, currency: number, nowMs: number): AccountState {
  const id = newId("acct");
  const { lastInsertRowid } = ctx.db
    .query("INSERT INTO accounts (id, kind, user_seq, currency, created_at_ms) VALUES (?, ?, ?, ?, ?)")
    .run(id, kind, userSeq, currency, nowMs);
  return { seq: Number(lastInsertRowid), id, kind, userSeq, currency, ledger: 0, held: 0, head: null, dirty: false };
}

export function findUser(ctx: SqliteContext, userId: string): { row: UserRow; account: AccountState } | null {
  const row = ctx.db.query("SELECT * FROM users WHERE id = ?").get(userId) as UserRow | null;
  if (row === null) return null;
  const account = ctx.state.accountsByUser.get(row.seq);
  if (account === undefined) throw new AssertionFailure(`user ${row.seq} has no account`);
  return { row, account };
}

export function requireUser(ctx: SqliteContext, userId: string): { row: UserRow; account: AccountState } {
  const found = findUser(ctx, userId);
  if (found === null) throw new LedgerError("not_found", "no such user");
  return found;
}

export function issueCard(ctx: SqliteContext, userId: string, input: { expiry: string; limits: Partial<CardLimits> }, pan: SealedPan): Card {
  const { row: user, account } = requireUser(ctx, userId);
  const indexBytes = new Uint8Array(Buffer.from(pan.index, "base64"));
  if (ctx.state.cardsByPanIndex.find(indexBytes) !== null) throw new LedgerError("conflict", "a card with this PAN exists already");
  const nowMs = ctx.clock();
  const overrides: LimitOverrides = {
    perTransactionMax: input.limits.perTransactionMax ?? null,
    perDayAmountMax: input.limits.perDayAmountMax ?? null,
    perDayCountMax: input.limits.perDayCountMax ?? null,
  };
  const id = newId("crd");
  const { lastInsertRowid } = ctx.db
    .query(
      `INSERT INTO cards (id, user_seq, account_seq, pan_index, pan_sealed, pan_masked, last4, expiry, status,
         per_transaction_max_minor, per_day_amount_max_minor, per_day_count_max, created_at_ms, updated_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?)`,
    )
    .run(id, user.seq, account.seq, pan.index, pan.sealed, pan.panMasked, pan.last4, input.expiry,
      overrides.perTransactionMax, overrides.perDayAmountMax, overrides.perDayCountMax, nowMs, nowMs);
  const card: CardState = {
    seq: Number(lastInsertRowid),
    id,
    userSeq: user.seq,
    accountSeq: account.seq,
    panIndex: pan.index,
    panIndexBytes: indexBytes,
    panMasked: pan.panMasked,
    last4: pan.last4,
    expiry: input.expiry,
    createdAtMs: nowMs,
    status: "active",
    overrides,
    limits: effectiveLimits(overrides, ctx.limitDefaults),
    updatedAtMs: nowMs,
    usageDay: 0,
    usageAmount: 0,
    usageCount: 0,
    dirty: false,
  };
  ctx.state.addCard(card);
  cardEvent(ctx, card, user.id, "issued", nowMs);
  return cardOf(card, user.id);
}

export function updateCard(ctx: SqliteContext, cardId: string, patch: { status?: CardStatus; limits?: Partial<CardLimits> }): Card {
  const limits = validateLimits(patch.limits);
  checkStatus(patch.status);
  const card = ctx.state.cardsById.get(cardId);
  if (card === undefined) throw new LedgerError("not_found", "no such card");
  const status = patch.status ?? card.status;
  checkStatusChange(card.status, status);
  const overrides: LimitOverrides = { ...card.overrides, ...limits };
  const nowMs = ctx.clock();
  ctx.db
    .query(
      `UPDATE cards SET status = ?, per_transaction_max_minor = ?, per_day_amount_max_minor = ?, per_day_count_max = ?,
         updated_at_ms = ? WHERE seq = ?`,
    )
    .run(status, overrides.perTransactionMax, overrides.perDayAmountMax, overrides.perDayCountMax, nowMs, card.seq);
  card.status = status;
  card.overrides = overrides;
  card.limits = effectiveLimits(overrides, ctx.limitDefaults);
  card.updatedAtMs = nowMs;
  const userId = userIdOf(ctx, card.userSeq);
  cardEvent(ctx, card, userId, "updated", nowMs);
  return cardOf(card, userId);
}

export function userIdOf(ctx: SqliteContext, userSeq: number): string {
  return (ctx.db.query("SELECT id FROM users WHERE seq = ?").get(userSeq) as { id: string }).id;
}

/** Card events carry the masked PAN only. */
function cardEvent(ctx: SqliteContext, card: CardState, userId: string, action: "issued" | "updated", nowMs: number): void {
  ctx.writer.event("card.updated", card.accountSeq, null, cardEventData(card, userId, action), nowMs);
}
