import { describe, expect, test } from "bun:test";
import { engineSettingsFrom, linkSettingsFrom } from "../../src/commands/settings.ts";
import { CONFIG_KEYS, resolveConfig, type ConfigKey } from "../../src/config.ts";

const secrets = { apiToken: "t".repeat(16), panKey: "0".repeat(64) };

/** Every value differs from its default and from the others, so a key copied to the wrong field shows. */
const config = resolveConfig({
  env: secrets,
  flags: {
    frameBytesMax: 4001,
    frameAssemblyTimeoutMs: 4002,
    writeBufferBytesMax: 400_003,
    linkPendingBytesHighWater: 40_004,
    linkPendingBytesLowWater: 4005,
    connectTimeoutMs: 4006,
    signOnTimeoutMs: 4007,
    echoIdleMs: 40_008,
    echoTimeoutMs: 4009,
    reconnectDelayMinMs: 4010,
    reconnectDelayMaxMs: 40_011,
    base1DestinationStation: "400012",
    base1SourceStation: "400013",
    ringCapacity: 8192,
    ringHighWaterPercent: 91,
    ringLowWaterPercent: 17,
    authTasks: 5,
    batchSizeMax: 300,
    requestDeadlineMs: 5014,
    drainDeadlineMs: 50_015,
    signOffTimeoutMs: 5016,
    closeGraceMs: 517,
  },
});

describe("each room's settings, built once from the configuration", () => {
  test("link settings: every key of the links group lands in its own field", () => {
    expect(linkSettingsFrom(config)).toEqual({
      frameBytesMax: 4001,
      frameAssemblyTimeoutMs: 4002,
      writeBufferBytesMax: 400_003,
      pendingBytesHighWater: 40_004,
      pendingBytesLowWater: 4005,
      connectTimeoutMs: 4006,
      signOnTimeoutMs: 4007,
      echoIdleMs: 40_008,
      echoTimeoutMs: 4009,
      reconnectDelayMinMs: 4010,
      reconnectDelayMaxMs: 40_011,
      base1Stations: { destination: "400012", source: "400013" },
    });
  });

  test("engine settings: every key of the engine group lands in its own field", () => {
    expect(engineSettingsFrom(config)).toEqual({
      ringCapacity: 8192,
      ringHighWaterPercent: 91,
      ringLowWaterPercent: 17,
      authTasks: 5,
      batchSizeMax: 300,
      requestDeadlineMs: 5014,
      drainDeadlineMs: 50_015,
      signOffTimeoutMs: 5016,
      closeGraceMs: 517,
    });
  });

  test("no key of the links or engine group is left out: a new one fails here until a room's settings carry it", () => {
    // Keys the processor takes beside the settings (where to dial, how many links, which profile), and the
    // keys a settings field renames.
    const besideSettings: ConfigKey[] = ["network", "links", "profile"];
    const renamed: Partial<Record<ConfigKey, string>> = {
      linkPendingBytesHighWater: "pendingBytesHighWater",
      linkPendingBytesLowWater: "pendingBytesLowWater",
      base1DestinationStation: "base1Stations",
      base1SourceStation: "base1Stations",
    };
    const fields = new Set([...Object.keys(linkSettingsFrom(config)), ...Object.keys(engineSettingsFrom(config))]);
    const groupKeys = (Object.keys(CONFIG_KEYS) as ConfigKey[]).filter((key) =>
      ["links", "engine"].includes(CONFIG_KEYS[key].group),
    );
    const missing = groupKeys.filter((key) => !besideSettings.includes(key) && !fields.has(renamed[key] ?? key));
    expect(missing).toEqual([]);
    expect(groupKeys.length).toBeGreaterThan(besideSettings.length + Object.keys(renamed).length);
  });
});
