import { maskPan } from "../../src/iso8583/sensitive.ts";
import {
  LedgerError,
  TERMINAL_CARD_STATUSES,
  type AccountBalances,
  type AuthorizationDecision,
  type AuthorizationRequest,
  type Card,
  type CardLimits,
  type CardStatus,
  type ConsistencyReport,
  type Ledger,
  type OutboxEvent,
  type TopUp,
  type TransactionRecord,
  type User,
} from "../../src/ledger/ledger.ts";

/**
 * TEMPORARY: an in-memory stand-in for the SQLite ledger while that one is being written, so that the API
 * and notifier suites can be developed. State is kept per "path" so that reopening simulates a restart.
 * Replaced by the real ledger in test/support/test-ledger.ts as soon as it is merged.
 */
interface State {
  seq: number;
  users: Map<string, User & { accountId: string; currency: number }>;
  balances: Map<string, { ledger: number; held: number }>;
  cards: Map<string, Card & { pan: string }>;
  topUps: Map<string, { fingerprint: string; topUp: TopUp }>;
  history: Map<string, TransactionRecord[]>;
  holds: Map<string, { accountId: string; amount: number; userId: string; txnId: string }>;
  outbox: Array<OutboxEvent & { delivered: boolean; leaseOwner: string | null; leaseUntilMs: number; nextAtMs: number }>;
}

const states = new Map<string, State>();
const DEFAULT_LIMITS: CardLimits = { perTransactionMax: 1_000_000, perDayAmountMax: 3_000_000, perDayCountMax: 100 };

export class MemoryLedger implements Ledger {
  private readonly s: State;
  constructor(path: string) {
    let state = states.get(path);
    if (state === undefined) {
      state = { seq: 0, users: new Map(), balances: new Map(), cards: new Map(), topUps: new Map(), history: new Map(), holds: new Map(), outbox: [] };
      states.set(path, state);
    }
    this.s = state;
  }
  static forget(path: string): void {
    states.delete(path);
  }
  private id(prefix: string): string {
    return `${prefix}_${String(++this.s.seq).padStart(6, "0")}`;
  }
  private now(): string {
    return new Date().toISOString();
  }
  private emit(type: OutboxEvent["type"], accountId: string, data: Record<string, unknown>): void {
    this.s.outbox.push({ id: this.id("evt"), type, accountId, createdAt: this.now(), data, attempts: 0, delivered: false, leaseOwner: null, leaseUntilMs: 0, nextAtMs: 0 });
  }
  private record(userId: string, record: Omit<TransactionRecord, "id" | "createdAt">): TransactionRecord {
    const full = { ...record, id: this.id("txn"), createdAt: this.now() };
    const list = this.s.history.get(userId) ?? [];
    list.push(full);
    this.s.history.set(userId, list);
    return full;
  }
  private balancesOf(userId: string): AccountBalances {
    const user = this.s.users.get(userId)!;
    const b = this.s.balances.get(user.accountId)!;
    return { accountId: user.accountId, currency: user.currency, ledgerBalance: b.ledger, availableBalance: b.ledger - b.held, heldAmount: b.held };
  }

  async authorizeBatch(requests: readonly AuthorizationRequest[]): Promise<AuthorizationDecision[]> {
    return requests.map((request) => {
      const card = [...this.s.cards.values()].find((c) => c.pan === request.pan);
      const decision = (responseCode: AuthorizationDecision["responseCode"], approvalCode: string | null = null): AuthorizationDecision => ({
        responseCode, approvalCode, approvedAmount: null, availableBalance: null, accountCurrency: 392, replayed: false,
      });
      if (card === undefined) return decision("14");
      const user = this.s.users.get(card.userId)!;
      const b = this.s.balances.get(user.accountId)!;
      const base = { cardId: card.id, panMasked: card.panMasked, currency: request.currency, merchantNameLocation: request.merchantNameLocation, merchantCategory: request.merchantCategory, approvalCode: null };
      if (request.mti === 400 || request.mti === 420) {
        const hold = this.s.holds.get(request.originalKey ?? "");
        if (hold !== undefined) {
          b.held -= hold.amount;
          const original = (this.s.history.get(card.userId) ?? []).find((r) => r.id === hold.txnId);
          if (original !== undefined) Object.assign(original, { status: "reversed" });
          this.s.holds.delete(request.originalKey ?? "");
        }
        this.record(card.userId, { ...base, kind: "reversal", amount: request.amount, responseCode: "00", status: "reversed", reason: null });
        this.emit("reversal", user.accountId, { cardId: card.id, amount: request.amount, currency: request.currency });
        return decision("00");
      }
      if (card.status !== "active") {
        const code = card.status === "suspended" ? "62" : card.status === "lost" ? "41" : card.status === "stolen" ? "43" : "46";
        this.record(card.userId, { ...base, kind: "authorization", amount: request.amount, responseCode: code, status: "declined", reason: `card_${card.status}` });
        this.emit("authorization.declined", user.accountId, { cardId: card.id, amount: request.amount, currency: request.currency, responseCode: code });
        return decision(code);
      }
      if (b.ledger - b.held < request.amount) {
        this.record(card.userId, { ...base, kind: "authorization", amount: request.amount, responseCode: "51", status: "declined", reason: "insufficient_funds" });
        this.emit("authorization.declined", user.accountId, { cardId: card.id, panMasked: card.panMasked, amount: request.amount, currency: request.currency, responseCode: "51", reason: "insufficient_funds" });
        return decision("51");
      }
      b.held += request.amount;
      const code = String(this.s.seq).padStart(6, "0");
      const approvedRecord = this.record(card.userId, { ...base, approvalCode: code, kind: "authorization", amount: request.amount, responseCode: "00", status: "approved", reason: null });
      this.s.holds.set(request.key, { accountId: user.accountId, amount: request.amount, userId: card.userId, txnId: approvedRecord.id });
      this.emit("authorization.approved", user.accountId, { cardId: card.id, panMasked: card.panMasked, amount: request.amount, currency: request.currency, approvalCode: code, merchantNameLocation: request.merchantNameLocation });
      return decision("00", code);
    });
  }

  async createUser(input: { externalId?: string | null; name?: string | null; currency?: number }): Promise<User> {
    if (input.externalId && [...this.s.users.values()].some((u) => u.externalId === input.externalId)) {
      throw new LedgerError("conflict", "externalId taken");
    }
    const user = { id: this.id("usr"), externalId: input.externalId ?? null, name: input.name ?? null, createdAt: this.now(), accountId: this.id("acc"), currency: input.currency ?? 392 };
    this.s.users.set(user.id, user);
    this.s.balances.set(user.accountId, { ledger: 0, held: 0 });
    return { id: user.id, externalId: user.externalId, name: user.name, createdAt: user.createdAt };
  }
  async getUser(userId: string) {
    const user = this.s.users.get(userId);
    if (user === undefined) return null;
    return { user: { id: user.id, externalId: user.externalId, name: user.name, createdAt: user.createdAt }, balances: this.balancesOf(userId) };
  }
  async issueCard(userId: string, input: { pan: string; expiry: string; limits?: Partial<CardLimits> }): Promise<Card> {
    if (!this.s.users.has(userId)) throw new LedgerError("not_found", "no such user");
    if ([...this.s.cards.values()].some((c) => c.pan === input.pan)) throw new LedgerError("conflict", "card number exists");
    const now = this.now();
    const card = { id: this.id("crd"), userId, pan: input.pan, panMasked: maskPan(input.pan), last4: input.pan.slice(-4), expiry: input.expiry, status: "active" as CardStatus, limits: { ...DEFAULT_LIMITS, ...input.limits }, createdAt: now, updatedAt: now };
    this.s.cards.set(card.id, card);
    this.emit("card.updated", this.s.users.get(userId)!.accountId, { cardId: card.id, action: "issued" });
    return this.publicCard(card);
  }
  private publicCard(card: Card & { pan: string }): Card {
    const { pan: _pan, ...rest } = card;
    return { ...rest };
  }
  async getCard(cardId: string): Promise<Card | null> {
    const card = this.s.cards.get(cardId);
    return card === undefined ? null : this.publicCard(card);
  }
  async updateCard(cardId: string, patch: { status?: CardStatus; limits?: Partial<CardLimits> }): Promise<Card> {
    const card = this.s.cards.get(cardId);
    if (card === undefined) throw new LedgerError("not_found", "no such card");
    if (TERMINAL_CARD_STATUSES.includes(card.status) && patch.status !== undefined && patch.status !== card.status) {
      throw new LedgerError("invalid_state", `card is ${card.status}`);
    }
    const limits = Object.fromEntries(Object.entries(patch.limits ?? {}).filter(([, v]) => v !== undefined));
    const next = { ...card, status: patch.status ?? card.status, limits: { ...card.limits, ...limits }, updatedAt: this.now() };
    this.s.cards.set(cardId, next);
    this.emit("card.updated", this.s.users.get(card.userId)!.accountId, { cardId, status: next.status });
    return this.publicCard(next);
  }
  async topUp(userId: string, input: { amount: number; currency?: number; idempotencyKey: string; fingerprint: string }) {
    const user = this.s.users.get(userId);
    if (user === undefined) throw new LedgerError("not_found", "no such user");
    const seen = this.s.topUps.get(`${userId}:${input.idempotencyKey}`);
    if (seen !== undefined) {
      if (seen.fingerprint !== input.fingerprint) throw new LedgerError("idempotency_conflict", "key used with another request");
      return { topUp: seen.topUp, replayed: true };
    }
    if (!Number.isSafeInteger(input.amount) || input.amount <= 0) throw new LedgerError("invalid_amount", "amount must be positive");
    if (input.currency !== undefined && input.currency !== user.currency) throw new LedgerError("currency_mismatch", "wrong currency");
    const topUp = { id: this.id("top"), userId, amount: input.amount, currency: user.currency, createdAt: this.now() };
    this.s.topUps.set(`${userId}:${input.idempotencyKey}`, { fingerprint: input.fingerprint, topUp });
    this.s.balances.get(user.accountId)!.ledger += input.amount;
    this.record(userId, { kind: "topup", cardId: null, panMasked: null, amount: input.amount, currency: user.currency, responseCode: null, approvalCode: null, status: "posted", reason: null, merchantNameLocation: null, merchantCategory: null });
    this.emit("topup", user.accountId, { topUpId: topUp.id, amount: input.amount, currency: user.currency });
    return { topUp, replayed: false };
  }
  async listTransactions(userId: string, page: { limit: number; cursor?: string | null }) {
    const list = [...(this.s.history.get(userId) ?? [])].reverse();
    let start = 0;
    if (page.cursor) {
      const id = Buffer.from(page.cursor, "base64url").toString();
      const at = list.findIndex((r) => r.id === id);
      if (at < 0) throw new LedgerError("invalid_state", "bad cursor");
      start = at + 1;
    }
    const items = list.slice(start, start + page.limit);
    const more = start + page.limit < list.length;
    return { items, nextCursor: more ? Buffer.from(items.at(-1)!.id).toString("base64url") : null };
  }
  async claimOutbox(input: { limit: number; leaseMs: number; owner: string; nowMs: number }): Promise<OutboxEvent[]> {
    const heads = new Map<string, State["outbox"][number]>();
    for (const event of this.s.outbox) if (!event.delivered && !heads.has(event.accountId)) heads.set(event.accountId, event);
    const out: OutboxEvent[] = [];
    for (const event of heads.values()) {
      if (out.length >= input.limit) break;
      if (event.leaseUntilMs > input.nowMs || event.nextAtMs > input.nowMs) continue;
      event.leaseOwner = input.owner;
      event.leaseUntilMs = input.nowMs + input.leaseMs;
      Object.assign(event, { attempts: event.attempts + 1 });
      const { delivered: _d, leaseOwner: _o, leaseUntilMs: _l, nextAtMs: _n, ...plain } = event;
      out.push(plain);
    }
    return out;
  }
  async completeOutbox(eventId: string, owner: string): Promise<void> {
    const event = this.s.outbox.find((e) => e.id === eventId);
    if (event !== undefined && event.leaseOwner === owner) event.delivered = true;
  }
  async retryOutbox(eventId: string, owner: string, nextAttemptAtMs: number): Promise<void> {
    const event = this.s.outbox.find((e) => e.id === eventId);
    if (event === undefined || event.leaseOwner !== owner) return;
    Object.assign(event, { nextAtMs: nextAttemptAtMs, leaseOwner: null, leaseUntilMs: 0 });
  }
  async outboxBacklog(): Promise<number> {
    return this.s.outbox.filter((e) => !e.delivered).length;
  }
  async expireHolds(): Promise<number> {
    return 0;
  }
  async checkConsistency(): Promise<ConsistencyReport> {
    return { journalSum: 0, accountsMismatched: 0, accountsNegativeWithoutAdvice: 0, keysWithSeveralHolds: 0, consistent: true };
  }
  async close(): Promise<void> {}
}
