import { describe, expect, test } from "bun:test";
import { startFakeApi } from "../support/fake-api.ts";
import { FakeProcessor } from "../support/fake-processor.ts";
import { MAIN, runCli } from "../support/cli.ts";

const TOKEN = "test-token-0123456789";

describe("sekisho sim --faults", () => {
  test("--help names the kinds; a kind it cannot inject is a usage error", async () => {
    const help = await runCli(["sim", "--help"]);
    for (const word of ["--faults", "close_fin", "truncated_frame", "late_reversal", "--fault-spacing-ms"]) expect(help.stdoutText).toContain(word);
    for (const list of ["sigkill", "close_fin,meteor", ""]) {
      const result = await runCli(["sim", "--api", "http://127.0.0.1:1", "--faults", list]);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toStartWith("sekisho sim: --faults");
    }
  });

  test("a ledger that forgets an approval it gave: the JSON carries lost, faults and the rest; exit 1", async () => {
    const processor = new FakeProcessor({ profile: "iso87-ascii", cards: [], faults: { forgetApprovalEvery: 25 } });
    const api = startFakeApi(processor, TOKEN);
    const child = Bun.spawn(
      [process.execPath, MAIN, "sim", "--listen", "127.0.0.1:0", "--api", api.url, "--users", "40", "--duration", "1.5", "--window", "8", "--seed", "41", "--faults", "duplicate,late_reversal", "--fault-spacing-ms", "200", "--json"],
      { stdout: "pipe", stderr: "pipe", env: { ...process.env, SEKISHO_API_TOKEN: TOKEN, SEKISHO_SEED: "" } },
    );
    try {
      const reader = child.stderr.getReader();
      let stderr = "";
      let port = 0;
      while (port === 0) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`sim ended before listening: ${stderr}`);
        stderr += new TextDecoder().decode(value);
        port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(stderr)?.[1] ?? 0);
      }
      await processor.connect(port, 1);
      const [stdout, exitCode] = await Promise.all([new Response(child.stdout).text(), child.exited]);
      expect(exitCode).toBe(1);
      const report = JSON.parse(stdout);
      expect(processor.faultsInjected.forget_approval).toBeGreaterThan(0);
      expect(report.lost).toBeGreaterThanOrEqual(processor.faultsInjected.forget_approval);
      expect(typeof report.mismatched).toBe("number");
      expect(typeof report.undelivered).toBe("number");
      expect(report.faults.duplicate).toBeGreaterThan(0);
      expect(report.faults.late_reversal).toBeGreaterThan(0);
      expect(report.seed).toBe(41);
      expect(report.ok).toBe(false);
    } finally {
      processor.close();
      api.stop();
      child.kill();
    }
  });
});
