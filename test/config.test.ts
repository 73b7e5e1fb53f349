import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, environmentSource, readConfigFile, resolveConfig } from "../src/config.ts";

function expectConfigError(run: () => unknown, pattern: RegExp): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(pattern);
    expect((error as Error).message.split("\n")).toHaveLength(1);
    return;
  }
  throw new Error("expected a ConfigError");
}

describe("configuration", () => {
  test("defaults are complete and consistent", () => {
    const config = resolveConfig({});
    expect(config.links).toBe(2);
    expect(config.ringCapacity).toBeGreaterThanOrEqual(config.batchSizeMax * config.authTasks);
    expect(config.network).toEqual(["127.0.0.1:8583"]);
  });

  test("file < environment < flags", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sekisho-config-"));
    try {
      const toml = join(dir, "sekisho.toml");
      writeFileSync(toml, 'links = 3\nbatchSizeMax = 128\nprofile = "visa-base1"\n');
      const file = await readConfigFile(toml);
      const env = environmentSource({ SEKISHO_LINKS: "5", SEKISHO_BATCH_SIZE_MAX: "64" });
      const config = resolveConfig({ file, env, flags: { links: "7" } });
      expect(config.links).toBe(7);
      expect(config.batchSizeMax).toBe(64);
      expect(config.profile).toBe("visa-base1");
      const json = join(dir, "sekisho.json");
      writeFileSync(json, JSON.stringify({ network: "10.0.0.1:9000,10.0.0.2:9000" }));
      expect(resolveConfig({ file: await readConfigFile(json) }).network).toEqual(["10.0.0.1:9000", "10.0.0.2:9000"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a config file may not hold secrets or unknown keys", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sekisho-config-"));
    try {
      const path = join(dir, "bad.json");
      writeFileSync(path, JSON.stringify({ apiToken: "x".repeat(32) }));
      await expect(readConfigFile(path)).rejects.toThrow(/is a secret; set SEKISHO_API_TOKEN/);
      writeFileSync(path, JSON.stringify({ linkz: 2 }));
      await expect(readConfigFile(path)).rejects.toThrow(/unknown setting "linkz"/);
      await expect(readConfigFile(join(dir, "missing.toml"))).rejects.toThrow(/does not exist/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("an invalid value names the key, its flag and variable, and what is allowed", () => {
    expectConfigError(() => resolveConfig({ flags: { links: "0" } }), /links \(--links \/ SEKISHO_LINKS\):.*>=1/);
    expectConfigError(() => resolveConfig({ flags: { links: "65" } }), /links .*<=64/);
    expectConfigError(() => resolveConfig({ flags: { ringCapacity: "1000" } }), /ringCapacity .*power of two/);
    expectConfigError(() => resolveConfig({ flags: { network: "nohost" } }), /network .*HOST:PORT/);
    expectConfigError(() => resolveConfig({ flags: { profile: "iso93" } }), /profile/);
  });

  test("secrets are validated without echoing their value", () => {
    try {
      resolveConfig({ env: environmentSource({ SEKISHO_PAN_KEY: "secret-but-short" }) });
      throw new Error("accepted a bad key");
    } catch (error) {
      expect((error as Error).message).toMatch(/panKey \(SEKISHO_PAN_KEY\): 32 bytes as 64 hex characters/);
      expect((error as Error).message).not.toContain("secret-but-short");
    }
  });

  test("bounds are checked against each other, at their edges", () => {
    // ringCapacity must hold every task's batch: 1024 = 256 × 4 is the edge.
    expect(resolveConfig({ flags: { ringCapacity: "1024", batchSizeMax: "256", authTasks: "4" } }).ringCapacity).toBe(1024);
    expectConfigError(
      () => resolveConfig({ flags: { ringCapacity: "1024", batchSizeMax: "257", authTasks: "4" } }),
      /ringCapacity \(1024\) must be at least batchSizeMax × authTasks/,
    );
    expectConfigError(
      () => resolveConfig({ flags: { ringLowWaterPercent: "75", ringHighWaterPercent: "75" } }),
      /ringLowWaterPercent/,
    );
    expect(resolveConfig({ flags: { ringLowWaterPercent: "74" } }).ringLowWaterPercent).toBe(74);
    expectConfigError(() => resolveConfig({ flags: { reconnectDelayMinMs: "501", reconnectDelayMaxMs: "500" } }), /reconnectDelayMinMs/);
    expectConfigError(() => resolveConfig({ flags: { echoTimeoutMs: "1000", echoIdleMs: "1000" } }), /echoTimeoutMs/);
    expectConfigError(() => resolveConfig({ flags: { requestDeadlineMs: "15000" } }), /requestDeadlineMs/);
    expect(resolveConfig({ flags: { frameBytesMax: "65535" } }).frameBytesMax).toBe(65535);
    expectConfigError(() => resolveConfig({ flags: { frameBytesMax: "65536" } }), /frameBytesMax/);
  });
});
