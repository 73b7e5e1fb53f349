/**
 * A small parser of the Prometheus text exposition format (0.0.4), strict enough to fail on what a
 * scraper would reject: every sample line must be `name{labels} value`, names and labels well-formed,
 * values numbers, and every sample must belong to a family declared by # TYPE.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const at = LABEL.lastIndex;
    const match = LABEL.exec(text);
    if (match === null) throw new Error(`bad labels at ${at} in: ${line}`);
    labels[match[1]!] = match[2]!.replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
  }
  return labels;
}

function parseValue(text: string, line: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  const value = Number(text);
  if (text === "" || Number.isNaN(value)) throw new Error(`bad value in: ${line}`);
  return value;
}

function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      if (types.get(base) === "histogram" || types.get(base) === "summary") return base;
    }
  }
  return undefined;
}

export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  if (!text.endsWith("\n")) throw new Error("exposition must end with a newline");
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("#")) {
      const parts = line.split(" ");
      if (parts[1] === "TYPE") {
        if (!NAME.test(parts[2] ?? "") || !["counter", "gauge", "histogram", "summary", "untyped"].includes(parts[3] ?? "")) {
          throw new Error(`bad TYPE line: ${line}`);
        }
        if (types.has(parts[2]!)) throw new Error(`family declared twice: ${parts[2]}`);
        types.set(parts[2]!, parts[3]!);
      } else if (parts[1] === "HELP" && !NAME.test(parts[2] ?? "")) {
        throw new Error(`bad HELP line: ${line}`);
      }
      continue;
    }
    const match = SAMPLE.exec(line);
    if (match === null) throw new Error(`bad sample line: ${line}`);
    const name = match[1]!;
    if (familyOf(name, types) === undefined) throw new Error(`sample without a TYPE: ${line}`);
    samples.push({ name, labels: match[3] ? parseLabels(match[3], line) : {}, value: parseValue(match[4]!, line) });
  }
  return { types, samples };
}

export function sampleValue(exposition: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  return exposition.samples.find(
    (s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value),
  )?.value;
}
