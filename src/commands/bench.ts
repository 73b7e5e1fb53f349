import { runBenchCodec } from "./bench-codec.ts";
import { runBenchE2e } from "./bench-e2e.ts";
import { runBenchLedger } from "./bench-ledger.ts";
import { UsageError, type Command } from "./cli.ts";

/** `sekisho bench <target>`: each target is its own module; this only dispatches. */
const TARGETS: Record<string, { summary: string; run: (argv: string[]) => Promise<number> }> = {
  e2e: { summary: "processor + simulator on loopback: throughput, latency, consistency (the default)", run: runBenchE2e },
  codec: { summary: "in-process codec timing on a typical 0100 and its 0110", run: runBenchCodec },
  ledger: { summary: "authorizations/s through the ledger alone: SQLite, or PostgreSQL with --db (and --instances N)", run: runBenchLedger },
};

export const benchCommand: Command = {
  name: "bench",
  summary: "measure: " + Object.keys(TARGETS).join(", "),
  get usage() {
    const lines = Object.entries(TARGETS).map(([name, target]) => `  ${name.padEnd(8)} ${target.summary}`);
    return `sekisho bench [target] [options]   (sekisho bench <target> --help for its options; default e2e)\n\nTargets:\n${lines.join("\n")}`;
  },
  async run(argv) {
    const [target, ...rest] = argv;
    if (target === "--help" || target === "-h") {
      console.log(this.usage);
      return 0;
    }
    // No target (or only flags): the end-to-end benchmark.
    if (target === undefined || target.startsWith("-")) return runBenchE2e(argv);
    const entry = TARGETS[target];
    if (entry === undefined) throw new UsageError(`unknown benchmark "${target}"; try: ${Object.keys(TARGETS).join(", ")}`);
    return entry.run(rest);
  },
};
