import type { LedgerCheckResult } from "./api-seed.ts";
import type { CardBook } from "./card-book.ts";
import type { CheckKind, FailureExample } from "./checker.ts";
import type { FaultCounts } from "./faults.ts";
import { usToMs } from "./histogram.ts";
import type { ReconciliationResult } from "./reconcile.ts";
import { sequenceDigest } from "./lane-plan.ts";
import { SCENARIOS, type Scenario } from "./mix.ts";
import type { Simulator } from "./simulator.ts";
import type { TimelinePoint } from "./stats.ts";

/**
 * What a run found, as one plain object: what `--json` prints, what the text table and the HTML page are
 * drawn from, and what `sekisho demo` / `sekisho bench` read. Snake_case, like the rest of Sekisho's JSON.
 */
export interface SimReport {
  /**
   * True when nothing failed: no check failure, nothing unanswered but what a fault took down, the ledger's
   * balances agree (or were not checked), nothing is lost or mismatched (or the history was not read), and
   * neither end-of-run check broke off with an error (the ledger is then not checked, and the run failed).
   */
  ok: boolean;
  seed: number;
  profile: string;
  /** Seconds of driving (sending), and of driving plus waiting for the last answers. */
  duration_s: number;
  elapsed_s: number;
  links: number;
  /** Lanes (requests in flight at most) per link, and in all. */
  window: number;
  lanes: number;
  lanes_parked: number;
  rate_target: number | null;
  sent: number;
  answered: number;
  unanswered: number;
  /** Requests lost with a link or process a fault took down (the network stood in): not failures. */
  unanswered_faults: number;
  approved: number;
  declined: number;
  reversals: number;
  standin: number;
  check_failures: number;
  /** Answers per second over the elapsed time. */
  tps: number;
  latency_ms: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
  by_response_code: Record<string, number>;
  by_scenario: Record<Scenario, number>;
  failures: Partial<Record<CheckKind, number>>;
  failure_examples: FailureExample[];
  echoes: { sent: number; answered: number };
  network_management: { sign_ons: number; sign_offs: number; echoes: number; other: number };
  connections: { accepted: number; refused: number };
  accounts: { total: number; driven: number; uncertain: number };
  /** The balances agree (true), some differ (false), or were not (all) checked: null, and the reason says why. */
  ledger_consistent: boolean | null;
  ledger_not_checked_reason: string | null;
  ledger: (LedgerCheckResult & { error?: string }) | null;
  /** Faults injected, by kind, and the ones that found nothing to act on. */
  faults: FaultCounts;
  faults_skipped: number;
  /**
   * What the network saw against what the ledger holds (null: the history was not read): approvals the
   * ledger lacks, answers it holds otherwise, and decisions it committed that never reached the network.
   */
  lost: number | null;
  mismatched: number | null;
  undelivered: number | null;
  /** Nothing lost or mismatched (true), some (false), or not (all) checked: null, and the reason says why. */
  reconciled: boolean | null;
  reconciliation_not_checked_reason: string | null;
  reconciliation: ReconciliationResult | null;
  /** Digest of each lane's first requests: equal for equal seeds (given the same answers). */
  sequence_digest: string;
  timeline: TimelinePoint[];
  /** Non-empty latency buckets: [low ms, high ms, count]. */
  latency_histogram: Array<[number, number, number]>;
}

export function buildReport(
  simulator: Simulator,
  book: CardBook,
  ledger: (LedgerCheckResult & { error?: string }) | null,
  reconciliation: ReconciliationResult | null = null,
): SimReport {
  const config = simulator.config;
  const stats = simulator.stats;
  const latency = stats.latency;
  const durationMs = Math.max(0, simulator.driveEndMs - simulator.driveStartMs);
  const elapsedMs = Math.max(0, simulator.drainedAtMs - simulator.driveStartMs);
  const byScenario = Object.fromEntries(SCENARIOS.map((name, i) => [name, stats.sentByScenario[i]!])) as Record<Scenario, number>;
  const byCode = stats.byCode();
  const ledgerVerdict = ledgerCheckVerdict(ledger);
  const reconciliationVerdict = reconciliationCheckVerdict(reconciliation);
  const reconciliationRead = reconciliation !== null && reconciliation.error === undefined;
  const checkFailures = simulator.failures.total;
  const checksRan = ledger?.error === undefined && reconciliation?.error === undefined;
  return {
    ok:
      checkFailures === 0 &&
      stats.unanswered === 0 &&
      ledgerVerdict.consistent !== false &&
      reconciliationVerdict.consistent !== false &&
      checksRan,
    seed: config.seed,
    profile: config.profile.name,
    duration_s: round3(durationMs / 1000),
    elapsed_s: round3(elapsedMs / 1000),
    links: config.links,
    window: Math.ceil(simulator.lanes.length / config.links),
    lanes: simulator.lanes.length,
    lanes_parked: simulator.parked,
    rate_target: config.ratePerSecond,
    sent: stats.sent,
    answered: stats.answered,
    unanswered: stats.unanswered,
    unanswered_faults: simulator.unansweredByFaults,
    approved: stats.approved,
    declined: stats.declined,
    reversals: stats.reversals,
    standin: stats.standin,
    check_failures: checkFailures,
    tps: elapsedMs > 0 ? Math.round((stats.answered * 1000) / elapsedMs) : 0,
    latency_ms: {
      p50: usToMs(latency.quantileUs(0.5)),
      p90: usToMs(latency.quantileUs(0.9)),
      p99: usToMs(latency.quantileUs(0.99)),
      p999: usToMs(latency.quantileUs(0.999)),
      max: usToMs(latency.maxUs),
      mean: usToMs(latency.meanUs()),
    },
    by_response_code: byCode,
    by_scenario: byScenario,
    failures: simulator.failures.nonZero(),
    failure_examples: simulator.failures.examples,
    echoes: { sent: stats.echoesSent, answered: stats.echoesAnswered },
    network_management: {
      sign_ons: stats.signOns,
      sign_offs: stats.signOffs,
      echoes: stats.processorEchoes,
      other: stats.networkOther,
    },
    connections: { accepted: stats.connectionsAccepted, refused: stats.connectionsRefused },
    accounts: {
      total: book.cards.length,
      driven: book.ownedCards.length,
      uncertain: book.cards.filter((card) => card.uncertain).length,
    },
    ledger_consistent: ledgerVerdict.consistent,
    ledger_not_checked_reason: ledgerVerdict.notCheckedReason,
    ledger,
    faults: { ...simulator.faults.counts },
    faults_skipped: simulator.faults.skipped,
    lost: reconciliationRead ? reconciliation.lost : null,
    mismatched: reconciliationRead ? reconciliation.mismatched : null,
    undelivered: reconciliationRead ? reconciliation.undelivered : null,
    reconciled: reconciliationVerdict.consistent,
    reconciliation_not_checked_reason: reconciliationVerdict.notCheckedReason,
    reconciliation,
    sequence_digest: sequenceDigest(simulator.lanes),
    timeline: stats.timeline,
    latency_histogram: latency.nonEmptyBuckets().map(([low, high, count]) => [usToMs(low), usToMs(high), count]),
  };
}

/** What an end-of-run check found: true, false, or null with the reason it was not (all) checked. */
export interface CheckVerdict {
  readonly consistent: boolean | null;
  readonly notCheckedReason: string | null;
}

/** A mismatch found is a verdict even when some accounts were not read; an error or no check is none. */
export function ledgerCheckVerdict(ledger: (LedgerCheckResult & { error?: string }) | null): CheckVerdict {
  if (ledger === null) return notChecked("no way to read the processor's balances was given");
  if (ledger.error !== undefined) return notChecked(`the check failed: ${ledger.error}`);
  if (ledger.mismatch_count > 0) return { consistent: false, notCheckedReason: null };
  const unavailable = ledger.accounts_unavailable ?? 0;
  if (ledger.consistent === null || unavailable > 0) {
    return notChecked(
      unavailable > 0 ? `${unavailable.toLocaleString("en-US")} account(s) not read: the API stayed unavailable` : "some accounts could not be read",
    );
  }
  return { consistent: ledger.consistent, notCheckedReason: null };
}

export function reconciliationCheckVerdict(reconciliation: ReconciliationResult | null): CheckVerdict {
  if (reconciliation === null) return notChecked("no way to read the ledger's history was given");
  if (reconciliation.error !== undefined) return notChecked(`the history could not be read: ${reconciliation.error}`);
  if (reconciliation.lost > 0 || reconciliation.mismatched > 0) return { consistent: false, notCheckedReason: null };
  if (reconciliation.accounts_unavailable > 0) {
    return notChecked(`${reconciliation.accounts_unavailable.toLocaleString("en-US")} account(s) not read: the API stayed unavailable`);
  }
  return { consistent: true, notCheckedReason: null };
}

function notChecked(reason: string): CheckVerdict {
  return { consistent: null, notCheckedReason: reason };
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
