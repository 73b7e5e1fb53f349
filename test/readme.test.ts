import { describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { registerApiMetrics } from "../src/api/api-metrics.ts";
import { configReferenceMarkdown } from "../src/commands/config-reference.ts";
import { RUN_EXIT } from "../src/commands/run.ts";
import { readConfigFile, resolveConfig } from "../src/config.ts";
import { registerEngineMetrics } from "../src/engine/engine-metrics.ts";
import { SIGNAL_EXIT_CODES } from "../src/engine/signals.ts";
import { registerNotifierMetrics } from "../src/notify/notifier-metrics.ts";
import { FATAL_EVENTS } from "../src/ops/fatal-errors.ts";
import { MetricsRegistry } from "../src/ops/metrics.ts";
import { REPO_ROOT } from "./support/cli.ts";

/** The README's generated and listed parts, checked against the code so that it keeps reading true. */
const README = readFileSync(join(REPO_ROOT, "README.md"), "utf8");

function between(begin: string, end: string): string {
  const start = README.indexOf(begin);
  const stop = README.indexOf(end);
  if (start < 0 || stop < start) throw new Error(`README has no ${begin} … ${end} block`);
  return README.slice(start + begin.length, stop).trim();
}

/** The table rows of the section under `heading` (up to the next heading of the same level). */
function sectionRows(heading: string): string[] {
  const start = README.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README has no section ${heading}`);
  const next = README.indexOf("\n## ", start + heading.length + 1);
  return README.slice(start, next < 0 ? undefined : next)
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

describe("README", () => {
  test("starts with the two commands", () => {
    const firstBlock = README.slice(README.indexOf("```sh"), README.indexOf("```", README.indexOf("```sh") + 5));
    expect(firstBlock).toContain("npm ci && npx bun src/main.ts demo");
    expect(firstBlock).toContain("npm ci && npm test");
  });

  test("its configuration reference is the one generated from the schema (sekisho config --markdown)", () => {
    const block = between("<!-- config:begin -->", "<!-- config:end -->");
    if (block !== configReferenceMarkdown()) {
      throw new Error(
        "README.md's configuration reference differs from the schema's: replace the block between " +
          "<!-- config:begin --> and <!-- config:end --> with the output of `npx bun src/main.ts config --markdown`",
      );
    }
  });

  test("its settings file example loads and validates", async () => {
    const toml = between("<!-- config-example:begin -->", "<!-- config-example:end -->").replace(/^```toml\n|```$/g, "");
    const dir = mkdtempSync(join(tmpdir(), "sekisho-readme-"));
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
    const rows = new Map(
      sectionRows("## Metrics")
        .map(cells)
        .filter((row) => /^`sekisho_/.test(row[0]!))
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
    const start = README.indexOf("\n## Logging\n");
    const section = README.slice(start, README.indexOf("\n## ", start + 5));
    const listed = new Set([...section.matchAll(/`([a-z0-9_]+\.[a-z0-9_]+)`/g)].map((m) => m[1]!).filter((name) => !name.endsWith(".ts")));
    const missing = [...logged].filter((event) => !listed.has(event) && !section.includes(`\`${event}\``));
    expect(missing).toEqual([]);
    const invented = [...listed].filter((event) => !logged.has(event));
    expect(invented).toEqual([]);
  });

  test("its exit codes of sekisho run are the code's", () => {
    const rows = sectionRows("## Signals and exit codes").map(cells);
    const codes = rows.map((row) => row[0]!).filter((cell) => /^\d/.test(cell));
    const fromCode = [...Object.values(RUN_EXIT).map(String), Object.values(SIGNAL_EXIT_CODES).sort().join(", ")];
    expect(codes.sort()).toEqual(fromCode.sort());
  });
});
