import type { AuthorizationDecision, AuthorizationRequest } from "../../src/domain/authorization.ts";
import type { Ledger } from "../../src/ledger/ledger.ts";
import { AssertionFailure } from "../../src/ops/assert.ts";

/**
 * A ledger double for engine tests that need to control the ledger's timing and failures (a slow commit,
 * a failing batch). It approves every request and remembers what it was given; it is not a ledger — the
 * end-to-end tests run the real one.
 */
export class ScriptedLedger implements Ledger {
  readonly seen: AuthorizationRequest[] = [];
  readonly batchSizes: number[] = [];
  /** Awaited before each batch commits; tests replace it to hold batches back. */
  gate: () => Promise<void> = async () => {};
  failNext = 0;
  /** Batches that break an invariant (throw an AssertionFailure) before any that fail. */
  breakNext = 0;
  private approvals = 0;

  async authorizeBatch(requests: readonly AuthorizationRequest[]): Promise<AuthorizationDecision[]> {
    await this.gate();
    if (this.breakNext > 0) {
      this.breakNext--;
      throw new AssertionFailure("journal entry 7 does not balance (1)");
    }
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error("ledger unavailable (scripted)");
    }
    this.batchSizes.push(requests.length);
    this.seen.push(...requests);
    return requests.map(() => ({
      responseCode: "00",
      approvalCode: String(++this.approvals).padStart(6, "0"),
      approvedAmount: null,
      availableBalance: null,
      accountCurrency: 392,
      replayed: false,
    }));
  }

  private unsupported(): never {
    throw new Error("not part of the scripted ledger");
  }
  createUser = () => this.unsupported();
  getUser = () => this.unsupported();
  listUsers = () => this.unsupported();
  listCards = () => this.unsupported();
  issueCard = () => this.unsupported();
  getCard = () => this.unsupported();
  updateCard = () => this.unsupported();
  topUp = () => this.unsupported();
  listTransactions = () => this.unsupported();
  claimOutbox = () => this.unsupported();
  completeOutbox = () => this.unsupported();
  retryOutbox = () => this.unsupported();
  outboxBacklog = () => this.unsupported();
  listEvents = () => this.unsupported();
  pruneEvents = () => this.unsupported();
  expireHolds = () => this.unsupported();
  checkConsistency = () => this.unsupported();
  async close(): Promise<void> {}
}
