import { endToEndFromFlags, END_TO_END_FLAGS, END_TO_END_FLAGS_HELP } from "./end-to-end-flags.ts";
import { runEndToEnd, type EndToEndReport } from "../demo/end-to-end.ts";
import { formatSummary } from "../sim/report-text.ts";
import { isPostgresUrl } from "../ledger/open-options.ts";
import { maskedStream } from "../ops/mask.ts";
import { parseFlags } from "./cli.ts";
import { endToEndOk, explainFailure, formatProcessorSummary, stderrProgress } from "./demo.ts";

/**
 * Requests in flight per link by default. SQLite: on two cores the throughput stops growing about here,
 * while the latency keeps growing with the window (see docs/performance.md). PostgreSQL: a
 * batch waits on round trips to the server, so it takes more in flight to keep the instances busy.
 */
const BENCH_WINDOW_DEFAULT = 96;
const BENCH_WINDOW_DEFAULT_POSTGRES = 256;

export const benchE2eUsage = `sekisho bench [e2e] [options] [--json]

The demo's run, for measurement: processor(s) and simulator on loopback, flat out within the window.
Progress (the cards being seeded, the load) goes to stderr.
--json prints one JSON report on stdout: sent, answered, unanswered, approved, declined, tps,
latency_ms {p50, p99, p999, max}, ledger_consistent, and the processors' peak RSS and CPU.

${END_TO_END_FLAGS_HELP.replace("%DURATION%", "10").replace("%WINDOW%", `${BENCH_WINDOW_DEFAULT}; ${BENCH_WINDOW_DEFAULT_POSTGRES} with --db postgres://…`)}
  --json            one JSON report`;

export function benchReport(report: EndToEndReport): Record<string, unknown> {
  const sim = report.sim;
  return {
    sent: sim.sent,
    answered: sim.answered,
    unanswered: sim.unanswered,
    approved: sim.approved,
    declined: sim.declined,
    check_failures: sim.check_failures,
    tps: sim.tps,
    latency_ms: sim.latency_ms,
    // The balances through the API and the ledger's own invariants: false if either found a fault, null
    // (not checked) if the balances were not, true if both agree.
    ledger_consistent:
      sim.ledger_consistent === false || report.consistency?.consistent === false ? false : sim.ledger_consistent === null ? null : true,
    ledger_not_checked_reason: sim.ledger_not_checked_reason,
    ledger: report.ledger,
    profile: sim.profile,
    links: sim.links,
    window: sim.window,
    instances: report.processors.length,
    duration_s: sim.duration_s,
    seed: sim.seed,
    processor_exit_codes: report.processors.map((p) => p.exitCode),
    processor_rss_peak_mb: report.processors.map((p) => p.rssPeakMb),
    processor_cpu_s: report.processors.map((p) => p.cpuSeconds),
    simulator_cpu_s: Math.round(report.simCpuSeconds * 10) / 10,
  };
}

export async function runBenchE2e(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { ...END_TO_END_FLAGS, json: { type: "boolean" } });
  if (values.help) {
    console.log(benchE2eUsage);
    return 0;
  }
  const postgres = typeof values.db === "string" && isPostgresUrl(values.db);
  const flags = endToEndFromFlags(values, { durationSeconds: 10, windowMax: postgres ? BENCH_WINDOW_DEFAULT_POSTGRES : BENCH_WINDOW_DEFAULT });
  // Progress on stderr: a run takes a while (cards, load, shutdown), and stdout stays the report's alone.
  const progress = stderrProgress();
  const stderr = maskedStream(process.stderr);
  let report: EndToEndReport;
  try {
    report = await runEndToEnd({
      ...flags,
      onProgress: (p) => progress.update(p),
      onSeeding: (p) => progress.seeding(p),
      onPhase: (phase) => {
        progress.done();
        stderr.write(`· ${phase}\n`);
      },
    });
  } catch (error) {
    progress.done();
    explainFailure(error);
  }
  progress.done();
  if (values.json) console.log(JSON.stringify(benchReport(report)));
  else {
    console.log(formatSummary(report.sim));
    console.log(formatProcessorSummary(report));
  }
  return endToEndOk(report) ? 0 : 1;
}
