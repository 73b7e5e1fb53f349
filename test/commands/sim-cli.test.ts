import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeProcessor } from "../support/fake-processor.ts";
import { MAIN, runCli } from "../support/cli.ts";
import { testCards } from "../support/sim-cards.ts";

describe("sekisho sim", () => {
  test("--help lists the flags and exits 0", async () => {
    const result = await runCli(["sim", "--help"]);
    expect(result.exitCode).toBe(0);
    for (const flag of ["--listen", "--connections-max", "--links", "--api", "--users", "--cards", "--duration", "--rate", "--window", "--seed", "--json", "--report", "--standin-ms", "--wait-links-ms"]) {
      expect(result.stdoutText).toContain(flag);
    }
    expect((await runCli(["--help"])).stdoutText).toContain("sim ");
  });

  test("a bad flag or value is one line on stderr and exit 2", async () => {
    for (const args of [["--bogus"], ["--cards", "x.json", "--listen", "nowhere"], ["--cards", "x.json", "--window", "0"], []]) {
      const result = await runCli(["sim", ...args]);
      expect(result.exitCode).toBe(2);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toStartWith("sekisho sim: ");
    }
  });

  test("a run from a cards file: progress on stderr, one JSON report on stdout, an HTML page, exit 0", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sekisho-sim-"));
    const { seeds, fake } = testCards(60, 3);
    const cardsFile = join(dir, "cards.json");
    const reportFile = join(dir, "report.html");
    await Bun.write(
      cardsFile,
      JSON.stringify({
        cards: seeds.map((seed) => ({
          pan: seed.pan,
          expiry: seed.expiry,
          status: seed.status,
          available_balance: seed.availableBalance,
          limits: {
            per_transaction_max: seed.limits!.perTransactionMax,
            per_day_amount_max: seed.limits!.perDayAmountMax,
            per_day_count_max: seed.limits!.perDayCountMax,
          },
        })),
      }),
    );
    const child = Bun.spawn(
      [process.execPath, MAIN, "sim", "--listen", "127.0.0.1:0", "--cards", cardsFile, "--duration", "1", "--window", "8", "--seed", "77", "--json", "--report", reportFile],
      { stdout: "pipe", stderr: "pipe", env: { ...process.env, SEKISHO_SEED: "" } },
    );
    const processor = new FakeProcessor({ profile: "iso87-ascii", cards: fake });
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
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        stderr += new TextDecoder().decode(value);
      }
      expect(exitCode).toBe(0);
      expect(stdout.trim().split("\n")).toHaveLength(1);
      const report = JSON.parse(stdout);
      for (const key of ["sent", "answered", "unanswered", "approved", "declined", "standin", "check_failures", "tps", "latency_ms", "ledger_consistent", "seed", "duration_s", "links", "by_response_code"]) {
        expect(report).toHaveProperty(key);
      }
      expect(Object.keys(report.latency_ms)).toEqual(expect.arrayContaining(["p50", "p99", "p999", "max"]));
      expect(report.seed).toBe(77);
      expect(report.ledger_consistent).toBeNull();
      expect(report.check_failures).toBe(0);
      expect(report.unanswered).toBe(0);
      expect(report.sent).toBeGreaterThan(0);
      expect(stderr).toContain("sim draining"); // the plain (non-terminal) progress line
      expect(stdout + stderr).not.toContain(seeds[0]!.pan);
      const html = await Bun.file(reportFile).text();
      expect(html).toStartWith("<!doctype html>");
      expect(html.match(/<svg /g)?.length).toBe(3);
      expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    } finally {
      processor.close();
      child.kill();
      await child.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("nobody dials in: one line naming the problem, exit 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sekisho-sim-"));
    const cardsFile = join(dir, "cards.json");
    await Bun.write(cardsFile, JSON.stringify(testCards(20, 1).seeds.map((s) => ({ pan: s.pan, expiry: s.expiry, available_balance: 1 }))));
    try {
      const result = await runCli(["sim", "--listen", "127.0.0.1:0", "--cards", cardsFile, "--wait-links-ms", "100"]);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain("links_not_ready: only 0 of 1 links signed on within 100 ms");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
