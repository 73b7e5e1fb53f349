import { describe, expect, test } from "bun:test";
import { escapeHtml, renderHtmlReport, runsWithoutGaps } from "../../src/sim/report-html.ts";
import { fitLine, formatProgress, formatSummary, progressParts, progressPrinter } from "../../src/sim/report-text.ts";
import { RunStats, TIMELINE_POINTS_MAX } from "../../src/sim/stats.ts";
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
    expect(tty[0]).toContain("3.2/10.0s  51,234/s  p50 1.25 ms  p99 9.50 ms  errors 0  in flight 64");
    expect(tty[2]).toBe("\n");

    // Without a terminal: a line when 2 s have passed since the last one, by the clock, whatever the calls.
    const plain: string[] = [];
    let nowMs = 0;
    const pipe = progressPrinter({ isTTY: false, write: (text: string) => plain.push(text) }, { nowMs: () => nowMs });
    for (const at of [0, 1000, 1500, 2000, 2500, 3999, 4000]) {
      nowMs = at;
      pipe.update({ ...PROGRESS, elapsed_s: at / 1000 });
    }
    pipe.line(["seeding cards 10/20"]); // 4000: too soon after the last
    pipe.done();
    expect(plain.map((line) => /(\d+\.\d)\/10\.0s/.exec(line)?.[1])).toEqual(["0.0", "2.0", "4.0"]);
    expect(plain.every((line) => line.endsWith("\n") && !line.includes("\r") && !line.includes("\x1b"))).toBe(true);
  });

  test("the progress line fits the terminal's width: whole parts, most important first, never wrapping", () => {
    const full = formatProgress(PROGRESS);
    expect(full.length).toBeGreaterThan(80); // all of it would wrap on an 80-column terminal
    for (const columns of [24, 40, 60, 80, 100, 132, 400]) {
      const line = fitLine(progressParts(PROGRESS), columns);
      expect([columns, line.length <= columns - 1]).toEqual([columns, true]);
      expect(line).toStartWith("sim driving  3.2/10.0s");
      expect(line).not.toContain("\n");
      // Whole parts only: the line is the full line's beginning, cut at a part's end.
      expect(full.startsWith(line)).toBe(true);
      expect(full.length === line.length || full.slice(line.length).startsWith("  ")).toBe(true);
    }
    expect(fitLine(progressParts(PROGRESS), 80)).toBe("sim driving  3.2/10.0s  51,234/s  p50 1.25 ms  p99 9.50 ms  errors 0");
    expect(fitLine(progressParts(PROGRESS), undefined)).toBe(full); // no terminal width known
    expect(fitLine(["a part far longer than the terminal is wide"], 20)).toBe("a part far longer …");
    expect(fitLine(progressParts(PROGRESS), 10)).toHaveLength(19); // narrower than 20 columns is not believed

    // The printer asks for the width at each update (a resized terminal gets a fitting line at once).
    let columns = 100;
    const written: string[] = [];
    const terminal = progressPrinter({ isTTY: true, write: (text: string) => written.push(text) }, { columns: () => columns });
    terminal.update(PROGRESS);
    columns = 40;
    terminal.update(PROGRESS);
    const visible = written.map((text) => text.replace("\r", "").replace("\x1b[K", ""));
    expect(visible.map((line) => line.length <= 99)).toEqual([true, true]);
    expect(visible[1]!.length).toBeLessThanOrEqual(39);
  });

  test("a second without answers has no latency: null in the timeline, a dash in the progress line, a gap in the chart", () => {
    const stats = new RunStats();
    stats.recordAnswer(2_000, "00", 100);
    const answered = stats.closeInterval(1, 1);
    const silent = stats.closeInterval(2, 1);
    expect(answered.p50_ms).toBeGreaterThan(0);
    expect([silent.answered, silent.p50_ms, silent.p99_ms, silent.max_ms]).toEqual([0, null, null, null]);
    expect(formatProgress({ ...PROGRESS, p50_ms: null, p99_ms: null })).toContain("p50 —  p99 —");
    expect(runsWithoutGaps([[1, 2], [2, null], [3, 4], [4, 5]])).toEqual([[[1, 2]], [[3, 4], [4, 5]]]);

    // Merging points when the timeline is full keeps a silent pair silent and never averages in a 0.
    const long = new RunStats();
    for (let i = 0; i <= TIMELINE_POINTS_MAX; i++) {
      if (i % 4 === 0) long.recordAnswer(4_000, "00", 100);
      long.closeInterval(i + 1, 1);
    }
    const latencies = long.timeline.map((p) => p.p50_ms);
    expect(latencies).toContain(null);
    expect(latencies.filter((ms) => ms !== null).every((ms) => ms! >= 3.9)).toBe(true);
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
    expect(html).toMatch(/<polyline|<circle/);
    expect(html).not.toMatch(/\d{6}\d{6}\d{4}/); // no unmasked PAN
    expect(escapeHtml(`<a href="x">&'`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
  });
});

describe("a check that could not run says so everywhere", () => {
  test("a balance check and a history read that break off: not checked (null, with the reason) in JSON, text and HTML; the run fails", async () => {
    const { report } = await runAgainstFake({
      sim: {
        durationSeconds: 0.3,
        ledgerCheck: async () => {
          throw new Error("GET /v1/users/u1: cannot reach the API");
        },
        historyReader: async () => {
          throw new Error("GET /v1/users/u1/transactions: cannot reach the API");
        },
      },
    });
    expect(report.check_failures).toBe(0);
    expect(report.ledger_consistent).toBeNull();
    expect(report.ledger_not_checked_reason).toBe("the check failed: GET /v1/users/u1: cannot reach the API");
    expect(report.reconciled).toBeNull();
    expect(report.reconciliation_not_checked_reason).toContain("the history could not be read: GET /v1/users/u1/transactions");
    expect([report.lost, report.mismatched, report.undelivered]).toEqual([null, null, null]); // not 0: nothing was read
    expect(report.ok).toBe(false); // a check that broke off is a failed run, though not an inconsistent ledger
    const json = JSON.parse(JSON.stringify(report));
    expect(json.ledger_consistent).toBeNull();

    const text = formatSummary(report);
    expect(text).toMatch(/ledger consistent +not checked — the check failed: GET \/v1\/users\/u1: cannot reach the API/);
    expect(text).toMatch(/reconciliation +not checked — the history could not be read/);
    expect(text).not.toMatch(/\bNO\b/);
    expect(text).toContain("RESULT  FAILED");

    const html = renderHtmlReport(report);
    expect(html).toContain("ledger not checked, reconciliation not checked");
    expect(html).not.toMatch(/INCONSISTENT|>NO<|\bNO —/);
    expect(html).toContain("<td>not checked because</td><td>the check failed: GET /v1/users/u1: cannot reach the API</td>");
    expect(html).not.toContain("lost (approved, not in the ledger)"); // no counts of a history never read
  });

  test("no check given: not checked with its reason; nothing failed", async () => {
    const { report } = await runAgainstFake({ sim: { durationSeconds: 0.3, ledgerCheck: undefined, historyReader: undefined } });
    expect([report.ledger_consistent, report.reconciled]).toEqual([null, null]);
    expect(report.ledger_not_checked_reason).toBe("no way to read the processor's balances was given");
    expect(report.ok).toBe(true);
    expect(formatSummary(report)).toMatch(/ledger consistent +not checked — no way to read/);
  });

  test("the HTML page has tables, not a <pre>: response codes, scenarios, failures with examples, faults, reconciliation", async () => {
    const { report } = await runAgainstFake({ faults: { wrongMtiEvery: 100 }, sim: { durationSeconds: 0.3 } });
    const faulted = { ...report, faults: { close: 2, pause: 1 }, faults_skipped: 1 };
    const html = renderHtmlReport(faulted);
    expect(html).not.toContain("<pre>");
    expect(html).toContain('<meta name="viewport"');
    expect(html).not.toMatch(/max-width:900px/);
    for (const caption of ["Response codes", "Scenarios sent"]) expect(html).toContain(`<caption>${caption}</caption>`);
    for (const heading of ["Check failures", "Faults", "Ledger balances", "Reconciliation"]) expect(html).toContain(`<h2>${heading}</h2>`);
    // Every response code and scenario has its row (none cut off behind a scrollbar).
    for (const [code, count] of Object.entries(report.by_response_code)) {
      expect(html).toContain(`<tr><td>${code}</td><td class="n">${count.toLocaleString("en-US")}</td>`);
    }
    for (const [scenario, count] of Object.entries(report.by_scenario).filter(([, c]) => c > 0)) {
      expect(html).toContain(`<tr><td>${scenario}</td><td class="n">${count.toLocaleString("en-US")}</td>`);
    }
    expect(html).toContain(`<tr><td>mti</td><td class="n">${report.failures.mti}</td><td>1</td>`);
    expect(html).toContain("expected 0110, got 0210");
    expect(html).toContain('<tr><td>close</td><td class="n">2</td></tr>');
    expect(html).toContain("<td>lost (approved, not in the ledger)</td>");
    expect(html).toContain("svg{width:100%");
  });
});
