import type { Subprocess } from "bun";
import { MAIN } from "./cli.ts";

/**
 * `sekisho run` as a real child process (from source), with its JSON log lines collected, for the
 * end-to-end tests: signals, exit codes and restarts are only real across a process boundary.
 */
export const E2E_TOKEN = "e2e-token-0123456789abcdef";
export const E2E_PAN_KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0";

export interface ProcessorProcess {
  readonly child: Subprocess<"ignore", "pipe", "pipe">;
  readonly lines: string[];
  readonly stderr: string[];
  apiUrl: string;
  waitForLog(event: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  waitReady(timeoutMs?: number): Promise<void>;
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; json: any }>;
  exited: Promise<number>;
}

export interface ProcessorProcessOptions {
  networkPort: number;
  db: string;
  profile?: string;
  links?: number;
  args?: string[];
  env?: Record<string, string>;
  /** The script to run instead of src/main.ts (one that patches something in, then imports it). */
  entry?: string;
}

export function startProcessorProcess(options: ProcessorProcessOptions): ProcessorProcess {
  const args = [
    "run",
    "--network",
    `127.0.0.1:${options.networkPort}`,
    "--links",
    String(options.links ?? 1),
    "--profile",
    options.profile ?? "iso87-ascii",
    "--db",
    options.db,
    "--api",
    "127.0.0.1:0",
    "--log-format",
    "json",
    "--reconnect-delay-min-ms",
    "20",
    "--reconnect-delay-max-ms",
    "200",
    ...(options.args ?? []),
  ];
  const child = Bun.spawn([process.execPath, options.entry ?? MAIN, ...args], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, SEKISHO_API_TOKEN: E2E_TOKEN, SEKISHO_PAN_KEY: E2E_PAN_KEY, ...options.env },
  });
  const lines: string[] = [];
  const stderr: string[] = [];
  const waiters: Array<() => void> = [];
  const wake = () => waiters.splice(0).forEach((resolve) => resolve());
  const pump = async (stream: ReadableStream<Uint8Array>, sink: string[]) => {
    const decoder = new TextDecoder();
    let rest = "";
    for await (const chunk of stream) {
      rest += decoder.decode(chunk, { stream: true });
      const parts = rest.split("\n");
      rest = parts.pop()!;
      sink.push(...parts.filter((line) => line.length > 0));
      wake();
    }
    if (rest) sink.push(rest);
    wake();
  };
  void pump(child.stdout, lines);
  void pump(child.stderr, stderr);
  let exitCode: number | null = null;
  const exited = child.exited.then((code) => {
    exitCode = code;
    wake();
    return code;
  });

  const process_: ProcessorProcess = {
    child,
    lines,
    stderr,
    apiUrl: "",
    exited,
    async waitForLog(event, timeoutMs = 15_000) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        for (const line of lines) {
          try {
            const parsed = JSON.parse(line) as Record<string, unknown>;
            if (parsed.event === event) return parsed;
          } catch {
            // not a JSON line
          }
        }
        if (exitCode !== null) throw new Error(`processor exited (${exitCode}) before "${event}": ${stderr.join(" | ")}`);
        if (performance.now() > deadline) throw new Error(`no "${event}" log line within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 100);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    async waitReady(timeoutMs = 15_000) {
      const started = await process_.waitForLog("processor.started", timeoutMs);
      process_.apiUrl = String(started.api);
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const response = await fetch(`${process_.apiUrl}/readyz`).catch(() => null);
        if (response?.status === 200) return;
        if (performance.now() > deadline) throw new Error("processor not ready in time");
        await Bun.sleep(50);
      }
    },
    async api(method, path, body, headers = {}) {
      const response = await fetch(`${process_.apiUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${E2E_TOKEN}`, "content-type": "application/json", ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, json: text ? JSON.parse(text) : null };
    },
  };
  return process_;
}

/** Creates a user with one card topped up with `balance`; returns what the tests need. */
export async function seedCard(
  processor: ProcessorProcess,
  balance: number,
): Promise<{ userId: string; cardId: string; pan: string; expiry: string }> {
  const user = await processor.api("POST", "/v1/users", { name: "e2e" });
  if (user.status !== 201) throw new Error(`create user: ${user.status} ${JSON.stringify(user.json)}`);
  const card = await processor.api("POST", `/v1/users/${user.json.id}/cards`, {});
  if (card.status !== 201) throw new Error(`issue card: ${card.status}`);
  const topUp = await processor.api("POST", `/v1/users/${user.json.id}/topups`, { amount: balance }, {
    "idempotency-key": `seed-${user.json.id}`,
  });
  if (topUp.status !== 201) throw new Error(`top up: ${topUp.status}`);
  return { userId: user.json.id, cardId: card.json.id, pan: card.json.pan, expiry: card.json.expiry };
}
