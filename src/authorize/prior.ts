import type { AuthorizationDecision } from "../domain/authorization.ts";
import { isApproval, isResponseCode, type ResponseCode } from "../domain/response-codes.ts";
import { messageKind, type MessageKind } from "../domain/message-kinds.ts";

/**
 * What an earlier record for the same key means for a new request: replay its answer (a duplicate or a
 * repeat), reconcile with it (an advice for a transaction we decided ourselves), or nothing (a new one).
 */
export interface PriorRecord {
  readonly mti: number;
  readonly responseCode: ResponseCode;
  readonly approvalCode: string | null;
  /** The amount approved, account currency (for 10, the partial amount). */
  readonly approvedAmount: number | null;
  readonly availableBalance: number | null;
  readonly accountCurrency: number | null;
  /** Advices: the network's DE 39 and DE 38. */
  readonly networkResponseCode: string | null;
  readonly networkApprovalCode: string | null;
}

export type Resolution<T extends PriorRecord> =
  | { readonly type: "new" }
  | { readonly type: "replay"; readonly record: T }
  | { readonly type: "reconcile"; readonly record: T };

export function resolvePrior<T extends PriorRecord>(kind: MessageKind, priors: readonly T[]): Resolution<T> {
  const same = priors.find((record) => messageKind(record.mti) === kind);
  if (same !== undefined) return { type: "replay", record: same };
  if (kind === "authorization") {
    // The network stood in already: its answer is the answer.
    const advice = priors.find((record) => messageKind(record.mti) === "advice");
    return advice === undefined ? { type: "new" } : { type: "replay", record: advice };
  }
  if (kind === "advice") {
    const ours = priors.find((record) => messageKind(record.mti) === "authorization");
    return ours === undefined ? { type: "new" } : { type: "reconcile", record: ours };
  }
  return { type: "new" };
}

/**
 * The first answer again, marked as a replay. An authorization that arrives after its advice gets the
 * network's decision (a code outside our list becomes 05).
 */
export function replayDecision(record: PriorRecord, kind: MessageKind): AuthorizationDecision {
  if (kind === "authorization" && messageKind(record.mti) === "advice") {
    const network = record.networkResponseCode ?? "05";
    const responseCode: ResponseCode = isResponseCode(network) ? network : "05";
    const approved = isApproval(responseCode);
    return {
      responseCode,
      approvalCode: approved ? record.networkApprovalCode : null,
      approvedAmount: null,
      availableBalance: null,
      accountCurrency: record.accountCurrency,
      replayed: true,
    };
  }
  return {
    responseCode: record.responseCode,
    approvalCode: record.approvalCode,
    approvedAmount: record.responseCode === "10" ? record.approvedAmount : null,
    availableBalance: record.availableBalance,
    accountCurrency: record.accountCurrency,
    replayed: true,
  };
}
