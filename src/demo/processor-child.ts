import type { Subprocess } from "bun";
import { readFileSync } from "node:fs";
import { selfCommand } from "./self-command.ts";

/**
 * A `sekisho run` child process for the demo and the end-to-end benchmark: started with its settings on
 * the command line and its secrets in the environment, watched for an early exit, measured (peak RSS and
 * CPU from /proc) and stopped with SIGTERM like an operator would.
 */
export interface ProcessorChildOptions {
  network: string;
  links: number;
  profile: string;
  db: string;
  api: string;
  token: string;
  panKey: string;
  extraArgs?: readonly string[];
  /** How to start `sekisho` (default: this program itself). */
  command?: readonly string[];
}

export interface ProcessorChildResult {
  exitCode: number;
  rssPeakMb: number | null;
  cpuSeconds: number | null;
  stderrTail: string;
}

const STDERR_TAIL_CHARS = 4000;

export class ProcessorChild {
  readonly child: Subprocess<"ignore", "pipe", "pipe">;
  private stderr = "";
  private rssPeakMb: number | null = null;
  private cpuSeconds: number | null = null;
  readonly exited: Promise<number>;

  constructor(readonly options: ProcessorChildOptions) {
    this.child = Bun.spawn(
      [
        ...(options.command ?? selfCommand()),
        "run",
        "--network",
        options.network,
        "--links",
        String(options.links),
        "--profile",
        options.profile,
        "--db",
        options.db,
        "--api",
        options.api,
        "--log-format",
        "json",
        "--log-level",
        "warn",
        ...(options.extraArgs ?? []),
      ],
      {
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
        env: { ...process.env, SEKISHO_API_TOKEN: options.token, SEKISHO_PAN_KEY: options.panKey },
      },
    );
    void this.collect(this.child.stdout, false);
    void this.collect(this.child.stderr, true);
    this.exited = this.child.exited;
  }

  /** Keeps the tail of what the child says (warnings and errors: its log level is warn). */
  private async collect(stream: ReadableStream<Uint8Array>, isStderr: boolean): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      this.stderr = (this.stderr + decoder.decode(chunk, { stream: true })).slice(-STDERR_TAIL_CHARS);
      if (!isStderr) continue;
    }
  }

  get running(): boolean {
    return this.child.exitCode === null;
  }

  /** Reads peak RSS and CPU time while the process is alive (Linux /proc; null elsewhere). */
  sample(): void {
    try {
      const status = readFileSync(`/proc/${this.child.pid}/status`, "utf8");
      const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
      if (hwm) this.rssPeakMb = Math.round(Number(hwm[1]) / 1024);
      const stat = readFileSync(`/proc/${this.child.pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      this.cpuSeconds = (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks
    } catch {
      // gone already, or not Linux
    }
  }

  /** SIGTERM, then the ordered shutdown runs; resolves with what happened. */
  async stop(): Promise<ProcessorChildResult> {
    this.sample();
    if (this.running) this.child.kill("SIGTERM");
    const exitCode = await this.exited;
    return { exitCode, rssPeakMb: this.rssPeakMb, cpuSeconds: this.cpuSeconds, stderrTail: this.stderr.trim() };
  }

  kill(): void {
    if (this.running) this.child.kill("SIGKILL");
  }
}

/** A free loopback port (bound and released at once; the processor binds it a moment later). */
export function freePort(): number {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return port;
}
