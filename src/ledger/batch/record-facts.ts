import { messageKind } from "../../authorize/transaction-key.ts";
import type { ReversalOriginal } from "../../authorize/decide.ts";
import type { AccountFacts } from "../../authorize/facts.ts";
import type { AuthorizationDecision, AuthorizationRequest, TransactionKind } from "../ledger.ts";
import type { NetworkRecord, TransactionStatus } from "./records.ts";
import type { AccountState } from "./state.ts";

/** What the Authorizer reads off stored records and state to give the rules their facts. */
const NETWORK_APPROVED: ReadonlySet<string> = new Set(["00", "10"]);

export function facts(account: AccountState | null): AccountFacts | null {
  return account === null ? null : { currency: account.currency, availableBalance: account.ledger - account.held };
}

export function statusOf(kind: TransactionKind, request: AuthorizationRequest, decision: AuthorizationDecision): TransactionStatus {
  if (kind === "reversal") return "posted";
  if (kind === "advice") return NETWORK_APPROVED.has(request.networkResponseCode ?? "") && decision.responseCode === "00" ? "approved" : "declined";
  const approved = decision.responseCode === "00" || decision.responseCode === "10";
  if (!approved) return "declined";
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

