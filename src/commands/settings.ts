import type { Config } from "../config.ts";
import type { EngineSettings } from "../engine/engine-settings.ts";
import type { LinkSettings } from "../link/link-settings.ts";

/**
 * Each room's settings, built once from the configuration: the only place a configuration key is copied to
 * a room's own name. The rooms never see the configuration (test/architecture.test.ts).
 */
export function linkSettingsFrom(config: Config): LinkSettings {
  return {
    frameBytesMax: config.frameBytesMax,
    frameAssemblyTimeoutMs: config.frameAssemblyTimeoutMs,
    writeBufferBytesMax: config.writeBufferBytesMax,
    pendingBytesHighWater: config.linkPendingBytesHighWater,
    pendingBytesLowWater: config.linkPendingBytesLowWater,
    connectTimeoutMs: config.connectTimeoutMs,
    signOnTimeoutMs: config.signOnTimeoutMs,
    echoIdleMs: config.echoIdleMs,
    echoTimeoutMs: config.echoTimeoutMs,
    reconnectDelayMinMs: config.reconnectDelayMinMs,
    reconnectDelayMaxMs: config.reconnectDelayMaxMs,
    base1Stations: { destination: config.base1DestinationStation, source: config.base1SourceStation },
  };
}

export function engineSettingsFrom(config: Config): EngineSettings {
  return {
    ringCapacity: config.ringCapacity,
    ringHighWaterPercent: config.ringHighWaterPercent,
    ringLowWaterPercent: config.ringLowWaterPercent,
    authTasks: config.authTasks,
    batchSizeMax: config.batchSizeMax,
    requestDeadlineMs: config.requestDeadlineMs,
    drainDeadlineMs: config.drainDeadlineMs,
    signOffTimeoutMs: config.signOffTimeoutMs,
    closeGraceMs: config.closeGraceMs,
  };
}
