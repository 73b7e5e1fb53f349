import { loadProfile, type ProfileName } from "../../src/iso8583/profiles/index.ts";
import type { EngineSettings } from "../../src/engine/engine-settings.ts";
import { Processor, type ProcessorOptions } from "../../src/engine/processor.ts";
import type { LinkSettings } from "../../src/link/link-settings.ts";
import type { Ledger } from "../../src/ledger/ledger.ts";
import { createLogger } from "../../src/ops/log.ts";
import { MetricsRegistry } from "../../src/ops/metrics.ts";
import { ScriptedLedger } from "./scripted-ledger.ts";
import { testEngineSettings, testLinkSettings } from "./settings.ts";
import { TestNetwork } from "./test-network.ts";

export interface Harness {
  network: TestNetwork;
  processor: Processor;
  ledger: Ledger;
  registry: MetricsRegistry;
  logLines: string[];
  stop(): Promise<void>;
}

export type HarnessOverrides = Partial<Omit<ProcessorOptions, "engine" | "link">> & {
  profileName?: ProfileName;
  ledger?: Ledger;
  engine?: Partial<EngineSettings>;
  link?: Partial<LinkSettings>;
};

/** A processor dialling a test network on loopback, with small bounds suited to tests (test/support/settings.ts). */
export function startHarness(overrides: HarnessOverrides = {}): Harness {
  const profile = loadProfile(overrides.profileName ?? "iso87-ascii");
  const network = new TestNetwork({ profile }).listen();
  const ledger = overrides.ledger ?? new ScriptedLedger();
  const registry = new MetricsRegistry();
  const logLines: string[] = [];
  const { profileName: _, engine, link, ...rest } = overrides;
  const processor = new Processor({
    profile,
    ledger,
    endpoints: [{ host: "127.0.0.1", port: network.port }],
    links: 1,
    logger: createLogger({ level: "debug", format: "json", write: (line) => logLines.push(line) }),
    metrics: registry,
    ...rest,
    engine: testEngineSettings(engine),
    link: testLinkSettings(link),
  });
  processor.start();
  let stopped = false;
  return {
    network,
    processor,
    ledger,
    registry,
    logLines,
    async stop() {
      if (stopped) return;
      stopped = true;
      await processor.shutdown();
      network.close();
    },
  };
}
