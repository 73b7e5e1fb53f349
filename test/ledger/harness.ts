import type { CardLimits } from "../../src/domain/card-limits.ts";
import type { Ledger } from "../../src/ledger/ledger.ts";
import { RequestFactory, testPan } from "../support/requests.ts";

/**
 * What the shared ledger cases need from an implementation: a fresh, empty ledger whose clock the test
 * moves, and a restart (close, open the same storage again). The SQLite tests give temp files; the
 * PostgreSQL tests give a fresh database.
 */
export interface LedgerHarness {
  /** The current ledger; replaced by reopen(). */
  ledger: Ledger;
  /** What the ledger's clock reads, ms since the epoch. */
  nowMs: number;
  reopen(): Promise<void>;
  /** Closes the ledger and removes its storage. */
  dispose(): Promise<void>;
}

export interface HarnessOptions {
  readonly holdTimeoutSeconds?: number;
  /** Seeds the ledger's approval-code randomness. */
  readonly seed?: number;
  /** Events written queued for webhook delivery (the ledgers' default, true) or only kept. */
  readonly queueEvents?: boolean;
}

export type OpenHarness = (options: HarnessOptions) => Promise<LedgerHarness>;

export const TEST_PAN_KEY_HEX = "0f".repeat(32);

/** 2026-11-15 12:00 UTC. Cards expiring 2611 are valid through this month. */
export const TEST_NOW_MS = Date.UTC(2026, 10, 15, 12);

export interface Cardholder {
  readonly userId: string;
  readonly cardId: string;
  readonly pan: string;
}

let panSerial = 0;

/** A user with one card and, unless told otherwise, 10,000 JPY of funds. */
export async function cardholder(
  ledger: Ledger,
  options: { funds?: number; limits?: Partial<CardLimits>; expiry?: string } = {},
): Promise<Cardholder> {
  const user = await ledger.createUser({ name: "Test Holder" });
  const pan = testPan(++panSerial);
  const card = await ledger.issueCard(user.id, { pan, expiry: options.expiry ?? "2712", ...(options.limits ? { limits: options.limits } : {}) });
  const funds = options.funds ?? 10_000;
  if (funds > 0) await ledger.topUp(user.id, { amount: funds, idempotencyKey: `seed-${user.id}`, fingerprint: "seed" });
  return { userId: user.id, cardId: card.id, pan };
}

export async function balances(ledger: Ledger, userId: string) {
  const found = await ledger.getUser(userId);
  if (found === null) throw new Error("user vanished");
  return found.balances;
}

export function requestsFor(harness: LedgerHarness): RequestFactory {
  return new RequestFactory(() => harness.nowMs);
}
