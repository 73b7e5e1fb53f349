import { luhnCheckDigit } from "../../src/domain/luhn.ts";
import { transactionKey } from "../../src/authorize/transaction-key.ts";
import type { AuthorizationRequest } from "../../src/domain/authorization.ts";

/**
 * Plain authorization requests for ledger and rule tests: sensible defaults (an 0100 purchase of 1000 JPY
 * from acquirer 12345678), a fresh STAN per request, the key computed the way requestFromView does.
 */
export const TEST_ACQUIRER = "12345678";
export const TEST_DE7 = "1115120000";

export type RequestFields = Partial<Omit<AuthorizationRequest, "key">> & { key?: string };

export class RequestFactory {
  private stan = 0;
  constructor(private readonly nowMs: () => number) {}

  nextStan(): string {
    this.stan = (this.stan % 999_999) + 1;
    return String(this.stan).padStart(6, "0");
  }

  make(pan: string, fields: RequestFields = {}): AuthorizationRequest {
    const base = {
      mti: 100,
      pan,
      processingCode: "000000",
      amount: 1000,
      currency: 392,
      billingAmount: null,
      billingCurrency: null,
      expiry: null,
      transmissionDateTime: TEST_DE7,
      stan: this.nextStan(),
      acquirer: TEST_ACQUIRER,
      retrievalReference: null,
      merchantCategory: "5411",
      terminalId: "TERM0001",
      merchantId: "MERCHANT0000001",
      merchantNameLocation: "SEKISHO MART SHIBUYA     TOKYO        JP",
      originalKey: null,
      replacementAmount: null,
      networkResponseCode: null,
      networkApprovalCode: null,
      partialAllowed: false,
      receivedAtMs: this.nowMs(),
      ...fields,
    };
    return { ...base, key: fields.key ?? transactionKey(base) };
  }

  /** The same transaction sent again with another MTI (a repeat, or the advice for it). */
  again(request: AuthorizationRequest, fields: RequestFields): AuthorizationRequest {
    const next = { ...request, ...fields };
    return { ...next, key: fields.key ?? transactionKey(next) };
  }

  /** A reversal of `original` (its own STAN; DE 90 names the original), down to `replacement` if given. */
  reversal(original: AuthorizationRequest, fields: RequestFields = {}): AuthorizationRequest {
    return this.make(original.pan, {
      mti: 400,
      amount: original.amount,
      currency: original.currency,
      originalKey: original.key,
      ...fields,
    });
  }
}

/** Luhn-valid test PANs from a 6-digit BIN and a serial. */
export function testPan(serial: number, bin = "411111"): string {
  const body = bin + String(serial).padStart(9, "0");
  return body + String(luhnCheckDigit(body));
}
