/**
 * A small seeded generator (SplitMix32 variant). The simulator and the tests take all their randomness from
 * one of these, so a failing run prints its seed and the seed replays it.
 */
export class SeededRandom {
  readonly seed: number;
  private state: number;

  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.state = this.seed;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.nextUint32() / 0x100000000;
  }

  /** An integer in [min, max] inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("pick from an empty list");
    return items[this.int(0, items.length - 1)]!;
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  digits(count: number): string {
    let s = "";
    for (let i = 0; i < count; i++) s += String.fromCharCode(0x30 + this.int(0, 9));
    return s;
  }

  bytes(count: number): Uint8Array {
    const out = new Uint8Array(count);
    for (let i = 0; i < count; i++) out[i] = this.nextUint32() & 0xff;
    return out;
  }
}

/** A seed from the environment (SEKISHO_SEED) when replaying, otherwise a fresh one. */
export function seedFromEnvironment(): number {
  const fixed = process.env.SEKISHO_SEED;
  if (fixed !== undefined && /^\d+$/.test(fixed)) return Number(fixed) >>> 0;
  return (Math.random() * 0x100000000) >>> 0;
}
