import type { ApprovalCodeSource } from "../../authorize/approval-code.ts";
import { utcDay } from "../../authorize/checks.ts";
import { decideAdvice, decideAuthorization, decideReversal } from "../../authorize/decide.ts";
import type { Outcome, UsageFacts } from "../../authorize/facts.ts";
import { replayDecision, resolvePrior } from "../../authorize/prior.ts";
import type { AuthorizationDecision, AuthorizationRequest } from "../../domain/authorization.ts";
import { messageKind } from "../../domain/message-kinds.ts";
import { PAN_DIGITS_MAX, PAN_DIGITS_MIN } from "../../domain/pan.ts";
import { isApproval } from "../../domain/response-codes.ts";
import type { TransactionKind } from "../ledger.ts";
import { PAN_INDEX_BYTES, PAN_INDEX_SCRATCH_BYTES } from "../pan-vault.ts";
import type { EffectWriter, EventType } from "./effect-writer.ts";
import { facts, pickOriginal, reversalFacts, statusOf } from "./record-facts.ts";
import { RecordsByKey, type NetworkRecord, type RecordSource, type TransactionStatus } from "./records.ts";
import { countUsage, type AccountState, type CardState, type LedgerState } from "./state.ts";
import { AssertionFailure } from "../../ops/assert.ts";

/**
 * One batch of network requests, decided in order against a LedgerState and the records already stored
 * for their keys. The rules are the pure functions of src/authorize/; this class gathers their facts and
 * applies the effects they return through the writer. Requests of one batch see each other's effects: the
 * state changes at once, and every new record joins the batch's map of records by key. Both ledgers run
 * their batches through it; they differ only in where the state, the records and the writes live.
 */
export interface AuthorizerOptions {
  /** The state's owner, read at each use and never kept (see EffectWriter). */
  readonly state: () => LedgerState;
  readonly reader: RecordSource;
  readonly writer: EffectWriter;
  readonly panIndexInto: (pan: string, out: Uint8Array) => void;
  readonly approvalCodes: ApprovalCodeSource;
}

const NO_USAGE: UsageFacts = { amount: 0, count: 0 };

export class Authorizer {
  private readonly records = new RecordsByKey();
  private readonly panIndex = new Uint8Array(PAN_INDEX_SCRATCH_BYTES);
  /** The batch's PAN indexes, 32 bytes per request, computed together before the batch is decided. */
  private batchIndexes = new Uint8Array(0);
  private batchHasIndex: boolean[] = [];
  private current = 0;
  private nowMs = 0;

  constructor(private readonly options: AuthorizerOptions) {}

  private get state(): LedgerState {
    return this.options.state();
  }

  /** Runs inside the caller's transaction; the caller flushes the writer and commits. */
  run(requests: readonly AuthorizationRequest[], nowMs: number): AuthorizationDecision[] {
    this.prepare(requests);
    return this.decidePrepared(requests, nowMs);
  }

  /**
   * Hashes every PAN of the batch in one tight loop (the hash stays hot in the CPU's caches). Public for a
   * ledger that must know a batch's cards before it opens the transaction: see preparedIndexes().
   */
  prepare(requests: readonly AuthorizationRequest[]): void {
    if (this.batchIndexes.length < requests.length * PAN_INDEX_BYTES) this.batchIndexes = new Uint8Array(requests.length * PAN_INDEX_BYTES);
    this.batchHasIndex.length = requests.length;
    for (let i = 0; i < requests.length; i++) {
      const pan = requests[i]!.pan;
      const plausible = pan.length >= PAN_DIGITS_MIN && pan.length <= PAN_DIGITS_MAX; // else the rules answer 30
      this.batchHasIndex[i] = plausible;
      if (!plausible) continue;
      this.options.panIndexInto(pan, this.panIndex);
      this.batchIndexes.set(this.panIndex.subarray(0, PAN_INDEX_BYTES), i * PAN_INDEX_BYTES);
    }
  }

  /** The prepared batch's PAN indexes: request i's 32 bytes start at i × PAN_INDEX_BYTES when has[i]. */
  preparedIndexes(): { readonly bytes: Uint8Array; readonly has: readonly boolean[] } {
    return { bytes: this.batchIndexes, has: this.batchHasIndex };
  }

  /** Decides the batch last given to prepare(). */
  decidePrepared(requests: readonly AuthorizationRequest[], nowMs: number): AuthorizationDecision[] {
    if (this.batchHasIndex.length !== requests.length) throw new AssertionFailure("the batch decided is not the one prepared");
    this.nowMs = nowMs;
    this.records.clear();
    this.options.reader.read(keysOf(requests), this.records);
    const decisions = new Array<AuthorizationDecision>(requests.length);
    for (let i = 0; i < requests.length; i++) {
      this.current = i;
      decisions[i] = this.decide(requests[i]!);
    }
    return decisions;
  }

  private decide(request: AuthorizationRequest): AuthorizationDecision {
    const kind = messageKind(request.mti);
    if (kind === null) return this.authorize(request, null);
    const resolution = resolvePrior(kind, this.records.recordsOf(request.key));
    if (resolution.type === "replay") return replayDecision(resolution.record, kind);
    switch (kind) {
      case "authorization":
      case "financial":
        return this.authorize(request, kind);
      case "advice":
        return this.advise(request, resolution.type === "reconcile" ? resolution.record : null);
      case "reversal":
        return this.reverse(request);
    }
  }

  private authorize(request: AuthorizationRequest, kind: "authorization" | "financial" | null): AuthorizationDecision {
    const card = kind === null ? null : this.currentCard();
    const account = card === null ? null : this.state.accounts.get(card.accountSeq)!;
    const day = card === null ? 0 : Math.max(utcDay(request.receivedAtMs), card.usageDay);
    const usage = card !== null && day === card.usageDay ? { amount: card.usageAmount, count: card.usageCount } : NO_USAGE;
    const reversedEarly = this.state.earlyReversals.has(request.key);
    const outcome = decideAuthorization({ request, card, account: facts(account), usage, reversedEarly }, this.options.approvalCodes);
    const record = this.record(request, kind ?? "authorization", card, account, outcome);
    const effect = outcome.effect;
    if (effect.type === "hold" || effect.type === "debit") {
      if (effect.type === "hold") {
        this.options.writer.placeHold(record, account!, effect.amount);
      } else {
        this.options.writer.post(record.seq, [[account!, -effect.amount], [this.settlement(account!), effect.amount]]);
      }
      record.approvedAmount = effect.amount;
      record.usageDay = day;
      countUsage(card!, day, effect.amount);
      this.state.dirtyCards.add(card!);
    }
    this.event(isApproval(outcome.decision.responseCode) ? "authorization.approved" : "authorization.declined", record);
    return outcome.decision;
  }

  private advise(request: AuthorizationRequest, ours: NetworkRecord | null): AuthorizationDecision {
    const card = ours !== null && ours.accountSeq !== null ? this.cardOf(ours.cardSeq) : this.currentCard();
    const account = ours !== null && ours.accountSeq !== null ? this.state.accounts.get(ours.accountSeq)! : this.accountOf(card);
    const ownHold =
      ours === null || ours.holdState === null
        ? null
        : ours.holdState === "pending"
          ? { state: "pending" as const, amount: ours.holdAmount! }
          : { state: "concluded" as const };
    const earlyReversal = this.state.earlyReversals.get(request.key) ?? null;
    const outcome = decideAdvice({ request, account: facts(account), ownHold, earlyReversal });
    const record = this.record(request, "advice", card, account, outcome);
    const effect = outcome.effect;
    if (effect.type === "hold") {
      this.options.writer.placeHold(record, account!, effect.amount);
      record.approvedAmount = effect.amount;
    } else if (effect.type === "set-hold") {
      this.options.writer.changeHold(ours!, effect.amount, "voided", this.nowMs);
      record.approvedAmount = effect.amount;
      if (effect.amount === 0) this.setStatus(ours!, "reversed");
    }
    this.event("advice", record);
    return outcome.decision;
  }

  private reverse(request: AuthorizationRequest): AuthorizationDecision {
    const original = pickOriginal(request.originalKey === null ? [] : this.records.recordsOf(request.originalKey));
    const card = original !== null ? this.cardOf(original.cardSeq) : this.currentCard();
    const account = original !== null ? this.accountOfSeq(original.accountSeq) : this.accountOf(card);
    const outcome = decideReversal({ request, original: reversalFacts(original), accountCurrency: account?.currency ?? null });
    const record = this.record(request, "reversal", card, account, outcome);
    record.relatedSeq = original?.seq ?? null;
    const effect = outcome.effect;
    const writer = this.options.writer;
    if (effect.type === "release") {
      const released = writer.changeHold(original!, effect.remaining, "voided", this.nowMs);
      this.markReversed(original!, released, effect.remaining === 0);
    } else if (effect.type === "credit") {
      writer.post(record.seq, [[account!, effect.amount], [this.settlement(account!), -effect.amount]]);
      this.markReversed(original!, effect.amount, original!.reversedAmount + effect.amount === original!.approvedAmount);
    } else if (effect.type === "early-reversal") {
      const key = request.originalKey!;
      const known = this.state.earlyReversals.get(key);
      const remaining = known === undefined ? effect.remaining : Math.min(known.remaining, effect.remaining);
      writer.rememberEarlyReversal(key, { remaining, reversalSeq: known?.reversalSeq ?? record.seq, createdAtMs: known?.createdAtMs ?? this.nowMs });
    }
    this.event("reversal", record);
    return outcome.decision;
  }

  private markReversed(original: NetworkRecord, amount: number, whole: boolean): void {
    original.reversedAmount += amount;
    this.setStatus(original, whole ? "reversed" : "partially_reversed");
  }

  private setStatus(record: NetworkRecord, status: TransactionStatus): void {
    record.status = status;
    this.options.writer.changed(record);
  }

  private record(
    request: AuthorizationRequest,
    kind: TransactionKind,
    card: CardState | null,
    account: AccountState | null,
    outcome: Outcome,
  ): NetworkRecord {
    const decision = outcome.decision;
    const record: NetworkRecord = {
      seq: this.options.writer.nextTransactionSeq(),
      kind,
      mti: request.mti,
      key: request.key,
      cardSeq: card?.seq ?? null,
      accountSeq: account?.seq ?? null,
      prevSeq: null,
      requestAmount: request.amount >= 0 ? request.amount : null,
      requestCurrency: request.currency > 0 ? request.currency : null,
      billingAmount: request.billingAmount,
      billingCurrency: request.billingCurrency,
      amount: outcome.accountAmount,
      approvedAmount: null,
      accountCurrency: decision.accountCurrency,
      responseCode: decision.responseCode,
      approvalCode: decision.approvalCode,
      availableBalance: decision.availableBalance,
      status: statusOf(kind, request, decision),
      reason: outcome.reason,
      networkResponseCode: request.networkResponseCode,
      networkApprovalCode: request.networkApprovalCode ?? null,
      originalKey: request.originalKey,
      replacementAmount: request.replacementAmount,
      relatedSeq: null,
      reversedAmount: 0,
      holdAmount: null,
      holdState: null,
      holdResolvedAtMs: null,
      usageDay: null,
      processingCode: request.processingCode === "" ? null : request.processingCode,
      retrievalReference: request.retrievalReference,
      merchantCategory: request.merchantCategory,
      terminalId: request.terminalId,
      merchantId: request.merchantId,
      merchantNameLocation: request.merchantNameLocation,
      receivedAtMs: request.receivedAtMs,
      createdAtMs: this.nowMs,
      stored: false,
    };
    this.options.writer.addTransaction(record);
    this.records.add(record);
    return record;
  }

  private event(type: EventType, record: NetworkRecord): void {
    if (record.accountSeq !== null) this.options.writer.event(type, record.accountSeq, record.seq, null, this.nowMs);
  }

  /** The card the current request's PAN names, found by the index prepare() computed for it. */
  private currentCard(): CardState | null {
    if (!this.batchHasIndex[this.current]) return null;
    return this.state.cardsByPanIndex.find(this.batchIndexes, this.current * PAN_INDEX_BYTES);
  }

  private cardOf(seq: number | null): CardState | null {
    return seq === null ? null : (this.state.cards.get(seq) ?? null);
  }

  private accountOf(card: CardState | null): AccountState | null {
    return card === null ? null : this.state.accounts.get(card.accountSeq)!;
  }

  private accountOfSeq(seq: number | null): AccountState | null {
    return seq === null ? null : this.state.accounts.get(seq)!;
  }

  private settlement(account: AccountState): AccountState {
    const settlement = this.state.systemAccount("settlement", account.currency);
    if (settlement === undefined) throw new AssertionFailure(`no settlement account for currency ${account.currency}`);
    return settlement;
  }
}

/** Every key a batch may need records for (duplicates are harmless in the IN lists). */
export function keysOf(requests: readonly AuthorizationRequest[]): string[] {
  const keys: string[] = [];
  for (const request of requests) {
    keys.push(request.key);
    if (request.originalKey !== null) keys.push(request.originalKey);
  }
  return keys;
}
