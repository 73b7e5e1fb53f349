import { maskText } from "./mask.ts";

/**
 * Counters, gauges and histograms in Prometheus text exposition format (version 0.0.4). Label values pass
 * through the masking function, so no card data can become a label. Updates are plain number arithmetic
 * on the hot path; the text is only built when scraped.
 */
type Labels = Record<string, string | number>;

/** The label values joined by NUL; a plain loop, since counters are bumped for every message. */
function labelKey(names: readonly string[], labels: Labels | undefined): string {
  if (names.length === 0) return "";
  let key = String(labels?.[names[0]!] ?? "");
  for (let i = 1; i < names.length; i++) key += "\u0000" + String(labels?.[names[i]!] ?? "");
  return key;
}

function renderLabels(names: readonly string[], key: string, extra = ""): string {
  if (names.length === 0 && extra === "") return "";
  const values = key === "" && names.length === 0 ? [] : key.split("\u0000");
  const parts = names.map((name, i) => `${name}="${escapeLabel(maskText(values[i] ?? ""))}"`);
  if (extra) parts.push(extra);
  return `{${parts.join(",")}}`;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

interface Metric {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  render(): string;
}

export interface MetricDescription {
  name: string;
  type: "counter" | "gauge" | "histogram";
  help: string;
  labelNames: readonly string[];
}

export class Counter implements Metric {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[] = [],
  ) {}
  inc(labels?: Labels, by = 1): void {
    const key = labelKey(this.labelNames, labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
  get(labels?: Labels): number {
    return this.values.get(labelKey(this.labelNames, labels)) ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [key, value] of this.values) lines.push(`${this.name}${renderLabels(this.labelNames, key)} ${value}`);
    return lines.join("\n");
  }
}

export class Gauge implements Metric {
  private readonly values = new Map<string, number>();
  private readonly collectors: Array<() => void> = [];
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[] = [],
  ) {}
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
    for (const [key, value] of this.values) lines.push(`${this.name}${renderLabels(this.labelNames, key)} ${value}`);
    return lines.join("\n");
  }
}

export class Histogram implements Metric {
  private readonly series = new Map<string, { counts: Float64Array; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
    readonly labelNames: readonly string[] = [],
  ) {}
  observe(value: number, labels?: Labels): void {
    const key = labelKey(this.labelNames, labels);
    let entry = this.series.get(key);
    if (entry === undefined) {
      entry = { counts: new Float64Array(this.buckets.length), sum: 0, count: 0 };
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
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [key, entry] of this.series) {
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += entry.counts[i]!;
        lines.push(`${this.name}_bucket${renderLabels(this.labelNames, key, `le="${bound}"`)} ${cumulative}`);
      });
      lines.push(`${this.name}_bucket${renderLabels(this.labelNames, key, 'le="+Inf"')} ${entry.count}`);
      lines.push(`${this.name}_sum${renderLabels(this.labelNames, key)} ${entry.sum}`);
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
  /** What is registered: name, type, help and label names (for the metrics list in docs/operating.md and its test). */
  list(): MetricDescription[] {
    return [...this.metrics.values()].map((metric) => ({
      name: metric.name,
      type: metric instanceof Counter ? "counter" : metric instanceof Gauge ? "gauge" : "histogram",
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
