import type { ResponseCode } from "./response-codes.ts";

/**
 * One network request, as plain data taken from the decoded message: what the engine hands the ledger,
 * which answers each with an AuthorizationDecision. Card data never leaves the process. Money is an
 * integer number of minor units (ISO 4217 numeric currency codes).
 */
export interface AuthorizationRequest {
  /** One of AUTHORIZED_MTIS (message-kinds.ts). */
  readonly mti: number;
  /** The transaction key (see transactionKey in src/authorize/); equal for an 0100 and its 0120 advice. */
  readonly key: string;
  /** DE 2 (or the PAN in DE 35). Never logged, never stored in clear. */
  readonly pan: string;
  /** DE 3. */
  readonly processingCode: string;
  /** DE 4 and DE 49. */
  readonly amount: number;
  readonly currency: number;
  /** DE 6 and DE 51, when present. */
  readonly billingAmount: number | null;
  readonly billingCurrency: number | null;
  /** DE 14, YYMM, when present. */
  readonly expiry: string | null;
  /** DE 7 (MMDDhhmmss), DE 11, DE 32, DE 37. */
  readonly transmissionDateTime: string;
  readonly stan: string;
  readonly acquirer: string;
  readonly retrievalReference: string | null;
  /** DE 18, 41, 42, 43. */
  readonly merchantCategory: string | null;
  readonly terminalId: string | null;
  readonly merchantId: string | null;
  readonly merchantNameLocation: string | null;
  /** Reversals: the key of the transaction reversed (from DE 90, else the request's own key as an 01xx). */
  readonly originalKey: string | null;
  /** Reversals: DE 95's actual amount — what stays authorized after a partial reversal. */
  readonly replacementAmount: number | null;
  /** Advices: DE 39, the decision the network took on our behalf. */
  readonly networkResponseCode: string | null;
  /** Advices: DE 38, the approval code the network gave on our behalf (answers a later 0100 for the key). */
  readonly networkApprovalCode?: string | null;
  /** The acquirer accepts a partial approval: DE 60 position 12 = "1" (see src/authorize/request.ts). */
  readonly partialAllowed: boolean;
  /** When the request was read off the link (ms since the epoch). */
  readonly receivedAtMs: number;
}

export interface AuthorizationDecision {
  readonly responseCode: ResponseCode;
  /** DE 38 on approval (00 / 10), a fresh 6-character code; the first answer's code on a replay. */
  readonly approvalCode: string | null;
  /** Partial approval: the amount approved (goes back in DE 4). */
  readonly approvedAmount: number | null;
  /** Balance inquiries (DE 3 = 31xxxx): the available balance, for DE 54. */
  readonly availableBalance: number | null;
  /** Currency of the account the decision was taken against (ISO 4217 numeric), when known. */
  readonly accountCurrency: number | null;
  /** True when this is a duplicate or repeat and the first answer was returned unchanged. */
  readonly replayed: boolean;
}
