import { join } from "node:path";

export const REPO_ROOT = join(import.meta.dir, "../..");
export const MAIN = join(REPO_ROOT, "src/main.ts");

export interface CliResult {
  exitCode: number;
  stdout: Uint8Array;
  stdoutText: string;
  stderr: string;
}

/** Runs `sekisho ARGS` from source as a separate process, feeding `stdin`. */
export async function runCli(args: string[], stdin?: Uint8Array | string, env: Record<string, string> = {}): Promise<CliResult> {
  const child = Bun.spawn([process.execPath, MAIN, ...args], {
    stdin: stdin === undefined ? "ignore" : typeof stdin === "string" ? new TextEncoder().encode(stdin) : stdin,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...env },
  });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).bytes(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { exitCode, stdout, stdoutText: new TextDecoder().decode(stdout), stderr };
}
