import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { registerApiMetrics } from "../src/api/api-metrics.ts";
import { configReferenceMarkdown } from "../src/commands/config-reference.ts";
import { RUN_EXIT } from "../src/commands/run.ts";
import { SIGNAL_EXIT_CODES } from "../src/commands/signals.ts";
import { readConfigFile, resolveConfig } from "../src/config.ts";
import { registerEngineMetrics } from "../src/engine/engine-metrics.ts";
import { registerNotifierMetrics } from "../src/notify/notifier-metrics.ts";
import { FATAL_EVENTS } from "../src/ops/fatal-errors.ts";
import { MetricsRegistry } from "../src/ops/metrics.ts";
import { registerProcessMetrics } from "../src/ops/process-metrics.ts";
import { REPO_ROOT } from "./support/cli.ts";

/**
 * The documentation's generated and listed parts, checked against the code so that it keeps reading true,
 * each in the file that holds it: the README (the first commands, the exit codes' summary) and
 * docs/operating.md (configuration reference, settings example, metrics, log events, exit codes of
 * `sekisho run`). And every relative link and anchor between README.md and docs/*.md resolves.
 */
const DOCS_DIR = join(REPO_ROOT, "docs");
const DOC_FILES = [
  join(REPO_ROOT, "README.md"),
  ...readdirSync(DOCS_DIR)
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => join(DOCS_DIR, name)),
];

interface Doc {
  readonly name: string;
  readonly text: string;
}

function doc(path: string): Doc {
  return { name: relative(REPO_ROOT, path), text: readFileSync(path, "utf8") };
}

const README = doc(join(REPO_ROOT, "README.md"));
const OPERATING = doc(join(DOCS_DIR, "operating.md"));

function between(file: Doc, begin: string, end: string): string {
  const start = file.text.indexOf(begin);
  const stop = file.text.indexOf(end);
  if (start < 0 || stop < start) throw new Error(`${file.name} has no ${begin} … ${end} block`);
  return file.text.slice(start + begin.length, stop).trim();
}

/** The text of the section under `heading` (up to the next `## ` heading). */
function section(file: Doc, heading: string): string {
  const start = file.text.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`${file.name} has no section ${heading}`);
  const next = file.text.indexOf("\n## ", start + heading.length + 1);
  return file.text.slice(start, next < 0 ? undefined : next);
}

/** The table rows of the section under `heading`. */
function sectionRows(file: Doc, heading: string): string[] {
  return section(file, heading)
    .split("\n")
    .filter((line) => line.startsWith("| "));
}

function cells(row: string): string[] {
  return row
    .slice(2, -2)
    .split(" | ")
    .map((cell) => cell.trim());
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** The lines outside fenced code blocks, with inline code spans removed. */
function prose(text: string): string[] {
  const lines: string[] = [];
  let fenced = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("```")) {
      fenced = !fenced;
      continue;
    }
    if (!fenced) lines.push(line);
  }
  return lines;
}

/** GitHub's anchors for a file's headings: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const line of prose(text)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading === null) continue;
    const slug = heading[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
      .replaceAll(" ", "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    result.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return result;
}

/** The targets of a file's Markdown links that stay in this repository (no scheme). */
function relativeLinks(text: string): string[] {
  const targets: string[] = [];
  for (const line of prose(text)) {
    const withoutCode = line.replace(/`[^`]*`/g, "code");
    for (const match of withoutCode.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = match[1]!;
      if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) targets.push(target);
    }
  }
  return targets;
}

describe("README", () => {
  test("starts with the two commands", () => {
    const text = README.text;
    const firstBlock = text.slice(text.indexOf("```sh"), text.indexOf("```", text.indexOf("```sh") + 5));
    expect(firstBlock).toContain("npm ci && npx bun src/main.ts demo");
    expect(firstBlock).toContain("npm ci && npm test");
  });

  test("stays short: the details are in docs/", () => {
    expect(README.text.split("\n").length).toBeLessThanOrEqual(220);
  });

  test("links to every file in docs/", () => {
    const linked = new Set(relativeLinks(README.text).map((target) => target.split("#")[0]));
    const missing = DOC_FILES.filter((path) => path.startsWith(DOCS_DIR))
      .map((path) => relative(REPO_ROOT, path))
      .filter((name) => !linked.has(name));
    expect(missing).toEqual([]);
  });

  test("its exit codes' summary names every exit code of sekisho run", () => {
    const summary = section(README, "## Exit codes");
    const line = summary.slice(summary.indexOf("- `sekisho run`:"), summary.indexOf("\n- `sekisho health`"));
    const codes = [...Object.values(RUN_EXIT), ...Object.values(SIGNAL_EXIT_CODES)].map(String);
    const missing = codes.filter((code) => !new RegExp(`(^|[^0-9])${code}([^0-9]|$)`).test(line));
    expect(missing).toEqual([]);
  });
});

describe("docs/operating.md", () => {
  test("its configuration reference is the one generated from the schema (sekisho config --markdown)", () => {
    const block = between(OPERATING, "<!-- config:begin -->", "<!-- config:end -->");
    if (block !== configReferenceMarkdown()) {
      throw new Error(
        "docs/operating.md's configuration reference differs from the schema's: replace the block between " +
          "<!-- config:begin --> and <!-- config:end --> with the output of `npx bun src/main.ts config --markdown`",
      );
    }
  });

  test("its settings file example loads and validates", async () => {
    const toml = between(OPERATING, "<!-- config-example:begin -->", "<!-- config-example:end -->").replace(
      /^```toml\n|```$/g,
      "",
    );
    const dir = mkdtempSync(join(tmpdir(), "sekisho-docs-"));
    try {
      const path = join(dir, "sekisho.toml");
      writeFileSync(path, toml);
      const file = await readConfigFile(path);
      const config = resolveConfig({ file, env: { apiToken: "t".repeat(16), panKey: "0".repeat(64) } });
      expect(config.network).toEqual(["192.0.2.10:8583", "192.0.2.11:8583"]);
      expect(config.profile).toBe("visa-base1");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("its metrics list names every metric the processor registers, with its type and labels, and no other", () => {
    const registry = new MetricsRegistry();
    registerEngineMetrics(registry);
    registerApiMetrics(registry);
    registerNotifierMetrics(registry);
    registerProcessMetrics(registry);
    const rows = new Map(
      sectionRows(OPERATING, "## Metrics")
        .map(cells)
        .filter((row) => /^`(sekisho|process)_/.test(row[0]!))
        .map((row) => [row[0]!.replaceAll("`", ""), row] as const),
    );
    const registered = registry.list();
    for (const metric of registered) {
      const row = rows.get(metric.name);
      expect(row === undefined ? `${metric.name} missing` : metric.name).toBe(metric.name);
      expect(`${metric.name} ${row![1]}`).toBe(`${metric.name} ${metric.type}`);
      const labels = metric.labelNames.length === 0 ? "—" : metric.labelNames.map((l) => `\`${l}\``).join(", ");
      expect(`${metric.name} ${row![2]}`).toBe(`${metric.name} ${labels}`);
    }
    expect([...rows.keys()].sort()).toEqual(registered.map((m) => m.name).sort());
  });

  test("its logging section lists every event the code logs, and only those", () => {
    const source = sourceFiles(join(REPO_ROOT, "src"))
      .map((file) => readFileSync(file, "utf8"))
      .join("\n");
    const logged = new Set<string>(Object.values(FATAL_EVENTS));
    for (const match of source.matchAll(/\b(?:logger|log)\.(?:debug|info|warn|error)\(\s*"([a-z0-9_]+\.[a-z0-9_.]+)"/g)) {
      logged.add(match[1]!);
    }
    expect(logged.size).toBeGreaterThan(30);
    const logging = section(OPERATING, "## Logging");
    const listed = new Set(
      [...logging.matchAll(/`([a-z0-9_]+\.[a-z0-9_]+)`/g)].map((m) => m[1]!).filter((name) => !/\.(ts|md)$/.test(name)),
    );
    const missing = [...logged].filter((event) => !listed.has(event) && !logging.includes(`\`${event}\``));
    expect(missing).toEqual([]);
    const invented = [...listed].filter((event) => !logged.has(event));
    expect(invented).toEqual([]);
  });

  test("its exit codes of sekisho run are the code's", () => {
    const rows = sectionRows(OPERATING, "## Signals and exit codes").map(cells);
    const codes = rows.map((row) => row[0]!).filter((cell) => /^\d/.test(cell));
    const fromCode = [...Object.values(RUN_EXIT).map(String), Object.values(SIGNAL_EXIT_CODES).sort().join(", ")];
    expect(codes.sort()).toEqual(fromCode.sort());
  });
});

describe("links between README.md and docs/", () => {
  test("every relative link points to an existing file, and every anchor to a heading of that file", () => {
    const broken: string[] = [];
    let checked = 0;
    for (const path of DOC_FILES) {
      const text = readFileSync(path, "utf8");
      for (const target of relativeLinks(text)) {
        checked += 1;
        const hash = target.indexOf("#");
        const file = hash < 0 ? target : target.slice(0, hash);
        const anchor = hash < 0 ? "" : decodeURIComponent(target.slice(hash + 1));
        const resolved = file === "" ? path : join(dirname(path), file);
        const where = `${relative(REPO_ROOT, path)} → ${target}`;
        if (!existsSync(resolved)) {
          broken.push(`${where}: no such file`);
        } else if (anchor !== "") {
          if (!resolved.endsWith(".md")) broken.push(`${where}: an anchor into a file that is not Markdown`);
          else if (!anchors(readFileSync(resolved, "utf8")).has(anchor)) broken.push(`${where}: no such heading`);
        }
      }
    }
    expect(broken).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });

  test("the anchors are GitHub's", () => {
    const slugs = anchors("# Sekisho 関所\n## Running in production (`sekisho run`)\n## The ledger's internals\n## Faults\n## Faults\n");
    expect([...slugs]).toEqual(["sekisho-関所", "running-in-production-sekisho-run", "the-ledgers-internals", "faults", "faults-1"]);
  });
});
