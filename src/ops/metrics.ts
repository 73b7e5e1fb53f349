import { maskText } from "./mask.ts";

/**
 * Counters, gauges and histograms in Prometheus text exposition format (version 0.0.4). Label values pass
 * through the masking function, so no card data can become a label. Updates are plain number arithmetic
 * on the hot path; the text is only built when scraped.
 *
 * Every series exists from the first scrape, so that `rate()` and `increase()` see the first event: a
 * metric without labels starts at 0, and a labelled one is given its known label values with
 * `initialize()` when it is registered. Label values nobody can list in advance appear when they happen.
 */
type Labels = Record<string, string | number>;

/** For each label name, the values it is known to take: `initialize()` creates every combination at 0. */
export type KnownLabelValues = Readonly<Record<string, readonly (string | number)[]>>;

/** Every combination of the known values, one label set each, in the order of `labelNames`. */
function labelCombinations(metric: string, labelNames: readonly string[], known: KnownLabelValues): Labels[] {
  let combinations: Labels[] = [{}];
  for (const name of labelNames) {
    const values = known[name];
    if (values === undefined) throw new Error(`metric ${metric}: no known values given for label ${name}`);
    combinations = combinations.flatMap((labels) => values.map((value) => ({ ...labels, [name]: value })));
  }
  for (const name of Object.keys(known)) {
    if (!labelNames.includes(name)) throw new Error(`metric ${metric} has no label ${name}`);
  }
  return combinations;
}

/** The label values joined by NUL; a plain loop, since counters are bumped for every message. */
function labelKey(names: readonly string[], labels: Labels | undefined): string {
  if (names.length === 0) return "";
  let key = String(labels?.[names[0]!] ?? "");
  for (let i = 1; i < names.length; i++) key += "\u0000" + String(labels?.[names[i]!] ?? "");
  return key;
}

/** Adds a fresh series for every combination of the known values that has none yet. */
function addSeries<T>(metric: Metric, series: Map<string, T>, known: KnownLabelValues, fresh: () => T): void {
  for (const labels of labelCombinations(metric.name, metric.labelNames, known)) {
    const key = labelKey(metric.labelNames, labels);
    if (!series.has(key)) series.set(key, fresh());
  }
}

function renderLabels(names: readonly string[], key: string, extra = ""): string {
  if (names.length === 0 && extra === "") return "";
  const values = key === "" && names.length === 0 ? [] : key.split("\u0000");
  const parts = names.map((name, i) => `${name}="${escapeLabel(maskText(values[i] ?? ""))}"`);
  if (extra) parts.push(extra);
  return `{${parts.join(",")}}`;
}

/** A sample value as the format spells it: +Inf, -Inf and NaN in its own words. */
function formatValue(value: number): string {
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

export type MetricType = "counter" | "gauge" | "histogram";

interface Metric {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly labelNames: readonly string[];
  render(): string;
}

export interface MetricDescription {
  name: string;
  type: MetricType;
  help: string;
  labelNames: readonly string[];
}

export class Counter implements Metric {
  readonly type = "counter";
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[] = [],
  ) {
    if (labelNames.length === 0) this.values.set("", 0);
  }
  /** Creates every combination of the known label values at 0 (those already counted keep their count). */
  initialize(known: KnownLabelValues): this {
    addSeries(this, this.values, known, () => 0);
    return this;
  }
  inc(labels?: Labels, by = 1): void {
    const key = labelKey(this.labelNames, labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
  get(labels?: Labels): number {
    return this.values.get(labelKey(this.labelNames, labels)) ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [key, value] of this.values) lines.push(`${this.name}${renderLabels(this.labelNames, key)} ${formatValue(value)}`);
    return lines.join("\n");
  }
}

/**
 * A counter whose total something else keeps (the CPU time the kernel counted): read when scraped, never
 * updated on the hot path. No labels.
 */
export class SampledCounter implements Metric {
  readonly type = "counter";
  readonly labelNames: readonly string[] = [];
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly read: () => number,
  ) {}
  render(): string {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`, `${this.name} ${formatValue(this.read())}`].join("\n");
  }
}

export class Gauge implements Metric {
  readonly type = "gauge";
  private readonly values = new Map<string, number>();
  private readonly collectors: Array<() => void> = [];
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[] = [],
  ) {
    if (labelNames.length === 0) this.values.set("", 0);
  }
  /** Sets every combination of the known label values to 0 (those already set keep their value). */
  initialize(known: KnownLabelValues): this {
    addSeries(this, this.values, known, () => 0);
    return this;
  }
  set(value: number, labels?: Labels): void {
    this.values.set(labelKey(this.labelNames, labels), value);
  }
  get(labels?: Labels): number {
    return this.values.get(labelKey(this.labelNames, labels)) ?? 0;
  }
  /** Runs `collect` just before each scrape, to read a value that is cheaper to sample than to track. */
  onCollect(collect: () => void): void {
    this.collectors.push(collect);
  }
  render(): string {
    for (const collect of this.collectors) collect();
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    for (const [key, value] of this.values) lines.push(`${this.name}${renderLabels(this.labelNames, key)} ${formatValue(value)}`);
    return lines.join("\n");
  }
}

interface HistogramSeries {
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

export class Histogram implements Metric {
  readonly type = "histogram";
  private readonly series = new Map<string, HistogramSeries>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
    readonly labelNames: readonly string[] = [],
  ) {
    for (let i = 1; i < buckets.length; i++) {
      if (!(buckets[i - 1]! < buckets[i]!)) throw new Error(`metric ${name}: buckets must ascend`);
    }
    if (labelNames.length === 0) this.series.set("", this.emptySeries());
  }
  /** Creates every combination of the known label values with all buckets, sum and count at 0. */
  initialize(known: KnownLabelValues): this {
    addSeries(this, this.series, known, () => this.emptySeries());
    return this;
  }
  observe(value: number, labels?: Labels): void {
    const key = labelKey(this.labelNames, labels);
    let entry = this.series.get(key);
    if (entry === undefined) {
      entry = this.emptySeries();
      this.series.set(key, entry);
    }
    const buckets = this.buckets;
    for (let i = 0; i < buckets.length; i++) {
      if (value <= buckets[i]!) {
        entry.counts[i]! += 1;
        break;
      }
    }
    entry.sum += value;
    entry.count += 1;
  }
  count(labels?: Labels): number {
    return this.series.get(labelKey(this.labelNames, labels))?.count ?? 0;
  }
  private emptySeries(): HistogramSeries {
    return { counts: new Float64Array(this.buckets.length), sum: 0, count: 0 };
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [key, entry] of this.series) {
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += entry.counts[i]!;
        lines.push(`${this.name}_bucket${renderLabels(this.labelNames, key, `le="${bound}"`)} ${cumulative}`);
      });
      lines.push(`${this.name}_bucket${renderLabels(this.labelNames, key, 'le="+Inf"')} ${entry.count}`);
      lines.push(`${this.name}_sum${renderLabels(this.labelNames, key)} ${formatValue(entry.sum)}`);
      lines.push(`${this.name}_count${renderLabels(this.labelNames, key)} ${entry.count}`);
    }
    return lines.join("\n");
  }
}

export class MetricsRegistry {
  private readonly metrics = new Map<string, Metric>();

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.register(name, new Counter(name, help, labelNames));
  }
  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.register(name, new Gauge(name, help, labelNames));
  }
  histogram(name: string, help: string, buckets: readonly number[], labelNames: readonly string[] = []): Histogram {
    return this.register(name, new Histogram(name, help, buckets, labelNames));
  }
  /** A counter read when scraped (`read` returns the total so far); see SampledCounter. */
  sampledCounter(name: string, help: string, read: () => number): SampledCounter {
    return this.register(name, new SampledCounter(name, help, read));
  }
  /** What is registered: name, type, help and label names (for the metrics list in docs/operating.md and its test). */
  list(): MetricDescription[] {
    return [...this.metrics.values()].map((metric) => ({
      name: metric.name,
      type: metric.type,
      help: metric.help,
      labelNames: metric.labelNames,
    }));
  }
  /** The Prometheus text exposition of every metric. */
  render(): string {
    return [...this.metrics.values()].map((metric) => metric.render()).join("\n") + "\n";
  }
  private register<T extends Metric>(name: string, metric: T): T {
    if (this.metrics.has(name)) throw new Error(`metric ${name} registered twice`);
    this.metrics.set(name, metric);
    return metric;
  }
}
