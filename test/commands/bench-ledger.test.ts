import { describe, expect, test } from "bun:test";
import { runCli } from "../support/cli.ts";

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

  test("is listed by `sekisho bench --help`; bad flags are usage errors", async () => {
    const help = await runCli(["bench", "--help"]);
    expect(help.stdoutText).toContain("ledger");
    const bad = await runCli(["bench", "ledger", "--synchronous", "off"]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain("--synchronous");
    const noAcquirers = await runCli(["bench", "ledger", "--acquirers", "0"]);
    expect(noAcquirers.exitCode).toBe(2);
    expect(noAcquirers.stderr).toContain("--acquirers");
  });
});
