/**
 * A small parser of the Prometheus text exposition format (0.0.4), strict enough to fail on what a
 * scraper would reject and on what would make a family meaningless: every sample line must be
 * `name{labels} value`, names and labels well-formed (no label twice, no reserved `__` name, only the
 * escapes \\ \" \n), values numbers, every sample in a family declared by # TYPE before it, a family's
 * lines together, no series twice, counters not negative, and a histogram whole: for each label set,
 * buckets with ascending `le` ending at +Inf, cumulative counts, +Inf equal to _count, a _sum.
 * `conventionProblems` adds the naming rules the format does not enforce (a counter ends in _total,
 * every family has a HELP line).
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  help: Map<string, string>;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;
const TYPES = ["counter", "gauge", "histogram", "summary", "untyped"];

function unescape(text: string, escapes: string, line: string): string {
  return text.replace(/\\(.)/g, (_, c: string) => {
    if (!escapes.includes(c)) throw new Error(`bad escape \\${c} in: ${line}`);
    return c === "n" ? "\n" : c;
  });
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const at = LABEL.lastIndex;
    const match = LABEL.exec(text);
    if (match === null) throw new Error(`bad labels at ${at} in: ${line}`);
    const name = match[1]!;
    if (name.startsWith("__")) throw new Error(`reserved label name ${name} in: ${line}`);
    if (Object.hasOwn(labels, name)) throw new Error(`label ${name} twice in: ${line}`);
    labels[name] = unescape(match[2]!, '\\"n', line);
  }
  return labels;
}

function parseValue(text: string, line: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  const value = Number(text);
  if (text === "" || Number.isNaN(value) || !/^[-+]?(\d|\.\d)/.test(text)) throw new Error(`bad value in: ${line}`);
  return value;
}

function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      if (types.get(base) === "histogram" || (types.get(base) === "summary" && suffix !== "_bucket")) return base;
    }
  }
  return undefined;
}

/** One series' identity: its name and its labels in name order. */
export function seriesKey(sample: Sample): string {
  const labels = Object.keys(sample.labels)
    .sort()
    .map((name) => `${name}=${JSON.stringify(sample.labels[name])}`);
  return `${sample.name}{${labels.join(",")}}`;
}

export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const samples: Sample[] = [];
  const familyOfSample: string[] = [];
  const closed = new Set<string>();
  let current: string | null = null;
  const enter = (family: string, line: string) => {
    if (family === current) return;
    if (closed.has(family)) throw new Error(`family ${family} is not in one piece, at: ${line}`);
    if (current !== null) closed.add(current);
    current = family;
  };
  if (!text.endsWith("\n")) throw new Error("exposition must end with a newline");
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("#")) {
      const parts = line.split(" ");
      if (parts[1] === "TYPE") {
        const name = parts[2] ?? "";
        if (!NAME.test(name) || !TYPES.includes(parts[3] ?? "") || parts.length !== 4) throw new Error(`bad TYPE line: ${line}`);
        if (types.has(name)) throw new Error(`family declared twice: ${name}`);
        enter(name, line);
        if (samples.some((_, i) => familyOfSample[i] === name)) throw new Error(`TYPE after samples: ${line}`);
        types.set(name, parts[3]!);
      } else if (parts[1] === "HELP") {
        const name = parts[2] ?? "";
        if (!NAME.test(name)) throw new Error(`bad HELP line: ${line}`);
        if (help.has(name)) throw new Error(`HELP twice for ${name}`);
        enter(name, line);
        help.set(name, unescape(parts.slice(3).join(" "), "\\n", line));
      }
      continue;
    }
    const match = SAMPLE.exec(line);
    if (match === null) throw new Error(`bad sample line: ${line}`);
    const name = match[1]!;
    const family = familyOf(name, types);
    if (family === undefined) throw new Error(`sample without a TYPE: ${line}`);
    enter(family, line);
    const sample = { name, labels: match[3] ? parseLabels(match[3], line) : {}, value: parseValue(match[4]!, line) };
    if (types.get(family) === "counter" && !(sample.value >= 0)) throw new Error(`negative counter: ${line}`);
    samples.push(sample);
    familyOfSample.push(family);
  }
  const keys = new Set<string>();
  for (const sample of samples) {
    const key = seriesKey(sample);
    if (keys.has(key)) throw new Error(`series twice: ${key}`);
    keys.add(key);
  }
  for (const [family, type] of types) {
    if (type === "histogram") checkHistogram(family, samples);
  }
  return { types, help, samples };
}

/** For each label set of a histogram: ascending buckets ending at +Inf, cumulative, +Inf = _count, a _sum. */
function checkHistogram(family: string, samples: Sample[]): void {
  const series = new Map<string, { buckets: Sample[]; sum?: Sample; count?: Sample }>();
  const entry = (sample: Sample) => {
    const { le: _le, ...rest } = sample.labels;
    const key = seriesKey({ name: family, labels: rest, value: 0 });
    let found = series.get(key);
    if (found === undefined) series.set(key, (found = { buckets: [] }));
    return found;
  };
  for (const sample of samples) {
    if (sample.name === family) throw new Error(`histogram ${family} has a sample without a suffix`);
    if (sample.name === `${family}_bucket`) {
      if (sample.labels.le === undefined) throw new Error(`${family}_bucket without le`);
      entry(sample).buckets.push(sample);
    } else if (sample.name === `${family}_sum` || sample.name === `${family}_count`) {
      if (sample.labels.le !== undefined) throw new Error(`${sample.name} with le`);
      entry(sample)[sample.name.endsWith("_sum") ? "sum" : "count"] = sample;
    }
  }
  for (const [key, { buckets, sum, count }] of series) {
    if (sum === undefined || count === undefined) throw new Error(`${key}: no _sum or no _count`);
    const bounds = buckets.map((bucket) => parseValue(bucket.labels.le!, `${key} le=${bucket.labels.le}`));
    if (bounds.at(-1) !== Infinity) throw new Error(`${key}: the last bucket is not le="+Inf"`);
    for (let i = 1; i < buckets.length; i++) {
      if (!(bounds[i - 1]! < bounds[i]!)) throw new Error(`${key}: bucket bounds do not ascend`);
      if (buckets[i - 1]!.value > buckets[i]!.value) throw new Error(`${key}: buckets are not cumulative`);
    }
    if (buckets.at(-1)!.value !== count.value) throw new Error(`${key}: the +Inf bucket is not _count`);
  }
}

/** The naming rules a scraper does not enforce but a reader relies on; empty when all hold. */
export function conventionProblems(exposition: Exposition): string[] {
  const problems: string[] = [];
  for (const [family, type] of exposition.types) {
    if (type === "counter" && !family.endsWith("_total")) problems.push(`counter ${family} does not end in _total`);
    if (type !== "counter" && family.endsWith("_total")) problems.push(`${type} ${family} ends in _total`);
    if (!exposition.help.get(family)) problems.push(`${family} has no HELP`);
  }
  for (const family of exposition.help.keys()) {
    if (!exposition.types.has(family)) problems.push(`${family} has HELP but no TYPE`);
  }
  return problems;
}

export function sampleValue(exposition: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  return exposition.samples.find(
    (s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value),
  )?.value;
}
