import { endToEndFromFlags, END_TO_END_FLAGS, END_TO_END_FLAGS_HELP } from "./end-to-end-flags.ts";
import { EndToEndError, runEndToEnd, type EndToEndReport } from "../demo/end-to-end.ts";
import { maskedStream } from "../ops/mask.ts";
import { FAULT_KINDS, FaultListError, parseFaults, type FaultKind } from "../sim/faults.ts";
import { SimError } from "../sim/run.ts";
import { formatSummary, progressPrinter } from "../sim/report-text.ts";
import type { SeedingProgress } from "../sim/run.ts";
import { CommandError, parseFlags, UsageError, type Command } from "./cli.ts";

export function formatProcessorSummary(report: EndToEndReport): string {
  const lines = report.processors.map((p, i) => {
    const memory = p.rssPeakMb === null ? "" : `, peak RSS ${p.rssPeakMb} MiB`;
    const cpu = p.cpuSeconds === null ? "" : `, CPU ${p.cpuSeconds.toFixed(1)} s`;
    return `processor ${i + 1}: exit ${p.exitCode}${p.exitCode === 0 ? " (ordered shutdown complete)" : ""}${memory}${cpu}`;
  });
  for (const r of report.restarts) {
    const how = r.kind === "sigterm" ? `exit ${r.exitCode}${r.exitCode === 0 ? " (ordered shutdown complete)" : " (ordered shutdown FAILED)"}` : `killed${r.signalCode === null ? "" : ` (${r.signalCode})`}`;
    lines.push(`${r.kind}: processor ${r.instance} ${how}, started again ${r.downMs} ms after the signal`);
  }
  const c = report.consistency;
  if (c !== null) {
    lines.push(
      `ledger (${report.ledger}): journal sum ${c.journalSum}, accounts mismatched ${c.accountsMismatched}, ` +
        `negative without advice ${c.accountsNegativeWithoutAdvice}, keys with several holds ${c.keysWithSeveralHolds} → ` +
        (c.consistent ? "consistent" : "INCONSISTENT"),
    );
  }
  return lines.join("\n");
}

/**
 * The live progress of an end-to-end run on stderr (so stdout keeps the summary or the JSON): the cards
 * being seeded, then the load, one line rewritten in place and fitted to the terminal's width.
 */
export function stderrProgress() {
  const printer = progressPrinter(maskedStream(process.stderr), { columns: () => process.stderr.columns });
  return {
    ...printer,
    seeding(progress: SeedingProgress): void {
      const percent = progress.total > 0 ? Math.floor((progress.seeded * 100) / progress.total) : 100;
      printer.line([`seeding cards ${progress.seeded.toLocaleString("en-US")}/${progress.total.toLocaleString("en-US")}`, `${percent}%`]);
    },
  };
}

export function endToEndOk(report: EndToEndReport): boolean {
  return (
    report.sim.ok &&
    report.processors.every((p) => p.exitCode === 0) &&
    report.restarts.every((r) => r.kind !== "sigterm" || r.exitCode === 0) &&
    (report.consistency?.consistent ?? true)
  );
}

export function explainFailure(error: unknown): never {
  if (error instanceof EndToEndError || error instanceof SimError) throw new CommandError(error.message);
  throw error;
}

export const demoCommand: Command = {
  name: "demo",
  summary: "processor + card-network simulator + fresh ledger on loopback: seed cards, run load, summarize",
  usage: `sekisho demo [options]

Starts a fresh embedded ledger, the processor (\`sekisho run\`, a child process) and the card-network
simulator (this process) on loopback; the simulator seeds users, cards and top-ups through the Processor
API, drives a mix of purchases, declines, reversals, duplicates, advices and balance inquiries for a while
with a live progress line (on stderr), checks every answer and every balance, then the processor is stopped with
SIGTERM and shuts down in order. Needs no setup and leaves nothing behind.

${END_TO_END_FLAGS_HELP.replace("%DURATION%", "10").replace("%WINDOW%", "64")}
  --faults LIST     inject faults, seeded (--seed replays them), comma-separated or all:
                    ${FAULT_KINDS.join(", ")}
                    (see docs/simulator.md for what each does)`,
  async run(argv) {
    const { values } = parseFlags(argv, { ...END_TO_END_FLAGS, faults: { type: "string" } });
    if (values.help) {
      console.log(this.usage);
      return 0;
    }
    const flags = endToEndFromFlags(values, { durationSeconds: 10, windowMax: 64 });
    let faults: FaultKind[] | undefined;
    if (values.faults !== undefined) {
      try {
        faults = parseFaults(values.faults, FAULT_KINDS);
      } catch (error) {
        if (error instanceof FaultListError) throw new UsageError(`--faults: ${error.message}`);
        throw error;
      }
    }
    const stdout = maskedStream(process.stdout);
    const say = (line: string) => stdout.write(line + "\n");
    const progress = stderrProgress();
    say(`sekisho demo: ${flags.users} cards, ${flags.links} link(s), profile ${flags.profile}, ${flags.durationSeconds} s of load`);
    if (faults !== undefined) say(`faults: ${faults.join(", ")}`);
    let report: EndToEndReport;
    try {
      report = await runEndToEnd({
        ...flags,
        ...(faults !== undefined ? { faults } : {}),
        onProgress: (p) => progress.update(p),
        onSeeding: (p) => progress.seeding(p),
        onPhase: (phase) => {
          progress.done();
          say(`· ${phase}`);
        },
      });
    } catch (error) {
      progress.done();
      explainFailure(error);
    }
    progress.done();
    say(formatSummary(report.sim));
    say(formatProcessorSummary(report));
    return endToEndOk(report) ? 0 : 1;
  },
};
