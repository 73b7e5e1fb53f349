import { parseArgs, type ParseArgsConfig } from "node:util";

/**
 * What every subcommand shares: option parsing that rejects unknown flags, and the two kinds of failure a
 * command reports — a usage mistake (exit 2) and an input or runtime failure (exit 1) — each as one line.
 */
export class UsageError extends Error {
  override readonly name = "UsageError";
  readonly exitCode = 2;
}

export class CommandError extends Error {
  override readonly name = "CommandError";
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(argv: string[]): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig["options"]>;

export function parseFlags<T extends Options>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.split("\n")[0]! : String(error));
  }
}

export async function readStdinBytes(): Promise<Uint8Array> {
  return new Uint8Array(await Bun.stdin.arrayBuffer());
}

/** Hex text (any case, whitespace ignored) as bytes. */
export function parseHexText(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "");
  if (clean.length % 2 !== 0 || !/^[0-9A-Fa-f]*$/.test(clean)) {
    throw new CommandError("input is not hex: expected pairs of 0-9/A-F characters");
  }
  return Uint8Array.from(Buffer.from(clean, "hex"));
}
