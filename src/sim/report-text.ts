import type { SimReport } from "./report.ts";
import type { SimProgress } from "./simulator.ts";

/** The end-of-run summary table and the live progress line, as plain text. */
export function formatSummary(report: SimReport): string {
  const n = (value: number) => value.toLocaleString("en-US");
  const ms = (value: number) => value.toFixed(value < 10 ? 3 : 1);
  const latency = report.latency_ms;
  const ledger =
    report.ledger === null
      ? "not checked"
      : report.ledger.error !== undefined
        ? `NO — ${report.ledger.error}`
        : `${report.ledger.consistent === null ? "not checked" : report.ledger.consistent ? "yes" : "NO"}` +
          ` (${n(report.ledger.accounts_checked)} accounts checked` +
          `${report.ledger.accounts_skipped > 0 ? `, ${n(report.ledger.accounts_skipped)} skipped` : ""}` +
          `${(report.ledger.accounts_unavailable ?? 0) > 0 ? `, ${n(report.ledger.accounts_unavailable!)} not checked: the API stayed unavailable` : ""}` +
          `${report.ledger.mismatch_count > 0 ? `, ${n(report.ledger.mismatch_count)} mismatches` : ""})`;
  const rows: Array<[string, string]> = [
    ["profile", `${report.profile}, ${report.links} link(s) × window ${report.window} (${report.lanes} lanes)`],
    ["seed", `${report.seed}  (replay with --seed ${report.seed})`],
    ["load", report.rate_target === null ? "flat out" : `${n(report.rate_target)} requests/s target`],
    ["duration", `${report.duration_s.toFixed(2)} s driving, ${report.elapsed_s.toFixed(2)} s with the last answers`],
    ["sent / answered", `${n(report.sent)} / ${n(report.answered)}`],
    ["unanswered", `${n(report.unanswered)}${report.unanswered_faults > 0 ? `  (and ${n(report.unanswered_faults)} lost to injected faults: stood in)` : ""}`],
    ["throughput", `${n(report.tps)} answers/s`],
    ["latency ms", `p50 ${ms(latency.p50)}  p90 ${ms(latency.p90)}  p99 ${ms(latency.p99)}  p99.9 ${ms(latency.p999)}  max ${ms(latency.max)}`],
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

function reconciliationLine(report: SimReport): string {
  const r = report.reconciliation;
  if (r === null) return "not checked";
  if (r.error !== undefined) return `NO — ${r.error}`;
  const n = (value: number) => value.toLocaleString("en-US");
  const verdict = r.lost === 0 && r.mismatched === 0 ? "yes" : "NO";
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

export function formatProgress(progress: SimProgress): string {
  const phase = progress.phase === "draining" ? "draining" : "driving ";
  return (
    `sim ${phase} ${progress.elapsed_s.toFixed(1)}/${progress.duration_s.toFixed(1)}s` +
    `  ${progress.rate.toLocaleString("en-US")}/s` +
    `  p50 ${progress.p50_ms.toFixed(2)} ms  p99 ${progress.p99_ms.toFixed(2)} ms` +
    `  in flight ${progress.in_flight}  errors ${progress.errors}  stand-in ${progress.standin}  links ${progress.links}`
  );
}

/**
 * Progress to a stream: on a terminal one line rewritten in place; otherwise a plain line every
 * `plainEverySeconds` (the simulator reports once a second).
 */
export function progressPrinter(stream: { isTTY?: boolean; write(text: string): unknown }, plainEverySeconds = 2) {
  let calls = 0;
  let drawn = false;
  return {
    update(progress: SimProgress): void {
      if (stream.isTTY) {
        stream.write(`\r${formatProgress(progress)}\x1b[K`);
        drawn = true;
      } else if (calls++ % plainEverySeconds === 0) {
        stream.write(formatProgress(progress) + "\n");
      }
    },
    /** Ends the rewritten line so that what follows starts on a line of its own. */
    done(): void {
      if (drawn) stream.write("\n");
      drawn = false;
    },
  };
}
