import { defaultOf, environmentSource } from "../config.ts";
import { parseFlags, UsageError, type Command } from "./cli.ts";
import { HOST_PORT_PATTERN } from "../domain/host-port.ts";

/** Bound on the whole probe; a health check that hangs is a failed one. */
const PROBE_TIMEOUT_MS_DEFAULT = 2000;

/** Where to reach a server listening on `address`: a wildcard listen address is probed on loopback. */
export function probeUrl(address: string): string {
  const match = HOST_PORT_PATTERN.exec(address);
  if (match === null) throw new UsageError(`--api expects HOST:PORT, got "${address}"`);
  const host = match[1] === "0.0.0.0" ? "127.0.0.1" : match[1] === "[::]" ? "[::1]" : match[1]!;
  return `http://${host}:${match[2]}/readyz`;
}

/** One line saying why the probe failed. */
async function probe(url: string, timeoutMs: number): Promise<string | null> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "manual" });
  } catch (error) {
    if ((error as Error).name === "TimeoutError") return `no answer from ${url} within ${timeoutMs} ms`;
    const code = (error as { code?: unknown }).code;
    return `cannot reach ${url}${typeof code === "string" ? ` (${code})` : ""}`;
  }
  if (response.status === 200) return null;
  const reason = await response
    .json()
    .then((body) => (body as { reason?: unknown }).reason)
    .catch(() => undefined);
  return `not ready (HTTP ${response.status})${typeof reason === "string" ? `: ${reason}` : ""}`;
}

export const healthCommand: Command = {
  name: "health",
  summary: "exit 0 when the local processor is ready (GET /readyz), else 1 with the reason",
  usage: `sekisho health [--api HOST:PORT] [--timeout-ms N]

Asks the Processor API's /readyz. Exit 0 when it answers 200; otherwise exit 1 with one line on stderr
saying why (not ready and the reason, unreachable, or no answer in time). For container health checks:
the image has no shell or curl.

  --api HOST:PORT    where the API listens (default: SEKISHO_API, else ${String(defaultOf("api"))});
                     0.0.0.0 and [::] are probed on loopback
  --timeout-ms N     bound on the probe (default ${PROBE_TIMEOUT_MS_DEFAULT})`,
  async run(argv) {
    const { values } = parseFlags(argv, {
      api: { type: "string" },
      "timeout-ms": { type: "string" },
      help: { type: "boolean", short: "h" },
    });
    if (values.help) {
      console.log(this.usage);
      return 0;
    }
    const address = values.api ?? String(environmentSource(process.env).api ?? defaultOf("api"));
    const timeoutMs = values["timeout-ms"] === undefined ? PROBE_TIMEOUT_MS_DEFAULT : Number(values["timeout-ms"]);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 60_000) {
      throw new UsageError("--timeout-ms expects an integer from 1 to 60000");
    }
    const problem = await probe(probeUrl(address), timeoutMs);
    if (problem === null) {
      console.log("ready");
      return 0;
    }
    console.error(`sekisho health: ${problem}`);
    return 1;
  },
};
