import { configKeySpecs, CROSS_KEY_RULES, defaultOf, envName, flagName } from "../config.ts";
import { parseFlags, type Command } from "./cli.ts";

/**
 * `sekisho config`: the configuration reference, generated from the settings table in src/config.ts. The
 * docs/operating.md embeds its Markdown output between markers, and a test keeps the two identical.
 */
export function configReferenceMarkdown(): string {
  const rows = configKeySpecs().map(([key, spec]) => {
    const fallback = defaultOf(key);
    const shown =
      fallback === undefined ? "—" : Array.isArray(fallback) ? `\`${fallback.join(",")}\`` : `\`${String(fallback)}\``;
    const flag = spec.envOnly ? "(environment only)" : `\`--${flagName(key)}\``;
    return `| \`${key}\` | ${flag} | \`${envName(key)}\` | ${shown} | ${spec.help}${bounds(spec.schema).replace(/\|/g, "\\|")} |`;
  });
  const rules = CROSS_KEY_RULES.map(({ rule }) => `- ${rule}`);
  return [
    "| key | flag | environment | default | meaning |",
    "|---|---|---|---|---|",
    ...rows,
    "",
    "Checked against each other at start-up (a violation is a configuration error, exit 2):",
    "",
    ...rules,
  ].join("\n");
}

/** The bounds of a setting, read from the schema's JSON Schema form: range, choices, pattern, length, URL. */
function bounds(schema: import("zod").ZodType): string {
  let json: Record<string, unknown>;
  try {
    json = (schema as unknown as { toJSONSchema(): Record<string, unknown> }).toJSONSchema();
  } catch {
    return ""; // schemas with transforms have no JSON Schema form; their help text says what they take
  }
  const values = json.enum as unknown[] | undefined;
  if (Array.isArray(values)) return ` (one of ${values.map((v) => `\`${String(v)}\``).join(", ")})`;
  if (typeof json.minimum === "number" && typeof json.maximum === "number") return ` (${json.minimum}–${json.maximum})`;
  if (typeof json.pattern === "string") return ` (matches \`${json.pattern}\`)`;
  if (json.format === "uri") return " (a URL)";
  if (typeof json.minLength === "number" && json.minLength > 1) return ` (at least ${json.minLength} characters)`;
  return "";
}

export const configCommand: Command = {
  name: "config",
  summary: "print the configuration reference (every key, flag, environment variable, default, bound)",
  usage: `sekisho config [--markdown]

Every setting of \`sekisho run\`: its flag, its SEKISHO_* environment variable, default and bounds.
Sources, later winning: --config FILE (JSON or TOML) < environment < flags. Secrets come only from the
environment.`,
  async run(argv) {
    const { values } = parseFlags(argv, { markdown: { type: "boolean" }, help: { type: "boolean", short: "h" } });
    if (values.help) {
      console.log(this.usage);
      return 0;
    }
    if (values.markdown) {
      console.log(configReferenceMarkdown());
      return 0;
    }
    for (const [key, spec] of configKeySpecs()) {
      const fallback = defaultOf(key);
      const where = spec.envOnly ? envName(key) : `--${flagName(key)}, ${envName(key)}`;
      console.log(`${key.padEnd(24)} ${where}\n${"".padEnd(24)} ${spec.help}${fallback === undefined ? "" : ` [default ${String(fallback)}]`}${bounds(spec.schema)}`);
    }
    console.log("\nChecked against each other at start-up:");
    for (const { rule } of CROSS_KEY_RULES) console.log(`  ${rule.replace(/`/g, "")}`);
    return 0;
  },
};
