import { describe, expect, test } from "bun:test";
import { approvalCodeSource, isApprovalCode } from "../../src/authorize/approval-code.ts";
import { decideAdvice, decideAuthorization, decideReversal, type AuthorizationInput } from "../../src/authorize/decide.ts";
import type { AccountFacts, CardFacts } from "../../src/authorize/facts.ts";
import type { AuthorizationRequest } from "../../src/domain/authorization.ts";
import { SeededRandom } from "../../src/sim/random.ts";
import { RequestFactory, testPan } from "../support/requests.ts";

// 2026-11-15 12:00 UTC: a card expiring 2611 is valid through the end of this month.
const NOW_MS = Date.UTC(2026, 10, 15, 12);
const PAN = testPan(1);
const requests = new RequestFactory(() => NOW_MS);
const random = new SeededRandom(7);
const codes = approvalCodeSource((buffer) => buffer.set(random.bytes(buffer.length)));

const CARD: CardFacts = {
  status: "active",
  expiry: "2611",
  limits: { perTransactionMax: 50_000, perDayAmountMax: 100_000, perDayCountMax: 3 },
};
const ACCOUNT: AccountFacts = { currency: 392, availableBalance: 10_000 };

function authorize(request: AuthorizationRequest, overrides: Partial<AuthorizationInput> = {}) {
  return decideAuthorization({ request, card: CARD, account: ACCOUNT, usage: { amount: 0, count: 0 }, reversedEarly: false, ...overrides }, codes);
}

function codeOf(request: AuthorizationRequest, overrides: Partial<AuthorizationInput> = {}): string {
  return authorize(request, overrides).decision.responseCode;
}

describe("authorization (0100) and financial (0200)", () => {
  test("00 when the balance exactly equals the amount: a hold for all of it and a fresh approval code", () => {
    const outcome = authorize(requests.make(PAN, { amount: 10_000 }));
    expect(outcome.decision.responseCode).toBe("00");
    expect(isApprovalCode(outcome.decision.approvalCode!)).toBe(true);
    expect(outcome.effect).toEqual({ type: "hold", amount: 10_000 });
    expect(outcome.decision.accountCurrency).toBe(392);
    expect(outcome.decision.replayed).toBe(false);
  });

  test("51 one unit above the balance; no approval code, no effect", () => {
    const outcome = authorize(requests.make(PAN, { amount: 10_001 }));
    expect(outcome.decision.responseCode).toBe("51");
    expect(outcome.decision.approvalCode).toBeNull();
    expect(outcome.effect.type).toBe("none");
    expect(outcome.reason).toBe("insufficient_funds");
  });

  test("10 partial approval for the available balance only where the request allows it", () => {
    const outcome = authorize(requests.make(PAN, { amount: 25_000, partialAllowed: true }));
    expect(outcome.decision.responseCode).toBe("10");
    expect(outcome.decision.approvedAmount).toBe(10_000);
    expect(outcome.effect).toEqual({ type: "hold", amount: 10_000 });
    expect(codeOf(requests.make(PAN, { amount: 25_000, partialAllowed: false }))).toBe("51");
    // Nothing available: nothing to approve partially.
    expect(codeOf(requests.make(PAN, { amount: 5, partialAllowed: true }), { account: { currency: 392, availableBalance: 0 } })).toBe("51");
  });

  test("0200 debits at once instead of holding", () => {
    expect(authorize(requests.make(PAN, { mti: 200, amount: 10_000 })).effect).toEqual({ type: "debit", amount: 10_000 });
  });

  test("30 for malformed requests: PAN, processing code, amount, currency, DE 14", () => {
    expect(codeOf(requests.make("41111111111"))).toBe("30"); // 11 digits
    expect(codeOf(requests.make("4111111111111111111x"))).toBe("30");
    expect(codeOf(requests.make(PAN, { processingCode: "0000" }))).toBe("30");
    expect(codeOf(requests.make(PAN, { amount: -1 }))).toBe("30");
    expect(codeOf(requests.make(PAN, { currency: 0 }))).toBe("30");
    expect(codeOf(requests.make(PAN, { expiry: "2613" }))).toBe("30");
  });

  test("14 when there is no such card", () => {
    expect(codeOf(requests.make(PAN), { card: null, account: null })).toBe("14");
  });

  test("card status: 62 suspended, 41 lost, 43 stolen, 46 closed", () => {
    const withStatus = (status: CardFacts["status"]) => codeOf(requests.make(PAN), { card: { ...CARD, status } });
    expect(withStatus("suspended")).toBe("62");
    expect(withStatus("lost")).toBe("41");
    expect(withStatus("stolen")).toBe("43");
    expect(withStatus("closed")).toBe("46");
  });

  test("expiry: valid through its month, 54 from the next month, 54 when DE 14 differs", () => {
    expect(codeOf(requests.make(PAN, { expiry: "2611" }))).toBe("00");
    expect(codeOf(requests.make(PAN), { card: { ...CARD, expiry: "2610" } })).toBe("54");
    const lastMoment = Date.UTC(2026, 10, 30, 23, 59, 59, 999);
    expect(codeOf(requests.make(PAN, { receivedAtMs: lastMoment }))).toBe("00");
    expect(codeOf(requests.make(PAN, { receivedAtMs: lastMoment + 1 }))).toBe("54");
    expect(codeOf(requests.make(PAN, { expiry: "2612" }))).toBe("54");
  });

  test("57 for processing codes the program does not permit; 00, 01, 09 and 31 are permitted", () => {
    expect(codeOf(requests.make(PAN, { processingCode: "200000" }))).toBe("57");
    expect(codeOf(requests.make(PAN, { processingCode: "400000" }))).toBe("57");
    for (const code of ["000000", "010000", "090000"]) expect(codeOf(requests.make(PAN, { processingCode: code }))).toBe("00");
  });

  test("balance inquiry (31xxxx): approved, no hold, available balance for DE 54, amount not checked", () => {
    const outcome = authorize(requests.make(PAN, { processingCode: "310000", amount: 0 }));
    expect(outcome.decision.responseCode).toBe("00");
    expect(outcome.decision.availableBalance).toBe(10_000);
    expect(isApprovalCode(outcome.decision.approvalCode!)).toBe(true);
    expect(outcome.effect.type).toBe("none");
  });

  test("12 when neither DE 51 nor DE 49 is the account's currency; DE 6 wins over DE 4 when present", () => {
    expect(codeOf(requests.make(PAN, { currency: 840 }))).toBe("12");
    expect(codeOf(requests.make(PAN, { currency: 840, billingAmount: 500, billingCurrency: 978 }))).toBe("12");
    const billed = authorize(requests.make(PAN, { currency: 840, amount: 99_999_999, billingAmount: 10_000, billingCurrency: 392 }));
    expect(billed.decision.responseCode).toBe("00");
    expect(billed.effect).toEqual({ type: "hold", amount: 10_000 });
    // DE 6 without DE 51 is in the account's currency.
    expect(authorize(requests.make(PAN, { currency: 840, billingAmount: 700 })).effect).toEqual({ type: "hold", amount: 700 });
  });

  test("13 for a zero amount", () => {
    expect(codeOf(requests.make(PAN, { amount: 0 }))).toBe("13");
  });

  test("61 above the per-transaction limit, not at it", () => {
    const rich = { account: { currency: 392, availableBalance: 1_000_000 } };
    expect(codeOf(requests.make(PAN, { amount: 50_000 }), rich)).toBe("00");
    expect(codeOf(requests.make(PAN, { amount: 50_001 }), rich)).toBe("61");
  });

  test("61 above the daily amount, 65 above the daily count, each allowed exactly at the limit", () => {
    const rich = { account: { currency: 392, availableBalance: 1_000_000 } };
    expect(codeOf(requests.make(PAN, { amount: 40_000 }), { ...rich, usage: { amount: 60_000, count: 1 } })).toBe("00");
    expect(codeOf(requests.make(PAN, { amount: 40_001 }), { ...rich, usage: { amount: 60_000, count: 1 } })).toBe("61");
    expect(codeOf(requests.make(PAN, { amount: 1 }), { ...rich, usage: { amount: 0, count: 2 } })).toBe("00");
    expect(codeOf(requests.make(PAN, { amount: 1 }), { ...rich, usage: { amount: 0, count: 3 } })).toBe("65");
  });

  test("checks run in the issue's order: status before expiry before processing code before amount before limits before funds", () => {
    const everythingWrong = requests.make(PAN, { processingCode: "200000", amount: 999_999, currency: 840 });
    const card = { ...CARD, status: "lost" as const, expiry: "2001" };
    expect(codeOf(everythingWrong, { card })).toBe("41");
    expect(codeOf(everythingWrong, { card: { ...card, status: "active" } })).toBe("54");
    expect(codeOf(everythingWrong, { card: { ...card, status: "active", expiry: "2611" } })).toBe("57");
    expect(codeOf({ ...everythingWrong, processingCode: "000000" })).toBe("12");
    expect(codeOf({ ...everythingWrong, processingCode: "000000", currency: 392 })).toBe("61");
    expect(codeOf({ ...everythingWrong, processingCode: "000000", currency: 392, amount: 20_000 })).toBe("51");
  });

  test("05 when a reversal for this key came first: the late original must not hold", () => {
    const outcome = authorize(requests.make(PAN), { reversedEarly: true });
    expect(outcome.decision.responseCode).toBe("05");
    expect(outcome.reason).toBe("reversed_before_original");
    expect(outcome.effect.type).toBe("none");
  });

  test("12 for a message the rules do not decide", () => {
    expect(codeOf(requests.make(PAN, { mti: 110 }))).toBe("12");
  });
});

describe("advice (0120)", () => {
  const advice = (fields: Parameters<RequestFactory["make"]>[1] = {}) =>
    requests.make(PAN, { mti: 120, networkResponseCode: "00", networkApprovalCode: "NET123", ...fields });

  test("an approved advice holds even beyond the balance, acknowledged with 00", () => {
    const outcome = decideAdvice({ request: advice({ amount: 30_000 }), account: ACCOUNT, ownHold: null, earlyReversal: null });
    expect(outcome.decision.responseCode).toBe("00");
    expect(outcome.effect).toEqual({ type: "hold", amount: 30_000 });
  });

  test("reconciles our own pending hold instead of adding a second", () => {
    const outcome = decideAdvice({ request: advice({ amount: 1_500 }), account: ACCOUNT, ownHold: { state: "pending", amount: 1_000 }, earlyReversal: null });
    expect(outcome.effect).toEqual({ type: "set-hold", amount: 1_500 });
    const same = decideAdvice({ request: advice({ amount: 1_000 }), account: ACCOUNT, ownHold: { state: "pending", amount: 1_000 }, earlyReversal: null });
    expect(same.effect.type).toBe("none");
  });

  test("a declined advice releases our hold; a concluded hold is left alone", () => {
    const declined = decideAdvice({ request: advice({ networkResponseCode: "05" }), account: ACCOUNT, ownHold: { state: "pending", amount: 1_000 }, earlyReversal: null });
    expect(declined.effect).toEqual({ type: "set-hold", amount: 0 });
    expect(declined.decision.responseCode).toBe("00");
    const concluded = decideAdvice({ request: advice(), account: ACCOUNT, ownHold: { state: "concluded" }, earlyReversal: null });
    expect(concluded.effect.type).toBe("none");
  });

  test("an earlier reversal caps what the advice holds", () => {
    const outcome = decideAdvice({ request: advice({ amount: 1_000 }), account: ACCOUNT, ownHold: null, earlyReversal: { remaining: 400 } });
    expect(outcome.effect).toEqual({ type: "hold", amount: 400 });
    const full = decideAdvice({ request: advice({ amount: 1_000 }), account: ACCOUNT, ownHold: null, earlyReversal: { remaining: 0 } });
    expect(full.effect.type).toBe("none");
  });

  test("unknown card or foreign currency: acknowledged without effect; malformed: 30", () => {
    expect(decideAdvice({ request: advice(), account: null, ownHold: null, earlyReversal: null })).toMatchObject({
      decision: { responseCode: "00" },
      effect: { type: "none" },
      reason: "no_such_card",
    });
    expect(decideAdvice({ request: advice({ currency: 840 }), account: ACCOUNT, ownHold: null, earlyReversal: null }).effect.type).toBe("none");
    expect(decideAdvice({ request: advice({ networkResponseCode: null }), account: ACCOUNT, ownHold: null, earlyReversal: null }).decision.responseCode).toBe("30");
  });
});

describe("reversal (0400 / 0420)", () => {
  const original = { requestAmount: 1_000, accountAmount: 1_000, pendingHold: 1_000, postedRemaining: null };
  const reversal = (fields: Parameters<RequestFactory["make"]>[1] = {}) => requests.make(PAN, { mti: 400, originalKey: "01:1:000001:1115120000", ...fields });

  test("without DE 95: releases the whole hold", () => {
    expect(decideReversal({ request: reversal(), original, accountCurrency: 392 }).effect).toEqual({ type: "release", remaining: 0 });
  });

  test("with DE 95: down to the replacement amount; a repeat of it is a no-op", () => {
    const partial = decideReversal({ request: reversal({ replacementAmount: 600 }), original, accountCurrency: 392 });
    expect(partial.effect).toEqual({ type: "release", remaining: 600 });
    expect(partial.accountAmount).toBe(400);
    const repeat = decideReversal({ request: reversal({ replacementAmount: 600 }), original: { ...original, pendingHold: 600 }, accountCurrency: 392 });
    expect(repeat.effect.type).toBe("none");
    // "Down to" never raises a hold.
    expect(decideReversal({ request: reversal({ replacementAmount: 900 }), original: { ...original, pendingHold: 600 }, accountCurrency: 392 }).effect.type).toBe("none");
  });

  test("DE 95 in the transaction currency is converted at the original's own rate", () => {
    const foreign = { requestAmount: 200, accountAmount: 30_000, pendingHold: 30_000, postedRemaining: null };
    expect(decideReversal({ request: reversal({ replacementAmount: 50 }), original: foreign, accountCurrency: 392 }).effect).toEqual({ type: "release", remaining: 7_500 });
  });

  test("a posted financial is credited back", () => {
    const financial = { requestAmount: 1_000, accountAmount: 1_000, pendingHold: null, postedRemaining: 1_000 };
    expect(decideReversal({ request: reversal({ replacementAmount: 250 }), original: financial, accountCurrency: 392 }).effect).toEqual({ type: "credit", amount: 750 });
  });

  test("before its original: remembered with its remaining amount, acknowledged", () => {
    const outcome = decideReversal({ request: reversal({ replacementAmount: 100 }), original: null, accountCurrency: null });
    expect(outcome.decision.responseCode).toBe("00");
    expect(outcome.effect).toEqual({ type: "early-reversal", remaining: 100 });
  });

  test("0420 is acknowledged too; a declined original leaves nothing to release; malformed is 30", () => {
    expect(decideReversal({ request: reversal({ mti: 420 }), original, accountCurrency: 392 }).decision.responseCode).toBe("00");
    const declined = { ...original, pendingHold: null };
    expect(decideReversal({ request: reversal(), original: declined, accountCurrency: 392 }).effect.type).toBe("none");
    expect(decideReversal({ request: reversal({ originalKey: null }), original, accountCurrency: 392 }).decision.responseCode).toBe("30");
  });
});

describe("approval codes", () => {
  test("six characters of [0-9A-Z], drawn from the injected source, each character reachable", () => {
    const source = approvalCodeSource((buffer) => buffer.set(new SeededRandom(1).bytes(buffer.length)));
    const seen = new Set<string>();
    for (let i = 0; i < 150; i++) {
      const code = source();
      expect(code).toMatch(/^[0-9A-Z]{6}$/);
      for (const character of code) seen.add(character);
    }
    expect(seen.size).toBe(36);
  });

  test("bytes that would bias the alphabet are skipped", () => {
    // 252..255 would favour the first four characters; a source of only such bytes plus one valid byte
    // must produce that valid byte's character.
    let call = 0;
    const source = approvalCodeSource((buffer) => {
      buffer.fill(255);
      if (call++ === 0) for (let i = 0; i < 6; i++) buffer[i * 10] = 35; // 'Z'
    });
    expect(source()).toBe("ZZZZZZ");
  });
});
