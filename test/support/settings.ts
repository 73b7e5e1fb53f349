import type { EngineSettings } from "../../src/engine/engine-settings.ts";
import type { LinkSettings } from "../../src/link/link-settings.ts";
import { TEST_HEADER } from "./test-network.ts";

/** Engine settings with small bounds suited to tests; a test overrides what it is about. */
export function testEngineSettings(overrides: Partial<EngineSettings> = {}): EngineSettings {
  return {
    ringCapacity: 1024,
    ringHighWaterPercent: 75,
    ringLowWaterPercent: 25,
    authTasks: 2,
    batchSizeMax: 64,
    requestDeadlineMs: 2000,
    drainDeadlineMs: 3000,
    signOffTimeoutMs: 500,
    closeGraceMs: 20,
    ...overrides,
  };
}

/** Link settings with short timeouts suited to tests; the stations are those of the test network's header. */
export function testLinkSettings(overrides: Partial<LinkSettings> = {}): LinkSettings {
  return {
    frameBytesMax: 8192,
    frameAssemblyTimeoutMs: 2000,
    writeBufferBytesMax: 1024 * 1024,
    pendingBytesHighWater: 256 * 1024,
    pendingBytesLowWater: 64 * 1024,
    connectTimeoutMs: 1000,
    signOnTimeoutMs: 1000,
    echoIdleMs: 60_000,
    echoTimeoutMs: 1000,
    reconnectDelayMinMs: 20,
    reconnectDelayMaxMs: 200,
    base1Stations: { destination: TEST_HEADER.destination, source: TEST_HEADER.source },
    ...overrides,
  };
}
