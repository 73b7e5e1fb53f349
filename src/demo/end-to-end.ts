import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createThrowawayDatabase } from "../bench/throwaway-database.ts";
import type { ProfileName } from "../iso8583/profiles/index.ts";
import type { ConsistencyReport } from "../ledger/ledger.ts";
import { isPostgresUrl, openLedger } from "../ledger/open.ts";
import type { FaultKind, ProcessFaultKind } from "../sim/faults.ts";
import type { SimReport } from "../sim/report.ts";
import { startSimulation, type SeedingProgress, type SimOptions } from "../sim/run.ts";
import type { SimProgress } from "../sim/simulator-config.ts";
import { freePort, ProcessorChild, type ProcessorChildResult } from "./processor-child.ts";

/**
 * One end-to-end run on loopback, as the demo and the benchmark do it: a fresh ledger (a temporary SQLite
 * file unless a database is given), one or more `sekisho run` processes dialling the simulator, which runs
 * in this process — so the processor and the network each have a core. The simulator seeds the cards through
 * the Processor API, drives the load, checks every answer and compares every balance; afterwards the
 * processors are stopped with SIGTERM (their ordered shutdown) and the ledger's own invariants are checked.
 * With faults, the simulator injects them on the links; the process faults (`sigkill`, `sigterm`) it hands
 * back here, and a processor is stopped that way and started again on the same ledger, mid-run.
 */
export interface EndToEndOptions {
  durationSeconds: number;
  profile: ProfileName;
  /** Links per processor instance. */
  links: number;
  instances: number;
  users: number;
  windowMax: number;
  seed?: number;
  /** A PostgreSQL server (URL) on which the instances share a throwaway database; default: a temporary SQLite file (one instance only). */
  db?: string;
  /** Extra `sekisho run` flags (e.g. --batch-size-max). */
  processorArgs?: readonly string[];
  onProgress?: (progress: SimProgress) => void;
  /** The cards being seeded through the Processor API (the few seconds before the load). */
  onSeeding?: (progress: SeedingProgress) => void;
  /** How to start `sekisho` for the processors (default: this program itself). */
  processorCommand?: readonly string[];
  onPhase?: (phase: string) => void;
  /** Faults to inject (link faults by the simulator, process faults here); the seed fixes the schedule. */
  faults?: readonly FaultKind[];
  /** One fault about every this many ms of driving (the simulator's default otherwise). */
  faultSpacingMs?: number;
}

/** A processor stopped by a process fault and started again. */
export interface ProcessorRestart {
  kind: ProcessFaultKind;
  instance: number;
  /** How the stopped process ended (0 after an ordered SIGTERM shutdown; a SIGKILL leaves no exit code of its own). */
  exitCode: number;
  signalCode: string | null;
  /** From the signal to the new process started (its links sign on a moment later). */
  downMs: number;
}

export interface EndToEndReport {
  sim: SimReport;
  processors: ProcessorChildResult[];
  /** The ledger's invariants, checked on the file/database after the processors stopped. */
  consistency: ConsistencyReport | null;
  ledger: "sqlite" | "postgres";
  /** CPU seconds this process (the simulator) used. */
  simCpuSeconds: number;
  restarts: ProcessorRestart[];
}

export class EndToEndError extends Error {
  override readonly name = "EndToEndError";
  readonly code = "end_to_end_failed";
}

function randomHex(bytes: number): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("hex");
}

export async function runEndToEnd(options: EndToEndOptions): Promise<EndToEndReport> {
  const postgres = options.db !== undefined && isPostgresUrl(options.db);
  if (!postgres && options.instances > 1) {
    throw new EndToEndError("several instances need a shared PostgreSQL database (--db postgres://…)");
  }
  // A run's ledger is always fresh: on a PostgreSQL server, a throwaway database of its own (its PAN key
  // is the run's, so a database from an earlier run could not be opened anyway).
  const throwaway = postgres
    ? await createThrowawayDatabase(options.db!, "sekisho_e2e").catch((error: Error) => {
        throw new EndToEndError(`cannot create a database for the run on ${options.db!.replace(/\/\/[^@/]*@/, "//***@")}: ${error.message}`);
      })
    : null;
  const dir = mkdtempSync(join(tmpdir(), "sekisho-demo-"));
  const db = throwaway?.url ?? options.db ?? join(dir, "ledger.db");
  const token = `demo-${randomHex(16)}`;
  const panKey = randomHex(32);
  const apiPorts = Array.from({ length: options.instances }, () => freePort());
  const cpuStart = process.cpuUsage();
  const simOptions: SimOptions = {
    hostname: "127.0.0.1",
    port: 0,
    profile: options.profile,
    links: options.links * options.instances,
    connectionsMax: options.links * options.instances + 2,
    durationSeconds: options.durationSeconds,
    windowMax: options.windowMax,
    cards: { api: { baseUrl: `http://127.0.0.1:${apiPorts[0]}`, token }, users: options.users },
    waitLinksMs: 30_000,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.onSeeding ? { onSeeding: options.onSeeding } : {}),
    ...(options.faults !== undefined && options.faults.length > 0 ? { faults: options.faults } : {}),
    ...(options.faultSpacingMs !== undefined ? { faultSpacingMs: options.faultSpacingMs } : {}),
    onProcessFault: (kind) => restartOne(kind),
  };
  const processors: ProcessorChild[] = [];
  const restarts: ProcessorRestart[] = [];
  const stoppedOnPurpose = new Set<ProcessorChild>();
  // A processor that dies early ends the run at once, with its own words, instead of a wait for links.
  let reportEarlyExit!: (exit: { code: number; tail: string }) => void;
  const earlyExit = new Promise<{ code: number; tail: string }>((resolve) => (reportEarlyExit = resolve));
  const watch = (processor: ProcessorChild) => {
    void processor.exited.then(async (code) => {
      if (!stoppedOnPurpose.has(processor)) reportEarlyExit({ code, tail: (await processor.stop()).stderrTail });
    });
  };
  // Process faults run one after another; the run waits for the last restart before it stops the processors.
  let restarting: Promise<void> = Promise.resolve();
  let ending = false;
  const restartOne = (kind: ProcessFaultKind) => {
    restarting = restarting.then(async () => {
      if (ending || processors.length === 0) return;
      const instance = restarts.length % processors.length;
      const old = processors[instance]!;
      stoppedOnPurpose.add(old);
      const startedMs = performance.now();
      if (kind === "sigkill") old.kill();
      const result = await old.stop();
      if (ending) return;
      const fresh = new ProcessorChild(old.options);
      processors[instance] = fresh;
      watch(fresh);
      restarts.push({
        kind,
        instance: instance + 1,
        exitCode: result.exitCode,
        signalCode: old.child.signalCode === null ? null : String(old.child.signalCode),
        downMs: Math.round(performance.now() - startedMs),
      });
      options.onPhase?.(`${kind}: processor ${instance + 1} stopped (exit ${result.exitCode}) and started again`);
    });
  };
  const sim = startSimulation(simOptions);
  try {
    const { port } = await sim.listening;
    options.onPhase?.(`network listening on 127.0.0.1:${port}; starting ${options.instances} processor(s)`);
    for (let i = 0; i < options.instances; i++) {
      processors.push(
        new ProcessorChild({
          network: `127.0.0.1:${port}`,
          links: options.links,
          profile: options.profile,
          db,
          api: `127.0.0.1:${apiPorts[i]}`,
          token,
          panKey,
          extraArgs: processorArgsFor(options),
          ...(options.processorCommand ? { command: options.processorCommand } : {}),
        }),
      );
    }
    for (const processor of processors) watch(processor);
    const outcome = await Promise.race([sim.report.then((report) => ({ report })), earlyExit.then((exit) => ({ exit }))]);
    if ("exit" in outcome) {
      sim.stop();
      await sim.report.catch(() => {});
      throw new EndToEndError(`a processor exited early (code ${outcome.exit.code}): ${outcome.exit.tail.split("\n").slice(-3).join(" | ")}`);
    }
    await restarting;
    ending = true;
    for (const processor of processors) processor.sample();
    options.onPhase?.("stopping the processor(s) with SIGTERM");
    for (const processor of processors) stoppedOnPurpose.add(processor);
    const results = await Promise.all(processors.map((p) => p.stop()));
    const cpu = process.cpuUsage(cpuStart);
    options.onPhase?.("checking the ledger's invariants");
    const consistency = await checkLedger(db, panKey);
    return {
      sim: outcome.report,
      processors: results,
      consistency,
      ledger: postgres ? "postgres" : "sqlite",
      simCpuSeconds: (cpu.user + cpu.system) / 1e6,
      restarts,
    };
  } finally {
    ending = true;
    for (const processor of processors) stoppedOnPurpose.add(processor);
    for (const processor of processors) processor.kill();
    rmSync(dir, { recursive: true, force: true });
    await throwaway?.drop();
  }
}

async function checkLedger(db: string, panKey: string): Promise<ConsistencyReport | null> {
  const ledger = await openLedger({
    db,
    sqliteSynchronous: "full",
    sqliteBusyTimeoutMs: 5000,
    holdTimeoutSeconds: 7 * 86_400,
    currency: 392,
    panKey,
  });
  try {
    return await ledger.checkConsistency();
  } finally {
    await ledger.close();
  }
}

/**
 * The processor's flags: the caller's, and with faults a frame-assembly bound of 2 s (unless given), so that
 * a link left with half a frame is dropped well within the simulator's grace.
 */
function processorArgsFor(options: EndToEndOptions): string[] {
  const args = [...(options.processorArgs ?? [])];
  const faulted = options.faults !== undefined && options.faults.length > 0;
  if (faulted && !args.includes("--frame-assembly-timeout-ms")) args.push("--frame-assembly-timeout-ms", "2000");
  return args;
}
