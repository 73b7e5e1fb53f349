import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { REPO_ROOT } from "./support/cli.ts";

/**
 * Dependencies between the rooms of src/ point one way. A room is a folder of src/, or one of its two
 * top-level files (config.ts, main.ts). ROOM_IMPORTS says what each room may import, by room or by single
 * file (`ledger/ledger.ts`: the interface and nothing behind it); imports inside a room are free. Every
 * relative import counts: `import`, `import type`, `export … from`, side-effect and dynamic imports.
 * Imports that leave src/ (package.json) name no room. A new room fails the test until it is in the table.
 * Neither the rooms nor the files of src/ import each other in a cycle, however indirectly.
 */
const ROOM_IMPORTS: Readonly<Record<string, readonly string[]>> = {
  /** The vocabulary everyone shares (response codes, card statuses, PAN bounds, currencies): imports nothing. */
  domain: [],
  /** The codec, its wire profiles and their framing. */
  iso8583: ["domain"],
  /** Logs, metrics, masking, assertions: masking needs the codec's notion of a sensitive field. */
  ops: ["iso8583", "domain"],
  link: ["iso8583", "ops", "domain"],
  /** Pure rules: they may assert, never log or touch a ledger. */
  authorize: ["iso8583", "domain", "ops/assert.ts"],
  /** The engine knows the Ledger interface and nothing behind it; main.ts chooses the ledger. */
  engine: ["iso8583", "link", "authorize", "ledger/ledger.ts", "ops", "domain"],
  ledger: ["authorize", "iso8583", "ops", "domain"],
  api: ["ledger", "authorize", "iso8583", "ops", "domain"],
  notify: ["ledger", "ops", "domain"],
  /** Clearing file formats (BASE II, JSON Lines) and settlement: pure, on the shared vocabulary alone. */
  clearing: ["domain"],
  /** A black box to the processor: it speaks only over sockets and HTTP, sharing the codec and profiles. */
  sim: ["iso8583", "ops", "domain"],
  bench: ["sim", "ledger", "authorize", "iso8583", "ops", "domain"],
  demo: ["sim", "bench", "ledger", "iso8583", "ops", "domain"],
  /** The configuration shows the rooms' own defaults and limits; no room imports it (commands build their options). */
  config: ["iso8583", "ledger", "ops", "domain"],
  /** The wiring: anything but main.ts. */
  commands: ["config", "domain", "iso8583", "ops", "link", "authorize", "ledger", "engine", "api", "notify", "sim", "bench", "demo"],
  main: ["commands", "config", "ops", "domain"],
};

const SRC = join(REPO_ROOT, "src");

interface Import {
  /** Both relative to src/, with ".ts". */
  readonly from: string;
  readonly to: string;
}

/** Relative module specifiers in TypeScript source: static, type-only, re-exports, side-effect and dynamic imports. */
function relativeSpecifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\b[^;'"`]*?\bfrom\s*["']([^"']+)["']/gm,
    /^\s*import\s*["']([^"']+)["']/gm,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const match of source.matchAll(pattern)) if (match[1]!.startsWith(".")) found.push(match[1]!);
  }
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

function collectImports(): Import[] {
  const imports: Import[] = [];
  for (const file of sourceFiles(SRC)) {
    for (const specifier of relativeSpecifiers(readFileSync(file, "utf8"))) {
      const target = resolve(dirname(file), specifier);
      const to = relative(SRC, target);
      if (to.startsWith("..")) continue; // package.json and the like: no room
      imports.push({ from: relative(SRC, file), to });
    }
  }
  return imports;
}

function roomOf(path: string): string {
  const slash = path.indexOf("/");
  return slash < 0 ? path.replace(/\.ts$/, "") : path.slice(0, slash);
}

function allowed(room: string, to: string): boolean {
  return (ROOM_IMPORTS[room] ?? []).some((entry) => (entry.endsWith(".ts") ? entry === to : entry === roomOf(to)));
}

/** One cycle of the graph, as its nodes with the first repeated at the end; null when there is none. */
function findCycle(graph: ReadonlyMap<string, ReadonlySet<string>>): string[] | null {
  const done = new Set<string>();
  const path: string[] = [];
  const onPath = new Set<string>();
  const visit = (node: string): string[] | null => {
    if (onPath.has(node)) return [...path.slice(path.indexOf(node)), node];
    if (done.has(node)) return null;
    path.push(node);
    onPath.add(node);
    for (const next of [...(graph.get(node) ?? [])].sort()) {
      const cycle = visit(next);
      if (cycle !== null) return cycle;
    }
    path.pop();
    onPath.delete(node);
    done.add(node);
    return null;
  };
  for (const node of [...graph.keys()].sort()) {
    const cycle = visit(node);
    if (cycle !== null) return cycle;
  }
  return null;
}

function graphOf(edges: Iterable<readonly [string, string]>): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const [from, to] of edges) {
    const targets = graph.get(from) ?? new Set<string>();
    targets.add(to);
    graph.set(from, targets);
  }
  return graph;
}

const imports = collectImports();
const crossRoom = imports.filter((edge) => roomOf(edge.from) !== roomOf(edge.to));

describe("architecture", () => {
  test("the scanner sees every form of relative import", () => {
    const source = [
      'import { a,',
      '  b } from "./one.ts";',
      'import type { C } from "../two.ts";',
      'export { d } from "./three.ts";',
      'export * from "./four.ts";',
      'import "./five.ts";',
      'const six = await import("./six.ts");',
      'import { z } from "zod";',
      'const text = "not an import from \\"./seven.ts\\"";',
    ].join("\n");
    expect(relativeSpecifiers(source).sort()).toEqual(["../two.ts", "./five.ts", "./four.ts", "./one.ts", "./six.ts", "./three.ts"]);
    expect(crossRoom.length).toBeGreaterThan(50);
  });

  test("every room of src/ is in the table, and the table names only rooms", () => {
    const rooms = new Set(sourceFiles(SRC).map((file) => roomOf(relative(SRC, file))));
    expect([...rooms].sort()).toEqual(Object.keys(ROOM_IMPORTS).sort());
    const unknown = Object.entries(ROOM_IMPORTS).flatMap(([room, entries]) =>
      entries.filter((entry) => !rooms.has(roomOf(entry)) || roomOf(entry) === room).map((entry) => `${room}: ${entry}`),
    );
    expect(unknown).toEqual([]);
  });

  test("every import between rooms is one the table allows", () => {
    const forbidden = crossRoom.filter((edge) => !allowed(roomOf(edge.from), edge.to)).map((edge) => `${edge.from} -> ${edge.to}`);
    expect(forbidden).toEqual([]);
  });

  test("nothing imports commands/ or main.ts", () => {
    const inward = crossRoom.filter((edge) => (roomOf(edge.to) === "commands" && roomOf(edge.from) !== "main") || roomOf(edge.to) === "main");
    expect(inward.map((edge) => `${edge.from} -> ${edge.to}`)).toEqual([]);
  });

  test("no import cycle between rooms, in the code or in the table", () => {
    expect(findCycle(graphOf(crossRoom.map((edge) => [roomOf(edge.from), roomOf(edge.to)] as const)))).toBeNull();
    const table = Object.entries(ROOM_IMPORTS).flatMap(([room, entries]) => entries.map((entry) => [room, roomOf(entry)] as const));
    expect(findCycle(graphOf(table))).toBeNull();
  });

  test("no import cycle between files anywhere in src/ (src/ledger/sqlite had one)", () => {
    const files = graphOf(imports.map((edge) => [edge.from, edge.to] as const));
    expect(findCycle(files)).toBeNull();
    const sqlite = imports.filter((edge) => edge.from.startsWith("ledger/sqlite/") && edge.to.startsWith("ledger/sqlite/"));
    expect(sqlite.length).toBeGreaterThan(20);
  });
});
