import { describe, expect, test } from "bun:test";
import { partialAllowedByDe60, replacementAmount, requestFromView, trackExpiry } from "../../src/authorize/request.ts";
import { checkFormat } from "../../src/authorize/checks.ts";
import { transactionKey } from "../../src/authorize/transaction-key.ts";
import { MessageBuilder } from "../../src/iso8583/message-builder.ts";
import { MessageView } from "../../src/iso8583/message-view.ts";
import { loadProfile, PROFILE_NAMES } from "../../src/iso8583/profiles/index.ts";
import type { CompiledProfile } from "../../src/iso8583/spec.ts";

const RECEIVED_MS = Date.UTC(2026, 10, 26, 7, 12, 45);

function decoded(profile: CompiledProfile, mti: number, fields: Record<number, string>): MessageView {
  const builder = new MessageBuilder(profile).reset(mti);
  if (profile.headerBytes > 0) {
    builder.setHeader({
      headerFormat: 1, textFormat: 2, totalLength: 0, destination: "123456", source: "654321",
      roundTrip: 0, base1Flags: 0, statusFlags: 0, batchNumber: 0, reserved: "000000", userInfo: 0,
    });
  }
  for (const [field, value] of Object.entries(fields)) builder.set(Number(field), value);
  return new MessageView(profile).decode(builder.encode());
}

const PURCHASE: Record<number, string> = {
  2: "4111111111111111",
  3: "000000",
  4: "000000012345",
  7: "1126071245",
  11: "123456",
  14: "3012",
  18: "5411",
  32: "0012345678",
  37: "633012345678",
  41: "TERM0001",
  42: "MERCHANT0000001",
  43: "SEKISHO MART SHIBUYA     TOKYO        JP",
  49: "392",
};

for (const name of PROFILE_NAMES) {
  const profile = loadProfile(name);

  describe(`requestFromView (${name})`, () => {
    test("a purchase: every field the rules use, and its key", () => {
      const request = requestFromView(decoded(profile, 100, PURCHASE), RECEIVED_MS);
      expect(request).toMatchObject({
        mti: 100,
        key: "01:12345678:123456:1126071245",
        pan: "4111111111111111",
        processingCode: "000000",
        amount: 12345,
        currency: 392,
        billingAmount: null,
        billingCurrency: null,
        expiry: "3012",
        merchantCategory: "5411",
        terminalId: "TERM0001",
        merchantId: "MERCHANT0000001",
        merchantNameLocation: "SEKISHO MART SHIBUYA     TOKYO        JP",
        retrievalReference: "633012345678",
        originalKey: null,
        partialAllowed: false,
        receivedAtMs: RECEIVED_MS,
      });
    });

    test("billing amount and currency (DE 6, DE 51); PAN and expiry from track 2 when DE 2 and DE 14 are absent", () => {
      const fields = { ...PURCHASE, 6: "000000009900", 51: "392", 49: "840", 35: "4111111111111111=29121010000000000000" };
      delete (fields as Record<number, string>)[2];
      delete (fields as Record<number, string>)[14];
      const request = requestFromView(decoded(profile, 100, fields), RECEIVED_MS);
      expect(request).toMatchObject({ pan: "4111111111111111", expiry: "2912", billingAmount: 9900, billingCurrency: 392, currency: 840 });
    });

    test("partial approval only with DE 60's twelfth digit set to 1", () => {
      expect(requestFromView(decoded(profile, 100, { ...PURCHASE, 60: "000000000001" }), RECEIVED_MS).partialAllowed).toBe(true);
      expect(requestFromView(decoded(profile, 100, { ...PURCHASE, 60: "000000000000" }), RECEIVED_MS).partialAllowed).toBe(false);
    });

    test("an advice carries the network's DE 39 and DE 38", () => {
      const request = requestFromView(decoded(profile, 120, { ...PURCHASE, 38: "NET123", 39: "00" }), RECEIVED_MS);
      expect(request).toMatchObject({ mti: 120, key: "01:12345678:123456:1126071245", networkResponseCode: "00", networkApprovalCode: "NET123" });
    });

    test("a reversal names its original through DE 90 and keeps DE 95's actual amount", () => {
      const reversal: Record<number, string> = { ...PURCHASE, 11: "123999", 90: "0100" + "123456" + "1126071245" + "00012345678" + "00000000000" };
      delete reversal[14];
      reversal[95] = "000000005000" + "000000005000" + "C00000000" + "C00000000";
      const request = requestFromView(decoded(profile, 400, reversal), RECEIVED_MS);
      expect(request.key).toBe("04:12345678:123999:1126071245");
      expect(request.originalKey).toBe("01:12345678:123456:1126071245");
      expect(request.replacementAmount).toBe(5000);
    });

    test("a reversal or an advice does not read the expiry: DE 14 (even a month 13) and track 2 stay out", () => {
      for (const mti of [400, 420, 120]) {
        const request = requestFromView(decoded(profile, mti, { ...PURCHASE, 14: "3013", 39: "00" }), RECEIVED_MS);
        expect(request.expiry).toBeNull();
        expect(checkFormat(request)).toBeNull();
      }
      const withTrack = { ...PURCHASE, 35: "4111111111111111=29121010000000000000" };
      delete (withTrack as Record<number, string>)[14];
      expect(requestFromView(decoded(profile, 400, withTrack), RECEIVED_MS).expiry).toBeNull();
      expect(requestFromView(decoded(profile, 100, withTrack), RECEIVED_MS).expiry).toBe("2912");
      expect(requestFromView(decoded(profile, 200, PURCHASE), RECEIVED_MS).expiry).toBe("3012");
    });

    test("a reversal without DE 90 names the 01xx transaction of its own DE 32/11/7", () => {
      const reversal: Record<number, string> = { ...PURCHASE };
      delete reversal[14];
      const request = requestFromView(decoded(profile, 420, reversal), RECEIVED_MS);
      expect(request.originalKey).toBe(transactionKey({ mti: 100, acquirer: "12345678", stan: "123456", transmissionDateTime: "1126071245" }));
      expect(request.replacementAmount).toBeNull();
    });
  });
}

describe("field readers", () => {
  test("track 2 expiry follows the separator", () => {
    expect(trackExpiry("4111111111111111D2912101")).toBe("2912");
    expect(trackExpiry("4111111111111111=")).toBeNull();
    expect(trackExpiry(null)).toBeNull();
  });

  test("DE 95 replacement: its first 12 digits", () => {
    expect(replacementAmount("000000000000" + "0".repeat(30))).toBe(0);
    expect(replacementAmount("00000000012A")).toBeNull();
    expect(replacementAmount("12345")).toBeNull();
  });

  test("DE 60 partial indicator", () => {
    expect(partialAllowedByDe60("00000000000")).toBe(false);
    expect(partialAllowedByDe60("0000000000010000")).toBe(true);
    expect(partialAllowedByDe60(null)).toBe(false);
  });
});
