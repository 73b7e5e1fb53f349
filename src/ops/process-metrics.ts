import { existsSync, readdirSync, readFileSync } from "node:fs";
import type { MetricsRegistry } from "./metrics.ts";

/**
 * The standard process metrics, named as Prometheus' client libraries name them, so that the usual
 * dashboards and alerts work unchanged. Every value is read when scraped (the runtime's counters, the
 * files under /proc), never on the hot path. The ones read from procfs exist on Linux only; elsewhere they
 * are not registered at all rather than shown as a false 0.
 */
export interface ProcessMetricsOptions {
  /** The process's procfs directory; a test may point it elsewhere. */
  readonly procSelfDir?: string;
}

/** The 23rd field of /proc/self/stat, counted from the one after the command name's closing parenthesis. */
const STAT_VSIZE_INDEX = 23 - 3;

export function registerProcessMetrics(registry: MetricsRegistry, options: ProcessMetricsOptions = {}): void {
  const procSelfDir = options.procSelfDir ?? "/proc/self";
  registry.sampledCounter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds", () => {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1e6;
  });
  const resident = registry.gauge("process_resident_memory_bytes", "Resident memory size in bytes");
  resident.onCollect(() => resident.set(process.memoryUsage.rss()));
  registry
    .gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds")
    .set(Date.now() / 1000 - process.uptime());
  if (!existsSync(`${procSelfDir}/fd`)) return;

  const openFds = registry.gauge("process_open_fds", "Number of open file descriptors");
  openFds.onCollect(() => openFds.set(readdirSync(`${procSelfDir}/fd`).length));
  const maxFds = registry.gauge("process_max_fds", "Maximum number of open file descriptors");
  maxFds.onCollect(() => maxFds.set(maxOpenFiles(readFileSync(`${procSelfDir}/limits`, "utf8"))));
  const virtual = registry.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes");
  virtual.onCollect(() => virtual.set(virtualMemoryBytes(readFileSync(`${procSelfDir}/stat`, "utf8"))));
}

/** The soft limit of "Max open files" in /proc/self/limits; Infinity when unlimited. */
export function maxOpenFiles(limits: string): number {
  const line = limits.split("\n").find((row) => row.startsWith("Max open files"));
  const soft = line?.slice("Max open files".length).trim().split(/\s+/)[0];
  if (soft === undefined) return NaN;
  return soft === "unlimited" ? Infinity : Number(soft);
}

/** The vsize field of /proc/self/stat, in bytes. The command name may hold spaces: count after its ")". */
export function virtualMemoryBytes(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[STAT_VSIZE_INDEX] ?? NaN);
}
