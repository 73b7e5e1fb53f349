import { describe, expect, test } from "bun:test";
import { escapeHtml, renderHtmlReport } from "../../src/sim/report-html.ts";
import { formatSummary, progressPrinter } from "../../src/sim/report-text.ts";
import type { SimProgress } from "../../src/sim/simulator.ts";
import { runAgainstFake } from "../support/sim-harness.ts";

const PROGRESS: SimProgress = {
  phase: "driving",
  elapsed_s: 3.2,
  duration_s: 10,
  sent: 1000,
  answered: 990,
  rate: 51234,
  p50_ms: 1.25,
  p99_ms: 9.5,
  in_flight: 64,
  errors: 0,
  standin: 0,
  links: 2,
};

describe("progress and reports", () => {
  test("on a terminal one line is rewritten in place; otherwise a plain line every other second", () => {
    const tty: string[] = [];
    const terminal = progressPrinter({ isTTY: true, write: (text: string) => tty.push(text) });
    terminal.update(PROGRESS);
    terminal.update({ ...PROGRESS, elapsed_s: 4.2 });
    terminal.done();
    expect(tty).toHaveLength(3);
    expect(tty[0]).toStartWith("\r");
    expect(tty[0]).toEndWith("\x1b[K");
    expect(tty[0]).toContain("3.2/10.0s  51,234/s  p50 1.25 ms  p99 9.50 ms  in flight 64  errors 0");
    expect(tty[2]).toBe("\n");

    const plain: string[] = [];
    const pipe = progressPrinter({ isTTY: false, write: (text: string) => plain.push(text) });
    for (let i = 0; i < 5; i++) pipe.update({ ...PROGRESS, elapsed_s: i + 1 });
    pipe.done();
    expect(plain).toHaveLength(3);
    expect(plain.every((line) => line.endsWith("\n") && !line.includes("\r"))).toBe(true);
  });

  test("the summary table and the HTML page carry the numbers, masked and escaped", async () => {
    const { report } = await runAgainstFake({ faults: { wrongMtiEvery: 100 }, sim: { durationSeconds: 0.3 } });
    const text = formatSummary(report);
    expect(text).toContain(`seed                 ${report.seed}`);
    expect(text).toContain("check failures");
    expect(text).toMatch(/mti +\d+/);
    expect(text).toContain("RESULT  FAILED");
    const html = renderHtmlReport(report);
    expect(html).toContain("FAILED");
    expect(html.match(/<svg /g)?.length).toBe(3);
    expect(html).toContain("<polyline");
    expect(html).not.toMatch(/\d{6}\d{6}\d{4}/); // no unmasked PAN
    expect(escapeHtml(`<a href="x">&'`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
  });
});
