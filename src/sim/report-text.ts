import type { SimReport } from "./report.ts";
import type { SimProgress } from "./simulator.ts";

/** The end-of-run summary's label and value rows (the text table's, and the HTML page's). */
export function summaryRows(report: SimReport): Array<[string, string]> {
  const n = (value: number) => value.toLocaleString("en-US");
  const ms = (value: number) => value.toFixed(value < 10 ? 3 : 1);
  const latency = report.latency_ms;
  const ledger = ledgerLine(report);
  const rows: Array<[string, string]> = [
    ["profile", `${report.profile}, ${report.links} link(s) × window ${report.window} (${report.lanes} lanes)`],
    ["seed", `${report.seed}  (replay with --seed ${report.seed})`],
    ["load", report.rate_target === null ? "flat out" : `${n(report.rate_target)} requests/s target`],
    ["duration", `${report.duration_s.toFixed(2)} s driving, ${report.elapsed_s.toFixed(2)} s with the last answers`],
    ["sent / answered", `${n(report.sent)} / ${n(report.answered)}`],
    ["unanswered", `${n(report.unanswered)}${report.unanswered_faults > 0 ? `  (and ${n(report.unanswered_faults)} lost to injected faults: stood in)` : ""}`],
    ["throughput", `${n(report.tps)} answers/s`],
    [
      "latency ms",
      report.answered === 0
        ? "— (no answers)"
        : `p50 ${ms(latency.p50)}  p90 ${ms(latency.p90)}  p99 ${ms(latency.p99)}  p99.9 ${ms(latency.p999)}  max ${ms(latency.max)}`,
    ],
    ["approved / declined", `${n(report.approved)} / ${n(report.declined)}   reversals ${n(report.reversals)}`],
    ["stand-in", n(report.standin)],
    ["check failures", n(report.check_failures)],
    ["echoes", `${n(report.echoes.answered)} of ${n(report.echoes.sent)} answered`],
    ["connections", `${n(report.connections.accepted)} accepted, ${n(report.connections.refused)} refused`],
    ["ledger consistent", ledger],
    ["reconciliation", reconciliationLine(report)],
  ];
  if (Object.keys(report.faults).length > 0 || report.faults_skipped > 0) {
    rows.push(["faults injected", `${joinCounts(report.faults) || "none"}${report.faults_skipped > 0 ? `  (${n(report.faults_skipped)} not injected: nothing to act on before driving ended)` : ""}`]);
  }
  return rows;
}

/** The end-of-run summary table, as plain text. */
export function formatSummary(report: SimReport): string {
  const n = (value: number) => value.toLocaleString("en-US");
  const rows = summaryRows(report);
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = ["Sekisho network simulator", ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`)];
  lines.push("", "  response codes  " + joinCounts(report.by_response_code));
  lines.push("  scenarios sent  " + joinCounts(report.by_scenario));
  const failures = Object.entries(report.failures);
  if (failures.length > 0) {
    lines.push("", "  failures");
    for (const [kind, count] of failures) lines.push(`    ${kind.padEnd(20)} ${n(count ?? 0)}`);
    lines.push("  first examples");
    for (const example of report.failure_examples) {
      const what = [example.scenario, example.mti, example.stan && `STAN ${example.stan}`, example.pan_masked].filter(Boolean).join(" ");
      lines.push(`    ${example.kind.padEnd(20)} link ${example.link}  ${what}: ${example.detail}`);
    }
  }
  if (report.ledger !== null && report.ledger.mismatches.length > 0) {
    lines.push("", "  ledger mismatches (first few)");
    for (const m of report.ledger.mismatches) {
      lines.push(`    ${m.user_id ?? "-"} ${m.pan_masked} ${m.field}: expected ${m.expected}, processor has ${m.actual}`);
    }
  }
  const discrepancies = report.reconciliation?.examples ?? [];
  if (discrepancies.length > 0) {
    lines.push("", "  reconciliation (first few of each)");
    for (const d of discrepancies) lines.push(`    ${d.kind.padEnd(18)} ${d.user_id ?? "-"} ${d.pan_masked}: ${d.detail}`);
  }
  lines.push("", report.ok ? "  RESULT  ok" : "  RESULT  FAILED");
  return lines.join("\n");
}

/** "yes", "NO" or "not checked", never "NO" for a check that could not run. */
export function verdictWord(consistent: boolean | null): string {
  return consistent === null ? "not checked" : consistent ? "yes" : "NO";
}

function ledgerLine(report: SimReport): string {
  const n = (value: number) => value.toLocaleString("en-US");
  const verdict = verdictWord(report.ledger_consistent);
  const l = report.ledger;
  if (l === null || l.error !== undefined) return `${verdict} — ${report.ledger_not_checked_reason ?? "no check ran"}`;
  return (
    `${verdict} (${n(l.accounts_checked)} accounts checked` +
    `${l.accounts_skipped > 0 ? `, ${n(l.accounts_skipped)} skipped` : ""}` +
    `${(l.accounts_unavailable ?? 0) > 0 ? `, ${n(l.accounts_unavailable!)} not checked: the API stayed unavailable` : ""}` +
    `${l.mismatch_count > 0 ? `, ${n(l.mismatch_count)} mismatches` : ""})`
  );
}

function reconciliationLine(report: SimReport): string {
  const r = report.reconciliation;
  const verdict = verdictWord(report.reconciled);
  if (r === null || r.error !== undefined) return `${verdict} — ${report.reconciliation_not_checked_reason ?? "no check ran"}`;
  const n = (value: number) => value.toLocaleString("en-US");
  const skipped =
    (r.accounts_skipped > 0 ? `, ${n(r.accounts_skipped)} skipped` : "") +
    (r.accounts_unavailable > 0 ? `, ${n(r.accounts_unavailable)} not checked: the API stayed unavailable` : "");
  const declines = r.unrecorded_declines > 0 ? `, unrecorded declines ${n(r.unrecorded_declines)}` : "";
  return `${verdict}: lost ${n(r.lost)}, mismatched ${n(r.mismatched)}, undelivered ${n(r.undelivered)}${declines} (${n(r.accounts_checked)} accounts${skipped})`;
}

function joinCounts(counts: Partial<Record<string, number>>): string {
  return Object.entries(counts)
    .filter(([, count]) => (count ?? 0) > 0)
    .map(([key, count]) => `${key} ${(count ?? 0).toLocaleString("en-US")}`)
    .join(" · ");
}

/** A latency of the last second, or "—" when nothing was answered in it. */
function msOrDash(value: number | null): string {
  return value === null ? "—" : `${value.toFixed(2)} ms`;
}

/**
 * The progress line's parts, most important first: the line keeps as many as fit the terminal's width, so
 * that it never wraps (a wrapped line cannot be rewritten in place and leaves a trail of stale copies).
 */
export function progressParts(progress: SimProgress): string[] {
  const phase = progress.phase === "draining" ? "draining" : "driving ";
  return [
    `sim ${phase} ${progress.elapsed_s.toFixed(1)}/${progress.duration_s.toFixed(1)}s`,
    `${progress.rate.toLocaleString("en-US")}/s`,
    `p50 ${msOrDash(progress.p50_ms)}`,
    `p99 ${msOrDash(progress.p99_ms)}`,
    `errors ${progress.errors}`,
    `in flight ${progress.in_flight}`,
    `stand-in ${progress.standin}`,
    `links ${progress.links}`,
  ];
}

export function formatProgress(progress: SimProgress): string {
  return progressParts(progress).join(PART_SEPARATOR);
}

const PART_SEPARATOR = "  ";
/** Below this a terminal's width is not believed (a line is cut to it instead). */
const COLUMNS_MIN = 20;

/**
 * The parts that fit in `columns - 1` characters (the last column left empty: some terminals wrap when it
 * is written), joined; a first part longer than that is cut and ends with "…". No width known: all parts.
 */
export function fitLine(parts: readonly string[], columns: number | undefined): string {
  const all = parts.join(PART_SEPARATOR);
  if (columns === undefined || !Number.isFinite(columns) || columns <= 0) return all;
  const width = Math.max(COLUMNS_MIN, Math.floor(columns)) - 1;
  let line = "";
  for (const part of parts) {
    const next = line === "" ? part : line + PART_SEPARATOR + part;
    if ([...next].length > width) break;
    line = next;
  }
  if (line === "") line = [...(parts[0] ?? "")].slice(0, width - 1).join("") + "…";
  return line;
}

export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

export interface ProgressPrinterOptions {
  /** The terminal's width now (it may change while the line is drawn), e.g. `() => process.stderr.columns`. */
  columns?: () => number | undefined;
  /** Without a terminal, a plain line at most this often (default 2 s). */
  plainEverySeconds?: number;
  /** Milliseconds of a monotonic clock (default performance.now). */
  nowMs?: () => number;
}

/**
 * Progress to a stream: on a terminal one line rewritten in place (carriage return, the line fitted to
 * the width, erase to the end of the line); otherwise a plain line at most every `plainEverySeconds`.
 * `update` takes the simulator's progress; `line` any other (the cards being seeded, say).
 */
export function progressPrinter(stream: ProgressStream, options: ProgressPrinterOptions = {}) {
  const plainEveryMs = (options.plainEverySeconds ?? 2) * 1000;
  const now = options.nowMs ?? (() => performance.now());
  let lastPlainMs = Number.NEGATIVE_INFINITY;
  let drawn = false;
  const show = (parts: readonly string[]): void => {
    if (stream.isTTY) {
      stream.write(`\r${fitLine(parts, options.columns?.())}\x1b[K`);
      drawn = true;
      return;
    }
    const at = now();
    if (at - lastPlainMs < plainEveryMs) return;
    lastPlainMs = at;
    stream.write(parts.join(PART_SEPARATOR) + "\n");
  };
  return {
    update(progress: SimProgress): void {
      show(progressParts(progress));
    },
    line(parts: readonly string[]): void {
      show(parts);
    },
    /** Ends the rewritten line so that what follows starts on a line of its own. */
    done(): void {
      if (drawn) stream.write("\n");
      drawn = false;
      lastPlainMs = Number.NEGATIVE_INFINITY;
    },
  };
}
