import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createThrowawayDatabase } from "../bench/throwaway-database.ts";
import type { ProfileName } from "../iso8583/profiles/index.ts";
import type { ConsistencyReport } from "../ledger/ledger.ts";
import { isPostgresUrl, openLedger } from "../ledger/open.ts";
import type { SimReport } from "../sim/report.ts";
import { startSimulation, type SimOptions } from "../sim/run.ts";
import type { SimProgress } from "../sim/simulator-config.ts";
import { freePort, ProcessorChild, type ProcessorChildResult } from "./processor-child.ts";

/**
 * One end-to-end run on loopback, as the demo and the benchmark do it: a fresh ledger (a temporary SQLite
 * file unless a database is given), one or more `sekisho run` processes dialling the simulator, which runs
 * in this process — so the processor and the network each have a core. The simulator seeds the cards through
 * the Processor API, drives the load, checks every answer and compares every balance; afterwards the
 * processors are stopped with SIGTERM (their ordered shutdown) and the ledger's own invariants are checked.
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
  /** How to start `sekisho` for the processors (default: this program itself). */
  processorCommand?: readonly string[];
  onPhase?: (phase: string) => void;
}

export interface EndToEndReport {
  sim: SimReport;
  processors: ProcessorChildResult[];
  /** The ledger's invariants, checked on the file/database after the processors stopped. */
  consistency: ConsistencyReport | null;
  ledger: "sqlite" | "postgres";
  /** CPU seconds this process (the simulator) used. */
  simCpuSeconds: number;
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
  };
  const sim = startSimulation(simOptions);
  const processors: ProcessorChild[] = [];
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
          ...(options.processorArgs ? { extraArgs: options.processorArgs } : {}),
          ...(options.processorCommand ? { command: options.processorCommand } : {}),
        }),
      );
    }
    // A processor that dies early ends the run at once, with its own words, instead of a wait for links.
    const earlyExit = Promise.race(
      processors.map((p) => p.exited.then(async (code) => ({ code, tail: (await p.stop()).stderrTail }))),
    );
    const outcome = await Promise.race([sim.report.then((report) => ({ report })), earlyExit.then((exit) => ({ exit }))]);
    if ("exit" in outcome) {
      sim.stop();
      await sim.report.catch(() => {});
      throw new EndToEndError(`a processor exited early (code ${outcome.exit.code}): ${outcome.exit.tail.split("\n").slice(-3).join(" | ")}`);
    }
    for (const processor of processors) processor.sample();
    options.onPhase?.("stopping the processor(s) with SIGTERM");
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
    };
  } finally {
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
