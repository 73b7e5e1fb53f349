import { expect } from "bun:test";

/**
 * Runs a crash child (a script in this folder that prints one JSON line per committed step) and kills it
 * with SIGKILL after `linesBeforeKill` lines (and `delayMs` more). Returns the lines it printed, parsed.
 */
export async function runAndKill<T>(script: string, args: string[], linesBeforeKill: number, delayMs: number): Promise<T[]> {
  const child = Bun.spawn([process.execPath, script, ...args], { stdout: "pipe", stderr: "pipe" });
  const lines: T[] = [];
  let buffered = "";
  let killed = false;
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      lines.push(JSON.parse(buffered.slice(0, newline)) as T);
      buffered = buffered.slice(newline + 1);
    }
    if (!killed && lines.length >= linesBeforeKill) {
      killed = true;
      setTimeout(() => child.kill("SIGKILL"), delayMs);
    }
  }
  const code = await child.exited;
  if (!killed) throw new Error(`crash child ended by itself (exit ${code}): ${await new Response(child.stderr).text()}`);
  expect(child.signalCode).toBe("SIGKILL");
  return lines;
}
