import { describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { retryDelayMs } from "../../src/notify/backoff.ts";
import { webhookBody } from "../../src/ledger/event-body.ts";
import { signatureHeader, verifySignature } from "../../src/notify/signature.ts";
import { currencyAlpha } from "../../src/domain/currency.ts";

const SECRET = "whsec-test-0123456789abcdef";

describe("webhook signatures", () => {
  test("the header is t=<seconds>,v1=<hex HMAC-SHA256 of '<t>.<body>'>", () => {
    const body = '{"id":"evt_1","type":"topup"}';
    const expected = createHmac("sha256", SECRET).update(`1700000000.${body}`).digest("hex");
    expect(signatureHeader(SECRET, 1_700_000_000, body)).toBe(`t=1700000000,v1=${expected}`);
  });

  test("verification accepts the signed body and refuses anything else", () => {
    const body = '{"id":"evt_1"}';
    const header = signatureHeader(SECRET, 1_700_000_000, body);
    const now = { nowSeconds: 1_700_000_010 };
    expect(verifySignature(SECRET, header, body, now)).toBeNull();
    expect(verifySignature(SECRET, header, body + " ", now)).toBe("mismatch");
    expect(verifySignature("another-secret-0123456789", header, body, now)).toBe("mismatch");
    expect(verifySignature(SECRET, header, body, { nowSeconds: 1_700_000_000 + 301 })).toBe("stale");
    expect(verifySignature(SECRET, null, body, now)).toBe("missing");
    expect(verifySignature(SECRET, "v1=abc", body, now)).toBe("malformed");
    expect(verifySignature(SECRET, header.replace("t=1700000000", "t=1700000001"), body, now)).toBe("mismatch");
    // A second v1 (e.g. during secret rotation) is fine as long as one matches.
    expect(verifySignature(SECRET, `${header},v1=${"0".repeat(64)}`, body, now)).toBeNull();
  });
});

describe("retry backoff", () => {
  test("doubles from the minimum, is capped at the maximum, and stays within the bounds with jitter", () => {
    const low = () => 0;
    const high = () => 0.999_999;
    expect(retryDelayMs(0, 100, 10_000, () => 0.5)).toBe(100);
    expect(retryDelayMs(3, 100, 10_000, () => 0.5)).toBe(800);
    expect(retryDelayMs(30, 100, 10_000, () => 0.5)).toBe(10_000);
    expect(retryDelayMs(1000, 100, 10_000, high)).toBe(10_000);
    for (let failures = 0; failures < 40; failures++) {
      for (const random of [low, high, Math.random]) {
        const delay = retryDelayMs(failures, 100, 10_000, random);
        expect(delay).toBeGreaterThanOrEqual(100);
        expect(delay).toBeLessThanOrEqual(10_000);
      }
    }
  });
});

describe("event bodies", () => {
  test("snake_case keys, alphabetic currencies, and no card number, whatever the ledger stored", () => {
    const body = webhookBody(
      {
        id: "evt_1",
        type: "authorization.approved",
        accountId: "acc_1",
        createdAt: "2026-11-26T00:00:00.000Z",
        attempts: 0,
        data: {
          cardId: "crd_1",
          amount: 1200,
          currency: 392,
          billingCurrency: 840,
          merchant: { nameLocation: "SHOP 4900001234567890" },
          terminal: { nameLocation: "KONBINI SHINJUKU         SHINJUKU     JP" },
          pan: "4900001234567890",
        },
      },
      currencyAlpha,
    );
    expect(body).toEqual({
      id: "evt_1",
      type: "authorization.approved",
      created_at: "2026-11-26T00:00:00.000Z",
      data: {
        card_id: "crd_1",
        amount: 1200,
        currency: "JPY",
        billing_currency: "USD",
        merchant: { name_location: "SHOP 490000******7890", name: "SHOP 490000******7890", location: null },
        terminal: {
          name_location: "KONBINI SHINJUKU         SHINJUKU     JP",
          name: "KONBINI SHINJUKU",
          location: "SHINJUKU JP",
        },
        pan: "[redacted]",
      },
    });
  });
});
