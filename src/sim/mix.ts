import type { SeededRandom } from "./random.ts";

/**
 * The traffic mix: what each request a lane sends is, drawn from the lane's own seeded generator. A
 * scenario that cannot be played at that moment (no approval left to reverse, no card with tight limits
 * in this lane) becomes a plain purchase. The sim's own echoes (0800/301) are not part of the mix: each
 * link gets one every `echoIntervalMs`.
 */
export const SCENARIOS = [
  "purchase", //           0100 on a normal or thin card → 00 or 51; approved amount held
  "financial", //          0200 → 00 or 51; debited at once
  "insufficient_funds", // 0100 for more than the available balance → 51
  "unknown_card", //       0100 for a PAN the processor never issued → 14
  "expired_card", //       0100 with DE 14 in the past or not the card's → 54
  "blocked_card", //       0100 on a suspended / lost / stolen / closed card → 62 / 41 / 43 / 46
  "over_limit", //         0100 on a card with tight limits → 00, 61 or 65
  "reversal", //           0400 of an earlier approval → 00, the hold released
  "partial_reversal", //   0400 with DE 95 → 00, the hold cut down to the replacement amount
  "reversal_advice", //    0420 of an earlier approval → 00, the hold released
  "reversal_repeat", //    0401 / 0421 of an answered reversal → the same answer, no effect
  "reversal_unknown", //   0400 naming an original that never existed → 00 (or 25), no effect
  "duplicate", //          an answered 0100 resent byte for byte → its first answer again, no effect
  "repeat", //             0101 of an answered 0100 → its first answer again, no effect
  "advice", //             0120 with DE 39 00 (the network stood in) → 0130 00; held, even into a negative balance
  "balance_inquiry", //    0100 with DE 3 31xxxx, DE 4 0 → 00 and DE 54 with the available balance
] as const;

export type Scenario = (typeof SCENARIOS)[number];
export type MixWeights = Record<Scenario, number>;

export const SCENARIO = Object.fromEntries(SCENARIOS.map((name, i) => [name, i])) as Record<Scenario, number>;

export const DEFAULT_MIX: Readonly<MixWeights> = {
  purchase: 40,
  financial: 6,
  insufficient_funds: 4,
  unknown_card: 3,
  expired_card: 3,
  blocked_card: 3,
  over_limit: 3,
  reversal: 8,
  partial_reversal: 5,
  reversal_advice: 4,
  reversal_repeat: 2,
  reversal_unknown: 1,
  duplicate: 4,
  repeat: 3,
  advice: 5,
  balance_inquiry: 6,
};

export class Mix {
  readonly weights: Readonly<MixWeights>;
  private readonly cumulative = new Float64Array(SCENARIOS.length);
  private readonly total: number;

  constructor(weights: Partial<MixWeights> = {}) {
    const merged = { ...DEFAULT_MIX, ...weights };
    let total = 0;
    SCENARIOS.forEach((name, i) => {
      const weight = merged[name];
      if (!Number.isFinite(weight) || weight < 0) throw new RangeError(`mix weight for ${name} must be >= 0`);
      total += weight;
      this.cumulative[i] = total;
    });
    if (total <= 0) throw new RangeError("the mix needs at least one scenario with a positive weight");
    this.weights = merged;
    this.total = total;
  }

  pick(random: SeededRandom): number {
    const at = random.next() * this.total;
    const cumulative = this.cumulative;
    for (let i = 0; i < cumulative.length; i++) if (at < cumulative[i]!) return i;
    return SCENARIO.purchase;
  }
}

/** `purchase=50,reversal=10` → weights (unlisted scenarios keep their default). */
export function parseMix(text: string): Partial<MixWeights> {
  const out: Partial<MixWeights> = {};
  for (const part of text.split(",")) {
    const match = /^\s*([a-z_]+)\s*=\s*(\d+(?:\.\d+)?)\s*$/.exec(part);
    if (!match || !(SCENARIOS as readonly string[]).includes(match[1]!)) {
      throw new RangeError(`mix entry "${part.trim()}": expected scenario=weight with a scenario from ${SCENARIOS.join(", ")}`);
    }
    out[match[1] as Scenario] = Number(match[2]);
  }
  return out;
}
