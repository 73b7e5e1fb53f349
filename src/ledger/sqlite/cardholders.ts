import { isExpiry } from "../../authorize/checks.ts";
import { effectiveLimits, validateLimits, type LimitOverrides } from "../card-limits.ts";
import { isoTime, newId } from "../ids.ts";
import { LedgerError, TERMINAL_CARD_STATUSES, type AccountBalances, type Card, type CardLimits, type CardStatus, type User } from "../ledger.ts";
import { isPan, panDisplay } from "../pan-vault.ts";
import type { SqliteContext } from "./context.ts";
import type { AccountKind, AccountState, CardState } from "../batch/state.ts";

/**
 * Users, their accounts and cards: the API side of the ledger. Each function runs inside the ledger's
 * write transaction. Expected failures throw LedgerError before anything in memory has changed, so the
 * ledger can roll back without rebuilding its state.
 */
const TEXT_MAX = 256;
const CARD_STATUSES: readonly CardStatus[] = ["active", "suspended", "lost", "stolen", "closed"];

interface UserRow {
  seq: number;
  id: string;
  external_id: string | null;
  name: string | null;
  created_at_ms: number;
}

function optionalText(value: unknown, what: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string" || value.length === 0 || value.length > TEXT_MAX) {
    throw new LedgerError("invalid_input", `${what} must be text of 1 to ${TEXT_MAX} characters`);
  }
  return value;
}

export function checkCurrency(currency: unknown): number {
  if (!(typeof currency === "number" && Number.isInteger(currency) && currency >= 1 && currency <= 999)) {
    throw new LedgerError("invalid_input", "currency must be an ISO 4217 numeric code (1-999)");
  }
  return currency;
}

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
  if (account === undefined) throw new Error(`assertion: user ${row.seq} has no account`);
  return { row, account };
}

export function requireUser(ctx: SqliteContext, userId: string): { row: UserRow; account: AccountState } {
  const found = findUser(ctx, userId);
  if (found === null) throw new LedgerError("not_found", "no such user");
  return found;
}

export function userOf(row: UserRow): User {
  return { id: row.id, externalId: row.external_id, name: row.name, createdAt: isoTime(row.created_at_ms) };
}

export function balancesOf(account: AccountState): AccountBalances {
  return {
    accountId: account.id,
    currency: account.currency,
    ledgerBalance: account.ledger,
    availableBalance: account.ledger - account.held,
    heldAmount: account.held,
  };
}

export function cardOf(card: CardState, userId: string): Card {
  return {
    id: card.id,
    userId,
    panMasked: card.panMasked,
    last4: card.last4,
    expiry: card.expiry,
    status: card.status,
    limits: card.limits,
    createdAt: isoTime(card.createdAtMs),
    updatedAt: isoTime(card.updatedAtMs),
  };
}

export interface SealedPan {
  readonly index: string;
  readonly sealed: Uint8Array;
  readonly panMasked: string;
  readonly last4: string;
}

export function checkNewCard(input: { pan: string; expiry: string; limits?: Partial<CardLimits> }): Partial<CardLimits> {
  if (typeof input.pan !== "string" || !isPan(input.pan)) throw new LedgerError("invalid_input", "PAN must be 12 to 19 digits");
  if (typeof input.expiry !== "string" || !isExpiry(input.expiry)) throw new LedgerError("invalid_input", "expiry must be YYMM");
  return validateLimits(input.limits);
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
  if (patch.status !== undefined && !CARD_STATUSES.includes(patch.status)) throw new LedgerError("invalid_input", "unknown card status");
  const card = ctx.state.cardsById.get(cardId);
  if (card === undefined) throw new LedgerError("not_found", "no such card");
  const status = patch.status ?? card.status;
  if (status !== card.status && TERMINAL_CARD_STATUSES.includes(card.status)) {
    throw new LedgerError("invalid_state", `a ${card.status} card cannot change status`);
  }
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
  const data = {
    action,
    card_id: card.id,
    user_id: userId,
    pan_masked: card.panMasked,
    last4: card.last4,
    expiry: card.expiry,
    status: card.status,
    limits: card.limits,
  };
  ctx.writer.event("card.updated", card.accountSeq, null, data, nowMs);
}

export function sealPan(pan: string, index: string, sealed: Uint8Array): SealedPan {
  return { index, sealed, ...panDisplay(pan) };
}
