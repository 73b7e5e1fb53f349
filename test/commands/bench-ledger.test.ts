import { describe, expect, test } from "bun:test";
import { runCli } from "../support/cli.ts";
import { TEST_POSTGRES_URL } from "../support/postgres.ts";

describe("sekisho bench ledger", () => {
  test("--json reports the rate, the batch size, the synchronous mode and the batches, on a consistent ledger", async () => {
    const result = await runCli(["bench", "ledger", "--json", "--cards", "40", "--batch", "32", "--acquirers", "5", "--duration", "0.3", "--synchronous", "normal"]);
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(result.stdoutText);
    expect(report).toMatchObject({ batch_size: 32, acquirers: 5, synchronous: "normal", cards: 40, ledger_consistent: true });
    if (report.disk_bytes_per_authorization !== null) expect(report.disk_bytes_per_authorization).toBeGreaterThanOrEqual(0);
    expect(report.authorizations_per_second).toBeGreaterThan(0);
    expect(report.batches).toBeGreaterThan(0);
    expect(report.authorizations).toBe(report.batches * 32);
    expect(report.approved).toBe(report.authorizations);
  });

  test("--db postgres://… reports one instance, then two sharing a throwaway database, and drops it", async () => {
    const args = ["bench", "ledger", "--json", "--db", TEST_POSTGRES_URL, "--instances", "2", "--concurrency", "2", "--cards", "40", "--batch", "32", "--duration", "0.3"];
    const result = await runCli(args);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(result.stdoutText);
    expect(report).toMatchObject({ ledger: "postgres", batch_size: 32, cards: 40, concurrency: 2, synchronous: "synchronous_commit=on", ledger_consistent: true });
    expect(report).toMatchObject({ acquirers: 64, disk_bytes_per_authorization: null, key_merges: null });
    expect(report.by_instances.map((phase: { instances: number }) => phase.instances)).toEqual([1, 2]);
    for (const phase of report.by_instances) {
      expect(phase.authorizations_per_second).toBeGreaterThan(0);
      expect(phase.per_instance_authorizations_per_second).toHaveLength(phase.instances);
      expect(phase.approved).toBe(phase.authorizations);
    }
    expect(report.authorizations_per_second).toBe(report.by_instances[0].authorizations_per_second);
  });

  test("is listed by `sekisho bench --help`; bad flags are usage errors", async () => {
    const help = await runCli(["bench", "--help"]);
    expect(help.stdoutText).toContain("ledger");
    const bad = await runCli(["bench", "ledger", "--synchronous", "off"]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain("--synchronous");
    const instances = await runCli(["bench", "ledger", "--instances", "2"]);
    expect(instances.exitCode).toBe(2);
    expect(instances.stderr).toContain("--db postgres://");
    const notPostgres = await runCli(["bench", "ledger", "--db", "ledger.db"]);
    expect(notPostgres.exitCode).toBe(2);
    const noAcquirers = await runCli(["bench", "ledger", "--acquirers", "0"]);
    expect(noAcquirers.exitCode).toBe(2);
    expect(noAcquirers.stderr).toContain("--acquirers");
  });
});
