import type { SQL } from "bun";
import { approvalCodeSource, type RandomBytes } from "../../authorize/approval-code.ts";
import { DEFAULT_CARD_LIMITS } from "../card-limits.ts";
import { checkNewCard } from "../input-checks.ts";
import type { AuthorizationDecision, AuthorizationRequest } from "../../domain/authorization.ts";
import type { CardLimits } from "../../domain/card-limits.ts";
import type { CardStatus } from "../../domain/card-status.ts";
import { LedgerError, type Card, type ConsistencyReport, type Ledger, type OutboxEvent } from "../ledger.ts";
import { AssertionFailure } from "../../ops/assert.ts";
import { createPanVault } from "../pan-vault.ts";
import { sealPan } from "../views.ts";
import { BatchAuthorizer } from "./batch.ts";
import * as cardholders from "./cardholders.ts";
import { createPool, ledgerErrorOf, redactUrl, type PostgresConnectionOptions } from "./connection.ts";
import type { CommitCheckCounts } from "./commit-check.ts";
import { checkConsistency } from "./consistency.ts";
import type { PostgresContext } from "./context.ts";
import { Directory } from "./directory.ts";
import { expireHolds } from "./hold-expiry.ts";
import { listTransactions } from "./history.ts";
import * as lists from "./lists.ts";
import { checkPanKey, migrate } from "./migrate.ts";
import * as outbox from "./outbox.ts";
import { SEQUENCE_BLOCK } from "./schema.ts";
import { rememberSystemAccounts } from "./system-accounts.ts";
import { topUp } from "./topups.ts";
import { bounded, Transactions } from "./transaction.ts";

/**
 * The shared ledger: PostgreSQL through Bun's SQL client, for several Sekisho instances on one database.
 * Same model and same rules as the embedded SQLite ledger, one transaction per batch, but nothing that
 * other instances change is kept in memory: every transaction locks the accounts it touches (in account
 * order) and reads their balances, cards, records and early reversals fresh (see batch.ts). Only what never
 * changes — PAN index → card → account, the system accounts — is remembered (directory.ts).
 *
 * Failures: a database that cannot be reached or used makes a call reject with LedgerError "unavailable"
 * within postgresStatementTimeoutMs (the engine answers 91); the pool opens new connections when the
 * database is back, and nothing needs rebuilding because nothing was cached.
 */
export interface PostgresLedgerOptions extends PostgresConnectionOptions {
  readonly holdTimeoutSeconds: number;
  /** ISO 4217 numeric currency of new accounts. */
  readonly currency: number;
  /** SEKISHO_PAN_KEY: 32 bytes as 64 hex characters. */
  readonly panKeyHex: string;
  readonly clock?: () => number;
  /** Source of approval codes' randomness; crypto-random when absent. */
  readonly randomBytes?: RandomBytes;
  readonly limitDefaults?: CardLimits;
  /** Events are written queued for webhook delivery (true when absent); else only kept for listEvents. */
  readonly queueEvents?: boolean;
}

/** Largest batch one call may carry: it must fit one block of row sequences. */
export const BATCH_REQUESTS_MAX = SEQUENCE_BLOCK;

const cryptoRandomBytes: RandomBytes = (buffer) => {
  crypto.getRandomValues(buffer);
};

export async function openPostgresLedger(options: PostgresLedgerOptions): Promise<PostgresLedger> {
  const vault = await createPanVault(options.panKeyHex);
  const pool = createPool(options);
  const where = serverOf(options.url);
  try {
    await bounded(`connect to ${where}`, options.connectTimeoutMs + options.statementTimeoutMs, pool`SELECT 1`);
    await migrate(pool);
    await checkPanKey(pool, vault.keyCheck);
    const directory = new Directory();
    await rememberSystemAccounts(pool, directory);
    const ctx: PostgresContext = {
      pool,
      transactions: new Transactions(pool, options.statementTimeoutMs, options.commitCheckTimeoutMs ?? options.statementTimeoutMs),
      directory,
      vault,
      clock: options.clock ?? Date.now,
      currency: options.currency,
      limitDefaults: options.limitDefaults ?? DEFAULT_CARD_LIMITS,
      holdTimeoutMs: options.holdTimeoutSeconds * 1000,
      statementTimeoutMs: options.statementTimeoutMs,
      queueEvents: options.queueEvents ?? true,
    };
    return new PostgresLedger(ctx, options.randomBytes ?? cryptoRandomBytes);
  } catch (error) {
    await pool.close({ timeout: 0 }).catch(() => {});
    if (error instanceof LedgerError && error.message.startsWith("SEKISHO_PAN_KEY")) throw error;
    const cause = error instanceof LedgerError && error.cause !== undefined ? error.cause : error;
    const { message, errno, code } = (cause ?? {}) as { message?: string; errno?: string; code?: string };
    const reason = `${message ?? String(cause)}${errno === undefined && code !== undefined ? ` (${code})` : ""}`;
    throw new LedgerError("unavailable", `PostgreSQL at ${where} cannot be used: ${reason}`, { cause: error });
  }
}

/** host:port/database of a URL: where the ledger is, without user or password. */
function serverOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || "5432"}${parsed.pathname}`;
  } catch {
    return redactUrl(url);
  }
}

export class PostgresLedger implements Ledger {
  private readonly batches: BatchAuthorizer;
  private closed = false;
  /** The first broken invariant met: every later call is refused (the process is stopping). */
  private broken: AssertionFailure | null = null;

  constructor(
    private readonly ctx: PostgresContext,
    randomBytes: RandomBytes,
  ) {
    this.batches = new BatchAuthorizer({
      transactions: ctx.transactions,
      directory: ctx.directory,
      panIndexInto: (pan, out) => ctx.vault.indexInto(pan, out),
      approvalCodes: () => approvalCodeSource(randomBytes),
      limitDefaults: ctx.limitDefaults,
      clock: ctx.clock,
      queueEvents: ctx.queueEvents,
    });
  }

  /** The pool, for tests and tools that look at the database directly. */
  get pool(): SQL {
    return this.ctx.pool;
  }

  /** Transactions whose answer to COMMIT was lost, by what the check found (transaction.ts). */
  get commitChecks(): Readonly<CommitCheckCounts> {
    return this.ctx.transactions.commitChecks;
  }

  async authorizeBatch(requests: readonly AuthorizationRequest[]): Promise<AuthorizationDecision[]> {
    if (requests.length > BATCH_REQUESTS_MAX) throw new LedgerError("invalid_input", `a batch carries at most ${BATCH_REQUESTS_MAX} requests`);
    if (requests.length === 0) return [];
    return this.guard("authorization batch", () => this.batches.run(requests));
  }

  createUser(input: { externalId?: string | null; name?: string | null; currency?: number }) {
    return this.guard("create user", () => cardholders.createUser(this.ctx, input));
  }

  getUser(userId: string) {
    return this.guard("read user", () => cardholders.getUser(this.ctx, userId));
  }

  listUsers(page: { limit: number; cursor?: string | null; externalId?: string | null }) {
    return this.guard("list users", () => lists.listUsers(this.ctx, page));
  }

  listCards(userId: string, page: { limit: number; cursor?: string | null }) {
    return this.guard("list cards", () => lists.listCards(this.ctx, userId, page));
  }

  issueCard(userId: string, input: { pan: string; expiry: string; limits?: Partial<CardLimits> }): Promise<Card> {
    return this.guard("issue card", async () => {
      const limits = checkNewCard(input);
      const pan = sealPan(input.pan, this.ctx.vault.index(input.pan), await this.ctx.vault.seal(input.pan));
      return cardholders.issueCard(this.ctx, userId, { expiry: input.expiry, limits }, pan);
    });
  }

  getCard(cardId: string): Promise<Card | null> {
    return this.guard("read card", () => cardholders.getCard(this.ctx, cardId));
  }

  updateCard(cardId: string, patch: { status?: CardStatus; limits?: Partial<CardLimits> }): Promise<Card> {
    return this.guard("update card", () => cardholders.updateCard(this.ctx, cardId, patch));
  }

  topUp(userId: string, input: { amount: number; currency?: number; idempotencyKey: string; fingerprint: string }) {
    return this.guard("top-up", () => topUp(this.ctx, userId, input));
  }

  listTransactions(userId: string, page: { limit: number; cursor?: string | null }) {
    return this.guard("read history", () => listTransactions(this.ctx, userId, page));
  }

  claimOutbox(input: { limit: number; leaseMs: number; owner: string; nowMs: number }): Promise<OutboxEvent[]> {
    return this.guard("claim events", () => outbox.claimOutbox(this.ctx, input));
  }

  completeOutbox(eventId: string, owner: string): Promise<void> {
    return this.guard("complete event", () => outbox.completeOutbox(this.ctx, eventId, owner));
  }

  retryOutbox(eventId: string, owner: string, nextAttemptAtMs: number, error: string): Promise<void> {
    return this.guard("retry event", () => outbox.retryOutbox(this.ctx, eventId, owner, nextAttemptAtMs, error));
  }

  outboxBacklog(): Promise<number> {
    return this.guard("count events", () => outbox.outboxBacklog(this.ctx));
  }

  listEvents(page: { limit: number; cursor?: string | null }) {
    return this.guard("read events", () => outbox.listEvents(this.ctx, page));
  }

  pruneEvents(input: { createdBeforeMs: number; nowMs: number; rowsMax: number }) {
    return this.guard("prune events", () => outbox.pruneEvents(this.ctx, input));
  }

  expireHolds(nowMs: number): Promise<number> {
    return this.guard("expire holds", () => expireHolds(this.ctx, nowMs));
  }

  checkConsistency(): Promise<ConsistencyReport> {
    return this.guard("check consistency", () => checkConsistency(this.ctx));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.ctx.pool.close({ timeout: CLOSE_TIMEOUT_SECONDS });
  }

  /**
   * Refuses work once closed or once an invariant broke; reports a database failure as LedgerError
   * "unavailable". A broken invariant passes through as it is (its transaction was rolled back).
   */
  private async guard<T>(what: string, body: () => Promise<T>): Promise<T> {
    if (this.closed) throw new LedgerError("unavailable", "the ledger is closed");
    if (this.broken !== null) throw new LedgerError("unavailable", "the ledger stopped at a broken invariant", { cause: this.broken });
    try {
      return await body();
    } catch (error) {
      if (error instanceof AssertionFailure) {
        this.broken ??= error;
        throw error;
      }
      throw ledgerErrorOf(error, what);
    }
  }
}

/** close(): transactions in flight get this long to finish (shutdown drains the engine before). */
const CLOSE_TIMEOUT_SECONDS = 5;
