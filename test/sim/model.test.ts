import { describe, expect, test } from "bun:test";
import { CardBook, GENEROUS_LIMITS, SimCard, type CardSeed } from "../../src/sim/card-book.ts";
import { LIMIT_AMOUNT_LIMITS, luhnCheckDigit, planCards, syntheticPan } from "../../src/sim/card-plan.ts";
import { parseCardsFile } from "../../src/sim/cards-file.ts";
import {
  applyDebit,
  applyHold,
  applyRelease,
  balanceAmountsField,
  expectedAuthorizationCode,
  utcDayNumber,
  yymmNumber,
  type AuthorizationAsk,
} from "../../src/sim/expectations.ts";
import { loadProfile } from "../../src/iso8583/profiles/index.ts";
import { Lane, MERCHANTS } from "../../src/sim/lane.ts";
import { DEFAULT_MIX, Mix, parseMix, SCENARIO } from "../../src/sim/mix.ts";
import { SeededRandom } from "../../src/sim/random.ts";

const NOW = Date.UTC(2026, 5, 15, 12, 0, 0);
const DAY = utcDayNumber(NOW);

function card(seed: Partial<CardSeed> = {}): SimCard {
  return new SimCard(0, { pan: "4111111111111111", expiry: "2912", availableBalance: 10_000, ...seed });
}

function ask(amount: number, extra: Partial<AuthorizationAsk> = {}): AuthorizationAsk {
  return { amount, expirySent: "2912", inquiry: false, dayNumber: DAY, currentYymm: yymmNumber(NOW), ...extra };
}

describe("expected answers", () => {
  test("checks in the processor's order: card, status, expiry, inquiry, limits, funds", () => {
    expect(expectedAuthorizationCode(null, ask(100))).toBe("14");
    expect(expectedAuthorizationCode(card({ status: "suspended" }), ask(100, { expirySent: "0101" }))).toBe("62");
    expect(expectedAuthorizationCode(card({ status: "lost" }), ask(100))).toBe("41");
    expect(expectedAuthorizationCode(card({ status: "stolen" }), ask(100))).toBe("43");
    expect(expectedAuthorizationCode(card({ status: "closed" }), ask(100))).toBe("46");
    expect(expectedAuthorizationCode(card(), ask(10_000_000, { expirySent: "2511" }))).toBe("54");
    expect(expectedAuthorizationCode(card({ expiry: "2605" }), ask(100, { expirySent: "2605" }))).toBe("54");
    expect(expectedAuthorizationCode(card({ expiry: "2606" }), ask(100, { expirySent: "2606" }))).toBe("00");
    expect(expectedAuthorizationCode(card({ availableBalance: -5 }), ask(0, { inquiry: true }))).toBe("00");
    const limited = card({ limits: LIMIT_AMOUNT_LIMITS, availableBalance: 10 });
    expect(expectedAuthorizationCode(limited, ask(20_001))).toBe("61");
    expect(expectedAuthorizationCode(limited, ask(20_000))).toBe("51");
    expect(expectedAuthorizationCode(card(), ask(10_000))).toBe("00");
    expect(expectedAuthorizationCode(card(), ask(10_001))).toBe("51");
  });

  test("per-day amount and count count approvals of the same UTC day only", () => {
    const c = card({ availableBalance: 1_000_000, limits: { perDayAmountMax: 5_000, perDayCountMax: 2 } });
    applyHold(c, 3_000, DAY, true);
    expect(expectedAuthorizationCode(c, ask(2_001))).toBe("61");
    expect(expectedAuthorizationCode(c, ask(2_000))).toBe("00");
    applyDebit(c, 1_000, DAY);
    expect(expectedAuthorizationCode(c, ask(1))).toBe("65");
    expect(expectedAuthorizationCode(c, ask(1, { dayNumber: DAY + 1 }))).toBe("00");
    applyHold(c, 50, DAY, false); // an advice: held, but not counted
    expect(c.dayCount).toBe(2);
  });

  test("holds, debits and releases move available and ledger balances", () => {
    const c = card({ availableBalance: 1_000 });
    applyHold(c, 300, DAY, true);
    expect([c.availableBalance, c.ledgerBalance, c.heldAmount]).toEqual([700, 1_000, 300]);
    applyDebit(c, 100, DAY);
    expect([c.availableBalance, c.ledgerBalance, c.heldAmount]).toEqual([600, 900, 300]);
    applyRelease(c, 200);
    expect([c.availableBalance, c.ledgerBalance, c.heldAmount]).toEqual([800, 900, 100]);
    expect(() => applyRelease(c, 101)).toThrow(RangeError);
    applyHold(c, 5_000, DAY, false);
    expect(c.availableBalance).toBe(-4_200);
  });

  test("DE 54 of a balance inquiry", () => {
    expect(balanceAmountsField(123_456, "392")).toBe("0002392C000000123456");
    expect(balanceAmountsField(-7, "392")).toBe("0002392D000000000007");
  });
});

describe("cards", () => {
  test("the plan has every role, is the same for the same seed, and funds normal cards well", () => {
    const plan = planCards(1000, new SeededRandom(1), NOW);
    expect(planCards(1000, new SeededRandom(1), NOW)).toEqual(plan);
    const roles = new Map<string, number>();
    for (const p of plan) roles.set(p.role, (roles.get(p.role) ?? 0) + 1);
    expect(roles.get("suspended")).toBe(10);
    expect(roles.get("limit_count")).toBe(5);
    expect(roles.get("thin")).toBe(100);
    expect(roles.get("normal")).toBe(1000 - 40 - 10 - 100);
    expect(plan.every((p) => p.expiry === "2906")).toBe(true);
    expect(() => planCards(7, new SeededRandom(1), NOW)).toThrow(RangeError);
  });

  test("synthetic PANs pass the Luhn check", () => {
    expect(luhnCheckDigit("411111111111111")).toBe("1");
    const random = new SeededRandom(3);
    for (let i = 0; i < 100; i++) {
      const pan = syntheticPan("999999", 16, random);
      expect(pan).toHaveLength(16);
      expect(luhnCheckDigit(pan.slice(0, -1))).toBe(pan.slice(-1));
    }
  });

  test("the book splits read-only status cards from driven ones and refuses a PAN twice", () => {
    const book = new CardBook([
      { pan: "4111111111111111", expiry: "2912", availableBalance: 1 },
      { pan: "4111111111111129", expiry: "2912", availableBalance: 1, status: "lost" },
      { pan: "4111111111111137", expiry: "2912", availableBalance: 1, limits: { perDayCountMax: 3 } },
    ]);
    expect(book.ownedCards.map((c) => c.role)).toEqual(["normal", "limit_count"]);
    expect(book.statusCards.map((c) => c.role)).toEqual(["lost"]);
    expect(book.cards[0]!.limits).toEqual(GENEROUS_LIMITS);
    expect(() => new CardBook([book.cards[0]!, book.cards[0]!].map((c) => ({ pan: c.pan, expiry: "2912", availableBalance: 0 })))).toThrow(
      /appears twice/,
    );
  });

  test("a cards file in API shape; errors name the position, not the PAN", () => {
    const seeds = parseCardsFile(
      JSON.stringify({
        cards: [
          { pan: "4111111111111111", expiry: "2912", available_balance: 500, user_id: "u1", limits: { per_day_count_max: 4 } },
          { pan: "4111111111111129", expiry: "2912", status: "suspended", available_balance: 10, ledger_balance: 20 },
        ],
      }),
      NOW,
    );
    expect(seeds[0]).toMatchObject({ availableBalance: 500, ledgerBalance: 500, userId: "u1", limits: { perDayCountMax: 4 } });
    expect(seeds[1]).toMatchObject({ status: "suspended", ledgerBalance: 20, userId: null });
    expect(() => parseCardsFile(JSON.stringify([{ pan: "41111111111111x1", expiry: "2912", available_balance: 1 }]), NOW)).toThrow(
      /^0\.pan: 12 to 19 digits$/,
    );
    expect(() => parseCardsFile(JSON.stringify([{ pan: "4111111111111111", expiry: "2912" }]), NOW)).toThrow(/available_balance/);
    expect(() => parseCardsFile("{", NOW)).toThrow(/not JSON/);
  });
});

describe("mix", () => {
  test("weights are honoured and parseable", () => {
    const mix = new Mix({ ...Object.fromEntries(Object.keys(DEFAULT_MIX).map((k) => [k, 0])), purchase: 1, reversal: 3 });
    const random = new SeededRandom(5);
    const counts = new Map<number, number>();
    for (let i = 0; i < 4000; i++) {
      const scenario = mix.pick(random);
      counts.set(scenario, (counts.get(scenario) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([SCENARIO.purchase, SCENARIO.reversal].sort());
    expect(counts.get(SCENARIO.reversal)! / 4000).toBeCloseTo(0.75, 1);
    expect(parseMix("purchase=50, reversal=2.5")).toEqual({ purchase: 50, reversal: 2.5 });
    expect(() => parseMix("refund=3")).toThrow(/refund=3/);
    expect(() => new Mix({ ...Object.fromEntries(Object.keys(DEFAULT_MIX).map((k) => [k, 0])) })).toThrow(/positive/);
  });
});

describe("merchants", () => {
  test("each lane's merchant name comes with the category code of its kind of shop (DE 43 with DE 18)", () => {
    // Written out here, not read from the table: a name paired with another shop's MCC must fail.
    const categoryOf: Record<string, string> = {
      "SEKISHO MART SHIBUYA": "5411",
      "HAKONE RAMEN": "5812",
      "KYOTO TEA HOUSE": "5814",
      "NAMBA ELECTRONICS": "5732",
      "SAPPORO FUEL STATION": "5541",
      "OMOTESANDO GENERAL STORE": "5999",
    };
    const profile = loadProfile("iso87-ascii");
    const seen = new Set<string>();
    for (let index = 0; index < 60; index++) {
      const lane = new Lane(index, 0, "100000", index, profile);
      const name = lane.merchantNameLocation.slice(0, 25).trimEnd();
      expect(lane.merchantNameLocation).toHaveLength(40);
      expect([name, lane.merchantCategory]).toEqual([name, categoryOf[name]!]);
      seen.add(name);
    }
    expect([...seen].sort()).toEqual(Object.keys(categoryOf).sort());
    expect(MERCHANTS.every((m) => m.nameLocation.slice(38) === "JP" && /^\d{4}$/.test(m.category))).toBe(true);
  });
});
