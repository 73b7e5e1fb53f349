import type { AuthorizationDecision, AuthorizationRequest } from "../domain/authorization.ts";
import { messageKind } from "../domain/message-kinds.ts";
import { isApproval, type ApprovalResponseCode, type ResponseCode } from "../domain/response-codes.ts";
import type { ApprovalCodeSource } from "./approval-code.ts";
import {
  accountAmountOf,
  checkAmount,
  checkExpiry,
  checkFormat,
  checkLimits,
  checkStatus,
  PROCESSING_CODE_NOT_PERMITTED,
  transactionType,
  type Decline,
} from "./checks.ts";
import {
  NO_EFFECT,
  type AccountFacts,
  type CardFacts,
  type DeclineReason,
  type Effect,
  type Outcome,
  type UsageFacts,
} from "./facts.ts";
import { remainingInAccountCurrency } from "./reversal-amount.ts";

/**
 * The decisions, as pure functions of a request and the facts about it. Every ledger implementation calls
 * these, so the rules live in one place. Response codes are those of docs/architecture.md:
 * 00 approved · 10 partial · 05 original already reversed · 12 currency · 13 amount · 14 no card ·
 * 30 format · 41/43/46/62 card status · 51 funds · 54 expiry · 57 processing code · 61/65 limits.
 */
export interface AuthorizationInput {
  readonly request: AuthorizationRequest;
  readonly card: CardFacts | null;
  readonly account: AccountFacts | null;
  readonly usage: UsageFacts;
  /** A reversal for this key arrived before it: the original is declined, or its hold would never be released. */
  readonly reversedEarly: boolean;
}

/** 0100 / 0101 (hold) and 0200 (debit at once); DE 3 = 31xxxx is a balance inquiry in either. */
export function decideAuthorization(input: AuthorizationInput, nextApprovalCode: ApprovalCodeSource): Outcome {
  const { request, card, account } = input;
  const kind = messageKind(request.mti);
  if (kind !== "authorization" && kind !== "financial") return declined({ code: "12", reason: "unsupported_message" }, null, null);
  const format = checkFormat(request);
  if (format !== null) return declined(format, null, null);
  if (input.reversedEarly) return declined({ code: "05", reason: "reversed_before_original" }, account, null);
  if (card === null || account === null) return declined({ code: "14", reason: "no_such_card" }, null, null);
  const early = checkStatus(card) ?? checkExpiry(request, card);
  if (early !== null) return declined(early, account, null);
  const type = transactionType(request.processingCode);
  if (type === null) return declined(PROCESSING_CODE_NOT_PERMITTED, account, null);
  if (type === "inquiry") {
    const amounts = { approvedAmount: null, availableBalance: account.availableBalance };
    return approved("00", nextApprovalCode(), account, amounts, 0, NO_EFFECT);
  }
  const amount = accountAmountOf(request, account);
  const late = checkAmount(amount) ?? checkLimits(amount!, card.limits, input.usage);
  if (late !== null) return declined(late, account, amount);
  return decideFunds(request, account, amount!, kind, nextApprovalCode);
}

function decideFunds(
  request: AuthorizationRequest,
  account: AccountFacts,
  amount: number,
  kind: "authorization" | "financial",
  nextApprovalCode: ApprovalCodeSource,
): Outcome {
  const available = account.availableBalance;
  if (available >= amount) return approved("00", nextApprovalCode(), account, NO_AMOUNTS, amount, fundsEffect(kind, amount));
  if (request.partialAllowed && available > 0) {
    const amounts = { approvedAmount: available, availableBalance: null };
    return approved("10", nextApprovalCode(), account, amounts, amount, fundsEffect(kind, available));
  }
  return declined({ code: "51", reason: "insufficient_funds" }, account, amount);
}

/** An 0100 holds, an 0200 posts at once. */
function fundsEffect(kind: "authorization" | "financial", amount: number): Effect {
  return kind === "financial" ? { type: "debit", amount } : { type: "hold", amount };
}

export interface AdviceInput {
  readonly request: AuthorizationRequest;
  readonly account: AccountFacts | null;
  /** Our own hold for the key: pending (its amount), concluded (voided, expired, posted), or none. */
  readonly ownHold: { readonly state: "pending"; readonly amount: number } | { readonly state: "concluded" } | null;
  /** A reversal that came before this advice: DE 95's remaining amount, transaction currency. */
  readonly earlyReversal: { readonly remaining: number } | null;
}

/**
 * 0120 / 0121: the network already decided. Apply it, even into a negative balance: an approval holds the
 * amount (reconciling our own hold for the key, never adding a second), a decline releases our hold.
 * Acknowledged with 00 whatever the outcome, unless the advice is malformed (30).
 */
export function decideAdvice(input: AdviceInput): Outcome {
  const { request, account } = input;
  if (messageKind(request.mti) !== "advice") return declined({ code: "12", reason: "unsupported_message" }, null, null);
  if (checkFormat(request) !== null || request.networkResponseCode === null) {
    return declined({ code: "30", reason: "format_error" }, account, null);
  }
  if (account === null) return acknowledged(null, "no_such_card", null, NO_EFFECT);
  const amount = accountAmountOf(request, account);
  if (amount === null) return acknowledged(account, "currency_not_supported", null, NO_EFFECT);
  const networkApproved = isApproval(request.networkResponseCode);
  let target = networkApproved ? amount : 0;
  let reason: DeclineReason | null = networkApproved ? null : "network_declined";
  if (input.earlyReversal !== null && target > 0) {
    target = Math.min(target, remainingInAccountCurrency(input.earlyReversal.remaining, request.amount, amount));
    reason = "reversed_before_original";
  }
  const own = input.ownHold;
  if (own === null) return acknowledged(account, reason, amount, target > 0 ? { type: "hold", amount: target } : NO_EFFECT);
  if (own.state === "concluded") return acknowledged(account, reason, amount, NO_EFFECT);
  return acknowledged(account, reason, amount, own.amount === target ? NO_EFFECT : { type: "set-hold", amount: target });
}

export interface ReversalOriginal {
  /** DE 4 of the original, transaction currency. */
  readonly requestAmount: number;
  /** The original's amount in the account's currency. */
  readonly accountAmount: number;
  /** Its hold, when still pending: the amount held now. */
  readonly pendingHold: number | null;
  /** A posted financial: what is posted and not yet reversed. */
  readonly postedRemaining: number | null;
}

export interface ReversalInput {
  readonly request: AuthorizationRequest;
  readonly original: ReversalOriginal | null;
  readonly accountCurrency: number | null;
}

/**
 * 0400 / 0401 / 0420 / 0421: release the original's hold down to DE 95's amount (all of it without DE 95),
 * or credit back a posted financial. "Down to" makes a repeat a no-op. A reversal whose original has not
 * been seen is remembered, so that the late original is declined. Always acknowledged (00) unless malformed.
 */
export function decideReversal(input: ReversalInput): Outcome {
  const { request, original } = input;
  if (messageKind(request.mti) !== "reversal") return declined({ code: "12", reason: "unsupported_message" }, null, null);
  const replacementOk = request.replacementAmount === null || (Number.isSafeInteger(request.replacementAmount) && request.replacementAmount >= 0);
  if (checkFormat(request) !== null || request.originalKey === null || !replacementOk) {
    return declined({ code: "30", reason: "format_error" }, null, null);
  }
  const account = input.accountCurrency;
  if (original === null) {
    return acknowledged(account, null, null, { type: "early-reversal", remaining: request.replacementAmount ?? 0 });
  }
  const target =
    request.replacementAmount === null
      ? 0
      : remainingInAccountCurrency(request.replacementAmount, original.requestAmount, original.accountAmount);
  if (original.pendingHold !== null) {
    const remaining = Math.min(original.pendingHold, target);
    const effect: Effect = remaining === original.pendingHold ? NO_EFFECT : { type: "release", remaining };
    return acknowledged(account, null, original.pendingHold - remaining, effect);
  }
  if (original.postedRemaining !== null) {
    const credit = original.postedRemaining - Math.min(original.postedRemaining, target);
    return acknowledged(account, null, credit, credit > 0 ? { type: "credit", amount: credit } : NO_EFFECT);
  }
  return acknowledged(account, null, 0, NO_EFFECT);
}

type Currency = AccountFacts | number | null;
type DecisionAmounts = { readonly approvedAmount: number | null; readonly availableBalance: number | null };
const NO_AMOUNTS: DecisionAmounts = { approvedAmount: null, availableBalance: null };

function decision(
  responseCode: ResponseCode,
  approvalCode: string | null,
  account: Currency,
  amounts: DecisionAmounts = NO_AMOUNTS,
): AuthorizationDecision {
  const accountCurrency = account === null || typeof account === "number" ? account : account.currency;
  return {
    responseCode,
    approvalCode,
    approvedAmount: amounts.approvedAmount,
    availableBalance: amounts.availableBalance,
    accountCurrency,
    replayed: false,
  };
}

function declined(found: Decline, account: Currency, accountAmount: number | null): Outcome {
  return { decision: decision(found.code, null, account), reason: found.reason, accountAmount, effect: NO_EFFECT };
}

function approved(
  code: ApprovalResponseCode,
  approvalCode: string,
  account: AccountFacts,
  amounts: DecisionAmounts,
  accountAmount: number,
  effect: Effect,
): Outcome {
  return { decision: decision(code, approvalCode, account, amounts), reason: null, accountAmount, effect };
}

function acknowledged(account: Currency, reason: Outcome["reason"], accountAmount: number | null, effect: Effect): Outcome {
  return { decision: decision("00", null, account), reason, accountAmount, effect };
}
