import { maskPan } from "../iso8583/sensitive.ts";
import { isUnavailable, type ApiClient } from "./api-client.ts";
import { forEachBounded, API_CONCURRENCY_DEFAULT } from "./api-seed.ts";
import type { CardBook, SimCard } from "./card-book.ts";
import { ISSUER_UNAVAILABLE } from "./expectations.ts";
import { LEDGER_KINDS, type LedgerKind, type NetworkEntry, type NetworkLog } from "./network-log.ts";

/**
 * The end-of-run reconciliation of what the network saw with what the ledger holds, account by account:
 *
 * - `lost`: an acceptance the network received (an approval, an accepted advice or reversal) that the
 *   ledger does not hold;
 * - `mismatched`: an answer the ledger holds with another decision (DE 39, DE 38, amount or kind), or a
 *   ledger decision no request of the network accounts for (a retransmission recorded twice, say);
 * - `undelivered`: a decision the ledger committed whose answer never reached the network (its link or
 *   process died first) — reported, not a failure by itself;
 * - `unrecorded_declines`: a decline the network received that the ledger has no entry for — reported.
 *
 * A 91 is no decision and the ledger keeps nothing for it (a later answer for its key replaced it in the
 * log): one left in the log matches nothing, unless the ledger holds an entry of its kind and amount that
 * nothing else accounts for — a decision committed for a request answered 91, which is `mismatched`.
 *
 * The Processor API's history (GET /v1/users/:id/transactions) does not carry the transaction key (DE 32,
 * DE 11, DE 7) nor DE 37, so entries are matched by content within the account: an approval by its DE 38
 * (random, six characters), anything else by kind, amount and DE 39. Each account has one request in flight
 * at a time, so two entries of one account agreeing on all three are interchangeable.
 */
export interface LedgerEntry {
  readonly type: string;
  readonly amount: number;
  readonly response_code: string | null;
  readonly approval_code: string | null;
  /** ISO 8601; entries older than the run are not its own (a cards file's earlier history). */
  readonly created_at: string;
}

/**
 * Reads one account's history (every page), in any order; null when it cannot (no user id to ask for).
 * Throws HistoryUnavailableError when the ledger stayed unavailable: the account is then not checked.
 */
export type HistoryReader = (account: { userId: string | null; pan: string }) => Promise<readonly LedgerEntry[] | null>;

export class HistoryUnavailableError extends Error {
  override readonly name = "HistoryUnavailableError";
  readonly code = "history_unavailable";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export type DiscrepancyKind = "lost" | "mismatched" | "undelivered" | "unrecorded_decline";

export interface Discrepancy {
  readonly kind: DiscrepancyKind;
  readonly user_id: string | null;
  readonly pan_masked: string;
  readonly detail: string;
}

export interface ReconciliationResult {
  readonly accounts_checked: number;
  /** Accounts left out: their history cannot be read (no user id), or their network log did not fit in its bound. */
  readonly accounts_skipped: number;
  /** Accounts not checked: the ledger stayed unavailable through every retry of reading their history. */
  readonly accounts_unavailable: number;
  readonly lost: number;
  readonly mismatched: number;
  readonly undelivered: number;
  readonly unrecorded_declines: number;
  /** The first few of each kind. */
  readonly examples: Discrepancy[];
  /** The history could not be read: nothing is known. */
  readonly error?: string;
}

export const DISCREPANCY_EXAMPLES_PER_KIND = 5;
/** The history's types the network's requests account for: the ledger's kinds, and a balance inquiry's own type. */
const BALANCE_INQUIRY_TYPE = "balance_inquiry";
const RECONCILED_KINDS = new Set<string>([...LEDGER_KINDS, BALANCE_INQUIRY_TYPE]);
/** The processor's clock and the network's may differ a little on one machine. */
const CLOCK_SLACK_MS = 2_000;

/** Counts and first examples, filled account by account. */
export interface Tally {
  lost: number;
  mismatched: number;
  undelivered: number;
  unrecorded_declines: number;
  examples: Discrepancy[];
}

export async function reconcile(options: {
  book: CardBook;
  log: NetworkLog;
  read: HistoryReader;
  runStartedAtMs: number;
  concurrency?: number;
}): Promise<ReconciliationResult> {
  const cards = options.book.cards.filter((card) => !options.log.incomplete.has(card.index));
  let checked = 0;
  let unavailable = 0;
  const tally: Tally = { lost: 0, mismatched: 0, undelivered: 0, unrecorded_declines: 0, examples: [] };
  const sinceMs = options.runStartedAtMs - CLOCK_SLACK_MS;
  try {
    await forEachBounded(cards.length, options.concurrency ?? API_CONCURRENCY_DEFAULT, async (i) => {
      const card = cards[i]!;
      let rows: readonly LedgerEntry[] | null;
      try {
        rows = await options.read({ userId: card.userId, pan: card.pan });
      } catch (error) {
        if (!(error instanceof HistoryUnavailableError)) throw error;
        unavailable++;
        return;
      }
      if (rows === null) return;
      checked++;
      const own = rows.filter((row) => RECONCILED_KINDS.has(row.type) && Date.parse(row.created_at) >= sinceMs);
      reconcileAccount(card, options.log.entries(card), own, tally);
    });
  } catch (error) {
    return { ...summary(tally, 0, options.book.cards.length, 0), error: (error as Error).message };
  }
  return summary(tally, checked, options.book.cards.length - checked - unavailable, unavailable);
}

function summary(tally: Tally, checked: number, skipped: number, unavailable: number): ReconciliationResult {
  return {
    accounts_checked: checked,
    accounts_skipped: skipped,
    accounts_unavailable: unavailable,
    lost: tally.lost,
    mismatched: tally.mismatched,
    undelivered: tally.undelivered,
    unrecorded_declines: tally.unrecorded_declines,
    examples: tally.examples,
  };
}

/** One account: what the network saw (in order) against the ledger's entries of the run. Pure. */
export function reconcileAccount(card: SimCard, entries: readonly NetworkEntry[], rows: readonly LedgerEntry[], tally: Tally): void {
  const consumed = new Uint8Array(rows.length);
  const note = (kind: DiscrepancyKind, detail: string) => {
    if (kind === "lost") tally.lost++;
    else if (kind === "mismatched") tally.mismatched++;
    else if (kind === "undelivered") tally.undelivered++;
    else tally.unrecorded_declines++;
    if (tally.examples.filter((example) => example.kind === kind).length < DISCREPANCY_EXAMPLES_PER_KIND) {
      tally.examples.push({ kind, user_id: card.userId, pan_masked: maskPan(card.pan), detail });
    }
  };
  const byApproval = new Map<string, number>();
  rows.forEach((row, i) => {
    if (row.approval_code !== null && row.response_code === "00") byApproval.set(row.approval_code, i);
  });
  const take = (accept: (row: LedgerEntry) => boolean): LedgerEntry | null => {
    for (let i = 0; i < rows.length; i++) {
      if (consumed[i] === 0 && accept(rows[i]!)) {
        consumed[i] = 1;
        return rows[i]!;
      }
    }
    return null;
  };
  const what = (entry: NetworkEntry) => `${entry.kind} of ${entry.amount} (STAN ${String(entry.stan).padStart(6, "0")})`;
  // Approvals first, by their DE 38: exact whatever else the account did.
  for (const entry of entries) {
    if (!entry.delivered || entry.approvalCode === null || entry.code !== "00" || !approvalKind(entry.kind)) continue;
    const i = byApproval.get(entry.approvalCode);
    if (i === undefined || consumed[i] === 1) {
      note("lost", `${what(entry)} approved (DE 38 given) but not in the ledger`);
      continue;
    }
    consumed[i] = 1;
    const row = rows[i]!;
    if (!sameKind(row.type, entry.kind) || row.amount !== entry.amount) {
      note("mismatched", `${what(entry)} approved; the ledger holds that approval as ${row.type} of ${row.amount}`);
    }
  }
  // Everything else the network got a decision for: by kind, amount and DE 39.
  for (const entry of entries) {
    if (!entry.delivered || entry.code === ISSUER_UNAVAILABLE) continue;
    if (entry.approvalCode !== null && entry.code === "00" && approvalKind(entry.kind)) continue;
    if (take((row) => sameKind(row.type, entry.kind) && row.amount === entry.amount && row.response_code === entry.code) !== null) continue;
    const other = take((row) => sameKind(row.type, entry.kind) && row.amount === entry.amount);
    if (other !== null) note("mismatched", `${what(entry)} answered ${entry.code}; the ledger holds ${other.response_code ?? "no code"}`);
    else if (entry.code === "00") note("lost", `${what(entry)} accepted (00) but not in the ledger`);
    else note("unrecorded_decline", `${what(entry)} answered ${entry.code}; no ledger entry`);
  }
  // Requests whose answer never came: committed or not, both are allowed.
  for (const entry of entries) {
    if (entry.delivered) continue;
    const row = take((candidate) => sameKind(candidate.type, entry.kind) && candidate.amount === entry.amount);
    if (row !== null) note("undelivered", `${what(entry)}: the ledger holds ${row.response_code ?? "no code"}, the network never got it`);
  }
  // Answered 91 and never decided afterwards: the ledger must hold nothing for them.
  for (const entry of entries) {
    if (!entry.delivered || entry.code !== ISSUER_UNAVAILABLE) continue;
    const row = take((candidate) => sameKind(candidate.type, entry.kind) && candidate.amount === entry.amount);
    if (row !== null) note("mismatched", `${what(entry)} answered 91; the ledger holds ${row.response_code ?? "no code"}`);
  }
  for (let i = 0; i < rows.length; i++) {
    if (consumed[i] === 1) continue;
    const row = rows[i]!;
    note("mismatched", `the ledger holds a ${row.type} of ${row.amount} (${row.response_code ?? "no code"}) that no request accounts for`);
  }
}

/**
 * A history entry's type against a request's kind: the history shows a balance inquiry (DE 3 = 31xxxx, an
 * authorization or financial message that moves no money) as a type of its own.
 */
function sameKind(type: string, kind: LedgerKind): boolean {
  return type === kind || (type === BALANCE_INQUIRY_TYPE && approvalKind(kind));
}

function approvalKind(kind: LedgerKind): boolean {
  return kind === "authorization" || kind === "financial";
}

/** TRANSACTION_PAGE_LIMIT entries per call; at most TRANSACTION_PAGES_MAX calls per account. */
const TRANSACTION_PAGE_LIMIT = 200;
const TRANSACTION_PAGES_MAX = 10_000;

/**
 * The history reader over the Processor API: every page of GET /v1/users/:id/transactions (the client
 * retries a 503 a bounded number of times; still unavailable, the account is not checked).
 */
export function historyThroughApi(client: ApiClient): HistoryReader {
  return async ({ userId }) => {
    if (userId === null) return null;
    const rows: LedgerEntry[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < TRANSACTION_PAGES_MAX; page++) {
      let answer;
      try {
        answer = await client.listTransactions(userId, { limit: TRANSACTION_PAGE_LIMIT, cursor });
      } catch (error) {
        if (isUnavailable(error)) throw new HistoryUnavailableError((error as Error).message, { cause: error });
        throw error;
      }
      for (const row of answer.data) rows.push(row);
      cursor = answer.next_cursor;
      if (cursor === null) return rows;
    }
    throw new Error(`GET /v1/users/${userId}/transactions: more than ${TRANSACTION_PAGES_MAX} pages`);
  };
}

