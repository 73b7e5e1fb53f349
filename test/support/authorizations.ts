import { transactionKey } from "../../src/authorize/transaction-key.ts";
import type { AuthorizationRequest } from "../../src/domain/authorization.ts";

/**
 * Authorization requests as the engine hands them to the ledger (keys from src/authorize), built directly, for
 * tests that need history or events. Each call gets a fresh STAN, so keys never repeat by accident.
 */
let stan = 0;

export interface AuthorizationOptions {
  mti?: number;
  amount?: number;
  currency?: number;
  merchant?: string;
  mcc?: string;
  originalKey?: string | null;
  expiry?: string | null;
}

/** DE 43 layout: name (25), city (13), country (2). */
export function merchantField(name: string, city = "TOKYO", country = "JP"): string {
  return name.padEnd(25).slice(0, 25) + city.padEnd(13).slice(0, 13) + country;
}

export function authorization(pan: string, options: AuthorizationOptions = {}): AuthorizationRequest {
  stan = (stan % 999_999) + 1;
  const mti = options.mti ?? 100;
  const stanText = String(stan).padStart(6, "0");
  const transmission = "1126101010";
  return {
    mti,
    key: transactionKey({ mti, acquirer: "123456", stan: stanText, transmissionDateTime: transmission }),
    pan,
    processingCode: "000000",
    amount: options.amount ?? 1000,
    currency: options.currency ?? 392,
    billingAmount: null,
    billingCurrency: null,
    expiry: options.expiry === undefined ? null : options.expiry,
    transmissionDateTime: transmission,
    stan: stanText,
    acquirer: "123456",
    retrievalReference: "000000" + stanText,
    merchantCategory: options.mcc ?? "5411",
    terminalId: "TERM0001",
    merchantId: "MERCHANT0000001",
    merchantNameLocation: options.merchant ?? merchantField("SEKISHO MART"),
    originalKey: options.originalKey ?? null,
    replacementAmount: null,
    networkResponseCode: null,
    networkApprovalCode: null,
    partialAllowed: false,
    receivedAtMs: Date.now(),
  };
}
