import type { MessageView } from "../../src/iso8583/message-view.ts";
import { loadProfile, type ProfileName } from "../../src/iso8583/profiles/index.ts";
import { Processor, type ProcessorOptions } from "../../src/engine/processor.ts";
import type { Ledger } from "../../src/ledger/ledger.ts";
import { createLogger } from "../../src/ops/log.ts";
import { MetricsRegistry } from "../../src/ops/metrics.ts";
import { ScriptedLedger, testRequestFromView } from "./scripted-ledger.ts";
import { TEST_HEADER, TestNetwork } from "./test-network.ts";

export interface Harness {
  network: TestNetwork;
  processor: Processor;
  ledger: Ledger;
  registry: MetricsRegistry;
  logLines: string[];
  stop(): Promise<void>;
}

/** A processor dialling a test network on loopback, with small bounds suited to tests. */
export function startHarness(
  overrides: Partial<ProcessorOptions> & { profileName?: ProfileName; ledger?: Ledger } = {},
): Harness {
  const profile = loadProfile(overrides.profileName ?? "iso87-ascii");
  const network = new TestNetwork({ profile }).listen();
  const ledger = overrides.ledger ?? new ScriptedLedger();
  const registry = new MetricsRegistry();
  const logLines: string[] = [];
  const processor = new Processor({
    profile,
    ledger,
    toRequest: testRequestFromView,
    describe: (view: MessageView) => `${view.mtiString()}/${view.has(11) ? view.string(11) : "?"}`,
    endpoints: [{ host: "127.0.0.1", port: network.port }],
    links: 1,
    frameBytesMax: 8192,
    writeBufferBytesMax: 1024 * 1024,
    linkPendingBytesHighWater: 256 * 1024,
    linkPendingBytesLowWater: 64 * 1024,
    frameAssemblyTimeoutMs: 2000,
    ringCapacity: 1024,
    ringHighWaterPercent: 75,
    ringLowWaterPercent: 25,
    authTasks: 2,
    batchSizeMax: 64,
    requestDeadlineMs: 2000,
    connectTimeoutMs: 1000,
    signOnTimeoutMs: 1000,
    echoIdleMs: 60_000,
    echoTimeoutMs: 1000,
    reconnectDelayMinMs: 20,
    reconnectDelayMaxMs: 200,
    signOffTimeoutMs: 500,
    closeGraceMs: 20,
    base1Header: profile.headerBytes > 0 ? TEST_HEADER : null,
    logger: createLogger({ level: "debug", format: "json", write: (line) => logLines.push(line) }),
    metrics: registry,
    ...overrides,
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
      await processor.shutdown(3000);
      network.close();
    },
  };
}
