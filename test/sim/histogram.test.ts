import { describe, expect, test } from "bun:test";
import { bucketHighUs, bucketIndex, bucketLowUs, HISTOGRAM_BUCKETS, LatencyHistogram, LATENCY_US_MAX } from "../../src/sim/histogram.ts";
import { SeededRandom } from "../../src/sim/random.ts";

describe("latency histogram", () => {
  test("buckets tile the range without gaps, each within 1/64 of its low bound", () => {
    expect(bucketIndex(0)).toBe(0);
    expect(bucketIndex(LATENCY_US_MAX)).toBe(HISTOGRAM_BUCKETS - 1);
    for (let i = 0; i + 1 < HISTOGRAM_BUCKETS; i++) {
      expect(bucketHighUs(i) + 1).toBe(bucketLowUs(i + 1));
      expect(bucketIndex(bucketLowUs(i))).toBe(i);
      expect(bucketIndex(bucketHighUs(i))).toBe(i);
      expect(bucketHighUs(i) - bucketLowUs(i)).toBeLessThanOrEqual(Math.max(0, bucketLowUs(i) / 64));
    }
    expect(bucketIndex(-5)).toBe(0);
    expect(bucketIndex(LATENCY_US_MAX * 4)).toBe(HISTOGRAM_BUCKETS - 1);
  });

  test("quantiles are within 1/64 above the exact ones, never below, never above the max", () => {
    const random = new SeededRandom(11);
    const histogram = new LatencyHistogram();
    const values: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const value = Math.round(50 * Math.exp(random.next() * 9)); // 50 µs .. ~400 ms, log-spread
      values.push(value);
      histogram.record(value);
    }
    values.sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.99, 0.999]) {
      const exact = values[Math.ceil(q * values.length) - 1]!;
      const estimate = histogram.quantileUs(q);
      expect(estimate).toBeGreaterThanOrEqual(exact);
      expect(estimate).toBeLessThanOrEqual(exact * (1 + 1 / 64) + 1);
    }
    expect(histogram.quantileUs(1)).toBe(values[values.length - 1]!);
    expect(histogram.maxUs).toBe(values[values.length - 1]!);
    expect(histogram.count).toBe(values.length);
  });

  test("fixed size: recording a million values allocates no buckets; reset and add", () => {
    const a = new LatencyHistogram();
    const counts = a.counts;
    for (let i = 0; i < 1_000_000; i++) a.record(i % 5000);
    expect(a.counts).toBe(counts);
    expect(a.counts.length).toBe(HISTOGRAM_BUCKETS);
    const b = new LatencyHistogram();
    b.record(7);
    b.add(a);
    expect(b.count).toBe(1_000_001);
    a.reset();
    expect(a.count).toBe(0);
    expect(a.quantileUs(0.5)).toBe(0);
  });
});
