import type { SimReport } from "./report.ts";
import { formatSummary } from "./report-text.ts";

/**
 * The run as one self-contained HTML page: the summary, latency over time (p50, p99, max) and throughput
 * as inline SVG line charts, and the latency histogram on a logarithmic axis. No script, no external
 * resource: the file opens anywhere and can be attached to a ticket as it is.
 */
const WIDTH = 860;
const HEIGHT = 260;
const MARGIN = { left: 64, right: 16, top: 16, bottom: 40 };
const HISTOGRAM_BINS = 48;

interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
  readonly dashed?: boolean;
  /** Drawn clipped to the range the other series set (a single slow answer must not flatten p50 and p99). */
  readonly clipped?: boolean;
}

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
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:${WIDTH + 40}px}
h1{font-size:20px} h2{font-size:16px;margin-top:28px}
pre{background:#f6f6f6;padding:12px;overflow-x:auto;font-size:12px}
.ok{color:#1a7f37;font-weight:bold} .failed{color:#c62828;font-weight:bold}
svg text{font:11px system-ui,sans-serif;fill:#444}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p class="${report.ok ? "ok" : "failed"}">${report.ok ? "OK" : "FAILED"} — ${report.answered.toLocaleString("en-US")} answers,
${report.tps.toLocaleString("en-US")}/s, p99 ${report.latency_ms.p99} ms, ${report.check_failures} check failures,
${report.unanswered} unanswered, ledger ${report.ledger_consistent === null ? "not checked" : report.ledger_consistent ? "consistent" : "INCONSISTENT"}${
    report.lost === null ? "" : `, lost ${report.lost}, mismatched ${report.mismatched}, undelivered ${report.undelivered}`
  }</p>
${faultsSection(report)}
<h2>Latency over time</h2>
${latencyChart}
<h2>Throughput</h2>
${rateChart}
<h2>Latency histogram</h2>
${histogramChart(report)}
<h2>Summary</h2>
<pre>${escapeHtml(formatSummary(report))}</pre>
</body></html>
`;
}

/** The faults injected and the reconciliation with the ledger, as a small table (nothing without either). */
function faultsSection(report: SimReport): string {
  const faults = Object.entries(report.faults);
  if (faults.length === 0 && report.reconciliation === null) return "";
  const rows: Array<[string, string]> = faults.map(([kind, count]) => [`fault ${kind}`, String(count ?? 0)]);
  if (report.faults_skipped > 0) rows.push(["faults not injected", String(report.faults_skipped)]);
  if (report.unanswered_faults > 0) rows.push(["lost to faults (stood in)", String(report.unanswered_faults)]);
  const r = report.reconciliation;
  if (r !== null) {
    rows.push(["lost (approved, not in the ledger)", String(r.lost)]);
    rows.push(["mismatched (answer ≠ ledger)", String(r.mismatched)]);
    rows.push(["undelivered (in the ledger, never answered)", String(r.undelivered)]);
    rows.push(["unrecorded declines", String(r.unrecorded_declines)]);
    if (r.error !== undefined) rows.push(["reconciliation error", r.error]);
  }
  const body = rows.map(([label, value]) => `<tr><td>${escapeHtml(label)}</td><td>${escapeHtml(value)}</td></tr>`).join("");
  return `<h2>Faults and reconciliation</h2>\n<table>${body}</table>`;
}

function lineChart(options: { title: string; xLabel: string; yLabel: string; series: readonly Series[] }): string {
  const all = options.series.flatMap((s) => s.points);
  if (all.length === 0) return `<p>No data.</p>`;
  const scaling = options.series.filter((s) => !s.clipped).flatMap((s) => s.points);
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
    const path = series.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(Math.min(y, yMax)).toFixed(1)}`).join(" ");
    const dash = series.dashed ? ` stroke-dasharray="4 3"` : "";
    parts.push(`<polyline fill="none" stroke="${series.color}" stroke-width="1.8"${dash} points="${path}"/>`);
    parts.push(`<rect x="${MARGIN.left + 10 + i * 110}" y="${MARGIN.top + 2}" width="12" height="3" fill="${series.color}"/>`);
    parts.push(`<text x="${MARGIN.left + 26 + i * 110}" y="${MARGIN.top + 8}">${escapeHtml(series.name)}</text>`);
  });
  return svg(options.title, parts);
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
