import type { ReversalOriginal } from "../../authorize/decide.ts";
import type { AccountFacts } from "../../authorize/facts.ts";
import type { AuthorizationDecision, AuthorizationRequest } from "../../domain/authorization.ts";
import { messageKind } from "../../domain/message-kinds.ts";
import { isApproval } from "../../domain/response-codes.ts";
import type { TransactionKind } from "../ledger.ts";
import type { NetworkRecord, TransactionStatus } from "./records.ts";
import type { AccountState } from "./state.ts";

/** What the Authorizer reads off stored records and state to give the rules their facts. */

export function facts(account: AccountState | null): AccountFacts | null {
  return account === null ? null : { currency: account.currency, availableBalance: account.ledger - account.held };
}

export function statusOf(kind: TransactionKind, request: AuthorizationRequest, decision: AuthorizationDecision): TransactionStatus {
  if (kind === "reversal") return "posted";
  if (kind === "advice") return isApproval(request.networkResponseCode) && decision.responseCode === "00" ? "approved" : "declined";
  if (!isApproval(decision.responseCode)) return "declined";
  return kind === "financial" ? "posted" : "approved";
}

/** The record a reversal acts on: the one holding for the key, else a posted financial, else any. */
export function pickOriginal(records: readonly NetworkRecord[]): NetworkRecord | null {
  const candidates = records.filter((record) => messageKind(record.mti) !== "reversal" && messageKind(record.mti) !== null);
  return (
    candidates.find((record) => record.holdState === "pending") ??
    candidates.find((record) => record.holdState !== null) ??
    candidates.find((record) => record.kind === "financial" && record.approvedAmount !== null) ??
    candidates[0] ??
    null
  );
}

export function reversalFacts(original: NetworkRecord | null): ReversalOriginal | null {
  if (original === null) return null;
  const isPostedFinancial = original.kind === "financial" && original.approvedAmount !== null;
  return {
    requestAmount: original.requestAmount ?? 0,
    accountAmount: original.amount ?? 0,
    pendingHold: original.holdState === "pending" ? original.holdAmount : null,
    postedRemaining: isPostedFinancial ? original.approvedAmount! - original.reversedAmount : null,
  };
}

