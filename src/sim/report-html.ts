import type { SimReport } from "./report.ts";
import { summaryRows, verdictWord } from "./report-text.ts";

/**
 * The run as one self-contained HTML page: the verdict, the summary and the counts as tables (response
 * codes, scenarios, failures with examples, faults, reconciliation), latency over time (p50, p99, max) and
 * throughput as inline SVG line charts, and the latency histogram on a logarithmic axis. The page follows
 * the window's width; no script, no external resource: it opens anywhere and can be attached to a ticket.
 */
const WIDTH = 860;
const HEIGHT = 260;
const MARGIN = { left: 64, right: 16, top: 16, bottom: 40 };
const HISTOGRAM_BINS = 48;

interface Series {
  readonly name: string;
  readonly color: string;
  /** A null y is a gap (an interval without answers has no latency): the line breaks there. */
  readonly points: ReadonlyArray<readonly [number, number | null]>;
  readonly dashed?: boolean;
  /** Drawn clipped to the range the other series set (a single slow answer must not flatten p50 and p99). */
  readonly clipped?: boolean;
}

type Cell = string | number;

export function renderHtmlReport(report: SimReport): string {
  const timeline = report.timeline;
  const latencyChart = lineChart({
    title: "Latency over time",
    xLabel: "seconds",
    yLabel: "ms",
    series: [
      { name: "p50", color: "#1f77b4", points: timeline.map((p) => [p.t_s, p.p50_ms]) },
      { name: "p99", color: "#ff7f0e", points: timeline.map((p) => [p.t_s, p.p99_ms]) },
      { name: "max (clipped)", color: "#999999", points: timeline.map((p) => [p.t_s, p.max_ms]), dashed: true, clipped: true },
    ],
  });
  const rateChart = lineChart({
    title: "Answers per second",
    xLabel: "seconds",
    yLabel: "answers/s",
    series: [{ name: "answers/s", color: "#2ca02c", points: timeline.map((p) => [p.t_s, p.rate]) }],
  });
  const title = `Sekisho simulator — ${report.profile}, seed ${report.seed}`;
  const n = (value: number) => value.toLocaleString("en-US");
  const p99 = report.answered === 0 ? "p99 —" : `p99 ${report.latency_ms.p99} ms`;
  const reconciliation = report.reconciliation === null && report.reconciled === null ? "" : `, reconciliation ${verdictWord(report.reconciled)}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;padding:0 24px;color:#222;max-width:1400px}
h1{font-size:20px} h2{font-size:16px;margin-top:28px}
.ok{color:#1a7f37;font-weight:bold} .failed{color:#c62828;font-weight:bold}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,420px),1fr));gap:8px 32px;align-items:start}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-size:13px;width:100%} table.kv{width:auto;min-width:min(100%,420px)}
th,td{text-align:left;padding:3px 10px 3px 0;border-bottom:1px solid #eee;vertical-align:top}
th{font-weight:600;color:#555} td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
caption{text-align:left;font-weight:600;margin:12px 0 4px}
svg{width:100%;max-width:${WIDTH * 1.6}px;height:auto}
svg text{font:11px system-ui,sans-serif;fill:#444}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p class="${report.ok ? "ok" : "failed"}">${report.ok ? "OK" : "FAILED"} — ${n(report.answered)} answers,
${n(report.tps)}/s, ${p99}, ${n(report.check_failures)} check failures,
${n(report.unanswered)} unanswered, ledger ${report.ledger_consistent === null ? "not checked" : report.ledger_consistent ? "consistent" : "INCONSISTENT"}${escapeHtml(reconciliation)}</p>
<h2>Summary</h2>
<div class="scroll">${table(["", ""], summaryRows(report), { head: false })}</div>
<div class="grid">
<div class="scroll">${countsTable("Response codes", "DE 39", sortedByKey(report.by_response_code), report.answered)}</div>
<div class="scroll">${countsTable("Scenarios sent", "scenario", report.by_scenario, report.sent)}</div>
</div>
${failuresSection(report)}
<div class="grid">
<div>${ledgerSection(report)}</div>
<div>${reconciliationSection(report)}</div>
${faultsSection(report)}
</div>
<h2>Latency over time</h2>
${latencyChart}
<h2>Throughput</h2>
${rateChart}
<h2>Latency histogram</h2>
${histogramChart(report)}
</body></html>
`;
}

/** A table: cells escaped; numbers right-aligned. */
function table(headers: readonly string[], rows: ReadonlyArray<readonly Cell[]>, options: { caption?: string; head?: boolean } = {}): string {
  const kind = options.head === false ? ` class="kv"` : "";
  const cell = (tag: "td" | "th", value: Cell) =>
    typeof value === "number" ? `<${tag} class="n">${value.toLocaleString("en-US")}</${tag}>` : `<${tag}>${escapeHtml(value)}</${tag}>`;
  const caption = options.caption === undefined ? "" : `<caption>${escapeHtml(options.caption)}</caption>`;
  const head = options.head === false ? "" : `<thead><tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead>`;
  const body = rows.map((row) => `<tr>${row.map((value) => cell("td", value)).join("")}</tr>`).join("");
  return `<table${kind}>${caption}${head}<tbody>${body}</tbody></table>`;
}

/** Entries in key order ("00" before "14": an object puts integer-like keys such as "14" first). */
function sortedByKey(counts: Record<string, number>): Array<[string, number]> {
  return Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
}

/** Counts by key with each one's share of the total; the keys with a count only. */
function countsTable(
  caption: string,
  keyHeader: string,
  counts: Partial<Record<string, number>> | Array<[string, number]>,
  total: number,
): string {
  const rows = (Array.isArray(counts) ? counts : Object.entries(counts))
    .filter(([, count]) => (count ?? 0) > 0)
    .map(([key, count]) => [key, count ?? 0, total > 0 ? `${(((count ?? 0) * 100) / total).toFixed(1)} %` : "—"] as Cell[]);
  if (rows.length === 0) return `<p><b>${escapeHtml(caption)}</b>: none.</p>`;
  return table([keyHeader, "count", "share"], rows, { caption });
}

/** The check failures by kind, each with its first examples. */
function failuresSection(report: SimReport): string {
  const kinds = Object.entries(report.failures).filter(([, count]) => (count ?? 0) > 0);
  if (kinds.length === 0) return `<h2>Check failures</h2>\n<p>None.</p>`;
  const rows: Cell[][] = [];
  for (const [kind, count] of kinds) {
    const examples = report.failure_examples.filter((example) => example.kind === kind);
    if (examples.length === 0) rows.push([kind, count ?? 0, "", "", ""]);
    examples.forEach((example, i) => {
      const what = [example.scenario, example.mti, example.stan && `STAN ${example.stan}`, example.pan_masked].filter(Boolean).join(" ");
      rows.push([i === 0 ? kind : "", i === 0 ? (count ?? 0) : "", String(example.link), what, example.detail]);
    });
  }
  return `<h2>Check failures</h2>\n<div class="scroll">${table(["kind", "count", "link", "request (first examples)", "what was wrong"], rows)}</div>`;
}

/** The faults injected, by kind, and what they cost (nothing without faults). */
function faultsSection(report: SimReport): string {
  const faults = Object.entries(report.faults).filter(([, count]) => (count ?? 0) > 0);
  if (faults.length === 0 && report.faults_skipped === 0) return "";
  const rows: Cell[][] = faults.map(([kind, count]) => [kind, count ?? 0]);
  if (report.faults_skipped > 0) rows.push(["not injected (nothing to act on before driving ended)", report.faults_skipped]);
  if (report.unanswered_faults > 0) rows.push(["requests lost to faults (stood in)", report.unanswered_faults]);
  return `<div><h2>Faults</h2>\n<div class="scroll">${table(["fault", "count"], rows)}</div></div>`;
}

/** The balance check: its verdict (or why there is none) and the first mismatches. */
function ledgerSection(report: SimReport): string {
  const l = report.ledger;
  const rows: Cell[][] = [["verdict", verdictWord(report.ledger_consistent)]];
  if (report.ledger_not_checked_reason !== null) rows.push(["not checked because", report.ledger_not_checked_reason]);
  if (l !== null && l.error === undefined) {
    rows.push(["accounts checked", l.accounts_checked], ["accounts skipped (balance unknown)", l.accounts_skipped]);
    if ((l.accounts_unavailable ?? 0) > 0) rows.push(["accounts not read (API unavailable)", l.accounts_unavailable!]);
    rows.push(["mismatches", l.mismatch_count]);
  }
  let out = `<h2>Ledger balances</h2>\n<div class="scroll">${table(["", ""], rows, { head: false })}</div>`;
  if (l !== null && l.mismatches.length > 0) {
    const mismatches = l.mismatches.map((m) => [m.user_id ?? "-", m.pan_masked, m.field, m.expected, m.actual] as Cell[]);
    out += `\n<div class="scroll">${table(["user", "card", "field", "expected", "processor has"], mismatches, { caption: "First mismatches" })}</div>`;
  }
  return out;
}

/** What the network saw against the ledger's history: the verdict (or why there is none), counts, examples. */
function reconciliationSection(report: SimReport): string {
  const r = report.reconciliation;
  const rows: Cell[][] = [["verdict", verdictWord(report.reconciled)]];
  if (report.reconciliation_not_checked_reason !== null) rows.push(["not checked because", report.reconciliation_not_checked_reason]);
  if (r !== null && r.error === undefined) {
    rows.push(
      ["lost (approved, not in the ledger)", r.lost],
      ["mismatched (answer ≠ ledger)", r.mismatched],
      ["undelivered (in the ledger, never answered)", r.undelivered],
      ["unrecorded declines", r.unrecorded_declines],
      ["accounts checked", r.accounts_checked],
      ["accounts skipped", r.accounts_skipped],
    );
    if (r.accounts_unavailable > 0) rows.push(["accounts not read (API unavailable)", r.accounts_unavailable]);
  }
  let out = `<h2>Reconciliation</h2>\n<div class="scroll">${table(["", ""], rows, { head: false })}</div>`;
  if (r !== null && r.examples.length > 0) {
    const examples = r.examples.map((d) => [d.kind, d.user_id ?? "-", d.pan_masked, d.detail] as Cell[]);
    out += `\n<div class="scroll">${table(["kind", "user", "card", "detail"], examples, { caption: "First discrepancies of each kind" })}</div>`;
  }
  return out;
}

function lineChart(options: { title: string; xLabel: string; yLabel: string; series: readonly Series[] }): string {
  const all = options.series.flatMap((s) => s.points.filter((p): p is readonly [number, number] => p[1] !== null));
  if (all.length === 0) return `<p>No data.</p>`;
  const scaling = options.series.filter((s) => !s.clipped).flatMap((s) => s.points.filter((p): p is readonly [number, number] => p[1] !== null));
  const xMax = Math.max(...all.map(([x]) => x), 1e-9);
  const yMax = niceCeiling(Math.max(...scaling.map(([, y]) => y * 1.1), 1e-9));
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const sx = (x: number) => MARGIN.left + (x / xMax) * plotWidth;
  const sy = (y: number) => MARGIN.top + plotHeight - (y / yMax) * plotHeight;
  const parts: string[] = [axes(plotWidth, plotHeight, options.xLabel, options.yLabel)];
  for (const value of ticks(yMax)) {
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${sy(value)}" y2="${sy(value)}" stroke="#eee"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${sy(value) + 4}" text-anchor="end">${formatTick(value)}</text>`);
  }
  for (const value of ticks(xMax)) {
    parts.push(`<text x="${sx(value).toFixed(1)}" y="${MARGIN.top + plotHeight + 16}" text-anchor="middle">${formatTick(value)}</text>`);
  }
  options.series.forEach((series, i) => {
    const dash = series.dashed ? ` stroke-dasharray="4 3"` : "";
    for (const run of runsWithoutGaps(series.points)) {
      const path = run.map(([x, y]) => `${sx(x).toFixed(1)},${sy(Math.min(y, yMax)).toFixed(1)}`).join(" ");
      // A run of one point (answers between two silent intervals) is a dot, not an invisible line.
      if (run.length === 1) parts.push(`<circle cx="${sx(run[0]![0]).toFixed(1)}" cy="${sy(Math.min(run[0]![1], yMax)).toFixed(1)}" r="2" fill="${series.color}"/>`);
      else parts.push(`<polyline fill="none" stroke="${series.color}" stroke-width="1.8"${dash} points="${path}"/>`);
    }
    parts.push(`<rect x="${MARGIN.left + 10 + i * 110}" y="${MARGIN.top + 2}" width="12" height="3" fill="${series.color}"/>`);
    parts.push(`<text x="${MARGIN.left + 26 + i * 110}" y="${MARGIN.top + 8}">${escapeHtml(series.name)}</text>`);
  });
  return svg(options.title, parts);
}

/** The series' points split where y is null: each run is drawn as its own line. */
export function runsWithoutGaps(points: ReadonlyArray<readonly [number, number | null]>): Array<Array<readonly [number, number]>> {
  const runs: Array<Array<readonly [number, number]>> = [];
  let run: Array<readonly [number, number]> = [];
  for (const [x, y] of points) {
    if (y === null) {
      if (run.length > 0) runs.push(run);
      run = [];
    } else run.push([x, y]);
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/** The histogram's buckets regrouped into log-spaced bins, drawn as bars; p50 and p99 marked. */
function histogramChart(report: SimReport): string {
  const buckets = report.latency_histogram;
  if (buckets.length === 0) return `<p>No data.</p>`;
  const low = Math.max(0.001, buckets[0]![0]);
  const high = Math.max(low * 10, buckets[buckets.length - 1]![1]);
  const logLow = Math.floor(Math.log10(low));
  const logHigh = Math.ceil(Math.log10(high));
  const bins = new Float64Array(HISTOGRAM_BINS);
  const binOf = (ms: number) =>
    Math.min(HISTOGRAM_BINS - 1, Math.max(0, Math.floor(((Math.log10(Math.max(ms, 1e-6)) - logLow) / (logHigh - logLow)) * HISTOGRAM_BINS)));
  for (const [from, to, count] of buckets) bins[binOf((from + to) / 2)]! += count;
  const countMax = Math.max(...bins);
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const barWidth = plotWidth / HISTOGRAM_BINS;
  const sxLog = (ms: number) => MARGIN.left + ((Math.log10(ms) - logLow) / (logHigh - logLow)) * plotWidth;
  const parts: string[] = [axes(plotWidth, plotHeight, "latency ms (log scale)", "answers")];
  bins.forEach((count, i) => {
    if (count === 0) return;
    const height = (count / countMax) * plotHeight;
    const x = MARGIN.left + i * barWidth;
    parts.push(`<rect x="${x.toFixed(1)}" y="${(MARGIN.top + plotHeight - height).toFixed(1)}" width="${(barWidth - 1).toFixed(1)}" height="${height.toFixed(1)}" fill="#6baed6"><title>${count.toLocaleString("en-US")}</title></rect>`);
  });
  for (let decade = logLow; decade <= logHigh; decade++) {
    const x = sxLog(10 ** decade);
    parts.push(`<text x="${x}" y="${MARGIN.top + plotHeight + 16}" text-anchor="middle">${formatTick(10 ** decade)}</text>`);
  }
  for (const [name, value, color] of [["p50", report.latency_ms.p50, "#1f77b4"], ["p99", report.latency_ms.p99, "#ff7f0e"]] as const) {
    if (value <= 0) continue;
    const x = sxLog(value);
    parts.push(`<line x1="${x}" x2="${x}" y1="${MARGIN.top}" y2="${MARGIN.top + plotHeight}" stroke="${color}" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="${x + 4}" y="${MARGIN.top + 12}">${name} ${value} ms</text>`);
  }
  parts.push(`<text x="${MARGIN.left - 6}" y="${MARGIN.top + 4}" text-anchor="end">${countMax.toLocaleString("en-US")}</text>`);
  return svg("Latency histogram", parts);
}

function axes(plotWidth: number, plotHeight: number, xLabel: string, yLabel: string): string {
  const x0 = MARGIN.left;
  const y0 = MARGIN.top + plotHeight;
  return (
    `<line x1="${x0}" x2="${x0 + plotWidth}" y1="${y0}" y2="${y0}" stroke="#888"/>` +
    `<line x1="${x0}" x2="${x0}" y1="${MARGIN.top}" y2="${y0}" stroke="#888"/>` +
    `<text x="${x0 + plotWidth / 2}" y="${HEIGHT - 6}" text-anchor="middle">${escapeHtml(xLabel)}</text>` +
    `<text x="14" y="${MARGIN.top + plotHeight / 2}" text-anchor="middle" transform="rotate(-90 14 ${MARGIN.top + plotHeight / 2})">${escapeHtml(yLabel)}</text>`
  );
}

function svg(title: string, parts: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeHtml(title)}">${parts.join("")}</svg>`;
}

/** 1, 2 or 5 times a power of ten, at or above `value`. */
function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function ticks(max: number): number[] {
  const step = niceCeiling(max / 5);
  const out: number[] = [];
  for (let value = 0; value <= max * 1.0001; value += step) out.push(value);
  return out;
}

function formatTick(value: number): string {
  if (value >= 1000) return value.toLocaleString("en-US", { maximumFractionDigits: 0 });
  return String(Number(value.toPrecision(3)));
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}
