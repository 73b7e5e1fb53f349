#!/usr/bin/env bun
import packageJson from "../package.json" with { type: "json" };
import { benchCommand } from "./commands/bench.ts";
import { configCommand } from "./commands/config-reference.ts";
import { CommandError, UsageError, type Command } from "./commands/cli.ts";
import { ConfigError } from "./config.ts";
import { decodeCommand } from "./commands/decode.ts";
import { encodeCommand } from "./commands/encode.ts";
import { healthCommand } from "./commands/health.ts";
import { demoCommand } from "./commands/demo.ts";
import { runCommand } from "./commands/run.ts";
import { simCommand } from "./commands/sim.ts";
import { maskText, registerSecret } from "./ops/mask.ts";

const COMMANDS: readonly Command[] = [runCommand, simCommand, demoCommand, decodeCommand, encodeCommand, benchCommand, configCommand, healthCommand];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `sekisho ${packageJson.version} — card-issuer authorization processor (ISO 8583)

Usage: sekisho <command> [options]

Commands:
${lines.join("\n")}

Run \`sekisho <command> --help\` for a command's options.`;
}

/** Secrets any command may be given (`sekisho sim` takes the API token too) are redacted from its output. */
const SECRET_ENVIRONMENT = ["SEKISHO_API_TOKEN", "SEKISHO_PAN_KEY", "SEKISHO_WEBHOOK_SECRET"] as const;

async function main(argv: string[]): Promise<number> {
  for (const name of SECRET_ENVIRONMENT) registerSecret(process.env[name]);
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-v" || name === "version") {
    console.log(packageJson.version);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) throw new UsageError(`unknown command "${name}"; run \`sekisho --help\``);
  // An error nobody caught is a bug: one masked line and exit 70, instead of the runtime's unmasked report.
  // `sekisho run` has its own handlers: it logs the error and shuts down in order.
  if (command !== runCommand) {
    process.on("uncaughtException", exitOnUncaught);
    process.on("unhandledRejection", exitOnUncaught);
  }
  return command.run(rest);
}

/** Every failure is one line on stderr, through the same masking as the logs: input can hold card data. */
function reportFailure(error: unknown): void {
  const command = process.argv[2] && !process.argv[2].startsWith("-") ? `sekisho ${process.argv[2]}` : "sekisho";
  if (error instanceof UsageError || error instanceof CommandError || error instanceof ConfigError) {
    console.error(maskText(`${command}: ${error.message}`));
    process.exitCode = error.exitCode;
    return;
  }
  // A bug, not bad input: say so in one line; the stack goes to stderr only when asked for.
  console.error(maskText(`${command}: internal error: ${error instanceof Error ? error.message : String(error)}`));
  if (process.env.SEKISHO_DEBUG) console.error(maskText(error instanceof Error ? (error.stack ?? error.message) : String(error)));
  process.exitCode = 70;
}

function exitOnUncaught(error: unknown): void {
  reportFailure(error);
  process.exit(70);
}

// No top-level await: the compiled binary is built with --bytecode, which needs a plain script body.
main(process.argv.slice(2)).then((exitCode) => {
  process.exitCode = exitCode;
}, reportFailure);
