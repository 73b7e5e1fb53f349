/**
 * A fixed-size log-linear latency histogram in whole microseconds, in the spirit of HDR histograms: values
 * below 128 µs have a bucket each; above, every power of two is split into 64 equal buckets, so any value is
 * within 1/64 (≈ 1.6 %) of its bucket's bounds. Recording is one index computation and one increment — no
 * allocation, no growth — so the simulator can record every answer at full rate.
 */
const SUB_BUCKET_BITS = 6;
const SUB_BUCKETS = 1 << SUB_BUCKET_BITS; // 64
/** Largest value kept exactly in its bucket range: 2^31 − 1 µs ≈ 35.8 minutes; larger values clamp. */
export const LATENCY_US_MAX = 0x7fffffff;
export const HISTOGRAM_BUCKETS = bucketIndex(LATENCY_US_MAX) + 1;

/** The bucket of a non-negative integer value (clamped to LATENCY_US_MAX). */
export function bucketIndex(valueUs: number): number {
  const value = valueUs <= 0 ? 0 : valueUs >= LATENCY_US_MAX ? LATENCY_US_MAX : valueUs | 0;
  if (value < 2 * SUB_BUCKETS) return value;
  const msb = 31 - Math.clz32(value);
  const shift = msb - SUB_BUCKET_BITS;
  return (shift + 1) * SUB_BUCKETS + (value >>> shift) - SUB_BUCKETS;
}

/** The smallest value that falls into bucket `index`. */
export function bucketLowUs(index: number): number {
  if (index < 2 * SUB_BUCKETS) return index;
  const shift = (index >>> SUB_BUCKET_BITS) - 1;
  const mantissa = (index & (SUB_BUCKETS - 1)) + SUB_BUCKETS;
  return mantissa * 2 ** shift;
}

/** The largest value that falls into bucket `index`. */
export function bucketHighUs(index: number): number {
  return index + 1 >= HISTOGRAM_BUCKETS ? LATENCY_US_MAX : bucketLowUs(index + 1) - 1;
}

export class LatencyHistogram {
  readonly counts = new Float64Array(HISTOGRAM_BUCKETS);
  count = 0;
  sumUs = 0;
  minUs = Number.POSITIVE_INFINITY;
  maxUs = 0;

  record(valueUs: number): void {
    const value = valueUs < 0 ? 0 : Math.round(valueUs);
    this.counts[bucketIndex(value)]! += 1;
    this.count += 1;
    this.sumUs += value;
    if (value < this.minUs) this.minUs = value;
    if (value > this.maxUs) this.maxUs = value;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sumUs = 0;
    this.minUs = Number.POSITIVE_INFINITY;
    this.maxUs = 0;
  }

  /** Adds every count of `other` into this one. */
  add(other: LatencyHistogram): void {
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.sumUs += other.sumUs;
    if (other.minUs < this.minUs) this.minUs = other.minUs;
    if (other.maxUs > this.maxUs) this.maxUs = other.maxUs;
  }

  /**
   * The value at quantile `q` (0..1): the upper bound of the bucket holding the q-th value, never above the
   * largest value seen, so a percentile errs high (the safe side for a latency target) by at most 1/64.
   */
  quantileUs(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(bucketHighUs(i), this.maxUs);
    }
    return this.maxUs;
  }

  meanUs(): number {
    return this.count === 0 ? 0 : this.sumUs / this.count;
  }

  /** Non-empty buckets as [lowUs, highUs, count], for reports. */
  nonEmptyBuckets(): Array<[number, number, number]> {
    const out: Array<[number, number, number]> = [];
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
      const count = this.counts[i]!;
      if (count > 0) out.push([bucketLowUs(i), bucketHighUs(i), count]);
    }
    return out;
  }
}

/** Microseconds as milliseconds with three decimals (for reports). */
export function usToMs(valueUs: number): number {
  return Math.round(valueUs) / 1000;
}
