import { isProfileName, loadProfile, PROFILE_NAMES, type ProfileName } from "../iso8583/profiles/index.ts";
import { ApiClient, type ApiClientOptions } from "./api-client.ts";
import { crossCheckThroughApi, seedThroughApi, type LedgerCheckResult } from "./api-seed.ts";
import { CardBook, type AccountSnapshot, type CardSeed } from "./card-book.ts";
import { CARD_COUNT_MIN, planCards } from "./card-plan.ts";
import { FAULT_KINDS, LINK_FAULT_KINDS, planFaults, type FaultEvent, type FaultKind, type ProcessFaultKind } from "./faults.ts";
import { historyThroughApi, reconcile, type HistoryReader, type ReconciliationResult } from "./reconcile.ts";
import { Mix, type MixWeights } from "./mix.ts";
import { seedFromEnvironment, SeededRandom } from "./random.ts";
import { buildReport, type SimReport } from "./report.ts";
import { listen, type SimListener } from "./listener.ts";
import { LANES_MAX } from "./lane.ts";
import { Simulator, type SimProgress } from "./simulator.ts";

/**
 * The library entry of the network simulator: listen, get cards (through the Processor API or given),
 * wait for the processor's links to sign on, drive traffic for the duration, wait for the last answers,
 * cross-check the ledger, report. `sekisho sim` is a thin CLI over this; tests, `sekisho demo` and
 * `sekisho bench` run it in-process.
 */
export interface SimOptions {
  /** Default 127.0.0.1 and 8583; port 0 picks a free port (see `SimHandle.listening`). */
  hostname?: string;
  port?: number;
  profile?: ProfileName;
  /** Connections accepted at once (default 8); more are closed at once and counted. */
  connectionsMax?: number;
  /** Links that must be signed on before traffic starts (default 1), and how long to wait (default 30 s). */
  links?: number;
  waitLinksMs?: number;
  /** Seconds of driving (default 10). */
  durationSeconds?: number;
  /** Requests per second over all links; omitted or null: flat out within the window. */
  ratePerSecond?: number | null;
  /** Requests in flight per link at most (default 64). */
  windowMax?: number;
  seed?: number;
  /** An answer later than this is a stand-in (default 2000 ms). */
  standinMs?: number;
  /** How long to wait for outstanding answers after the duration (default standinMs + 1000). */
  drainMs?: number;
  /** The network's own echo on each link every so often (default 1000 ms; 0: never). */
  echoIntervalMs?: number;
  mix?: Partial<MixWeights>;
  /** Requests per lane in the replay digest (default 32). */
  digestRequestsMax?: number;
  /** The cards: given (tests, a cards file), or created through the Processor API. */
  cards: readonly CardSeed[] | { api: ApiClientOptions; users: number };
  /** With given cards: how to read the processor's balances back. Without it, `ledger_consistent` is null. */
  ledgerCheck?: (accounts: readonly AccountSnapshot[]) => Promise<LedgerCheckResult>;
  /**
   * With given cards: how to read each account's history for the reconciliation (with API cards, through
   * the API). Without it, the report's reconciliation is null.
   */
  historyReader?: HistoryReader;
  /** Faults to inject (default none); the seed fixes when and where. Process faults need `onProcessFault`. */
  faults?: readonly FaultKind[];
  /** One fault about every this many ms of driving (default 2000), at least one of each kind. */
  faultSpacingMs?: number;
  /** How long `pause` leaves a link unread (default 1500 ms). */
  pauseMs?: number;
  /**
   * How long the processor has to drop a link whose framing a fault broke (default 8000 ms: above the
   * processor's default frame-assembly bound of 5 s, with room for a busy machine).
   */
  frameFaultGraceMs?: number;
  /** Stops and restarts the processor for `sigkill` / `sigterm` (what `sekisho demo` does). */
  onProcessFault?: (kind: ProcessFaultKind) => void;
  onProgress?: (progress: SimProgress) => void;
  /** With cards seeded through the API: how many are ready, about every SEEDING_PROGRESS_MS and at the end. */
  onSeeding?: (progress: SeedingProgress) => void;
}

export interface SeedingProgress {
  readonly seeded: number;
  readonly total: number;
}

export const SEEDING_PROGRESS_MS = 250;

export interface SimHandle {
  /** Where the network listens, once it does. */
  readonly listening: Promise<{ hostname: string; port: number }>;
  /** Ends driving early (answers outstanding are still awaited); before driving, abandons the run. */
  stop(): void;
  readonly report: Promise<SimReport>;
}

export type SimErrorCode = "invalid_option" | "listen_failed" | "cards_failed" | "links_not_ready" | "stopped";

export class SimError extends Error {
  override readonly name = "SimError";
  readonly code: SimErrorCode;
  constructor(code: SimErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Salt so that the card plan and the lanes draw from different streams of the same seed. */
const CARD_PLAN_SALT = 0x5eedca4d;
const LINK_POLL_MS = 10;

export function runSimulation(options: SimOptions): Promise<SimReport> {
  return startSimulation(options).report;
}

export function startSimulation(options: SimOptions): SimHandle {
  let resolveListening!: (address: { hostname: string; port: number }) => void;
  let rejectListening!: (error: unknown) => void;
  const listening = new Promise<{ hostname: string; port: number }>((resolve, reject) => {
    resolveListening = resolve;
    rejectListening = reject;
  });
  listening.catch(() => {}); // the report carries the same error
  let simulator: Simulator | null = null;
  let stopped = false;
  const report = (async () => {
    const config = resolveConfig(options);
    simulator = new Simulator({ ...config, onProgress: options.onProgress, onProcessFault: options.onProcessFault });
    let listener: SimListener;
    try {
      listener = listen(simulator, { hostname: config.hostname, port: config.port });
    } catch (error) {
      throw new SimError("listen_failed", `cannot listen on ${config.hostname}:${config.port}: ${(error as Error).message}`, { cause: error });
    }
    resolveListening({ hostname: config.hostname, port: listener.port });
    let settled = false; // ends the wait for links when the cards fail
    try {
      // Cards seeded through the Processor API wait for the links: a processor that signed on serves its API.
      const seedsThroughApi = !Array.isArray(options.cards);
      if (seedsThroughApi) await waitForLinks(simulator, config, () => stopped);
      const [book] = await Promise.all([
        loadCards(options, config.seed).catch((error) => {
          settled = true;
          throw error;
        }),
        seedsThroughApi ? Promise.resolve() : waitForLinks(simulator, config, () => stopped || settled),
      ]);
      if (stopped) throw new SimError("stopped", "stopped before traffic began");
      try {
        simulator.start(book, config.mix);
      } catch (error) {
        if (error instanceof RangeError) throw new SimError("cards_failed", error.message, { cause: error });
        throw error;
      }
      await simulator.finished;
      listener.close();
      const ledger = await checkLedger(options, book);
      const reconciliation = await reconcileLedger(options, simulator, book);
      return buildReport(simulator, book, ledger, reconciliation);
    } finally {
      settled = true;
      listener.close();
      simulator.abandon();
    }
  })();
  report.catch((error) => rejectListening(error));
  return {
    listening,
    report,
    stop() {
      stopped = true;
      simulator?.stop();
    },
  };
}

interface ResolvedConfig {
  hostname: string;
  port: number;
  profile: ReturnType<typeof loadProfile>;
  seed: number;
  links: number;
  connectionsMax: number;
  windowMax: number;
  ratePerSecond: number | null;
  durationMs: number;
  standinMs: number;
  drainMs: number;
  echoIntervalMs: number;
  digestRequestsMax: number;
  waitLinksMs: number;
  mix: Mix;
  faults: FaultEvent[];
  pauseMs: number;
  frameFaultGraceMs: number;
}

function resolveConfig(options: SimOptions): ResolvedConfig {
  const profileName = options.profile ?? "iso87-ascii";
  if (!isProfileName(profileName)) invalid(`profile must be one of ${PROFILE_NAMES.join(", ")}`);
  const connectionsMax = integerIn("connectionsMax", options.connectionsMax ?? 8, 1, 1024);
  const links = integerIn("links", options.links ?? 1, 1, connectionsMax);
  const windowMax = integerIn("windowMax", options.windowMax ?? 64, 1, Math.floor(LANES_MAX / links));
  const standinMs = integerIn("standinMs", options.standinMs ?? 2000, 1, 600_000);
  const durationSeconds = options.durationSeconds ?? 10;
  if (!(durationSeconds > 0 && durationSeconds <= 86_400)) invalid("durationSeconds must be in (0, 86400]");
  const rate = options.ratePerSecond ?? null;
  if (rate !== null && !(rate > 0 && rate <= 10_000_000)) invalid("ratePerSecond must be in (0, 10000000]");
  let mix: Mix;
  try {
    mix = new Mix(options.mix);
  } catch (error) {
    invalid((error as Error).message);
  }
  const faultKinds = options.faults ?? [];
  for (const kind of faultKinds) {
    if (!(FAULT_KINDS as readonly string[]).includes(kind)) invalid(`faults: unknown kind "${kind}"`);
    if (!(LINK_FAULT_KINDS as readonly string[]).includes(kind) && options.onProcessFault === undefined) {
      invalid(`faults: ${kind} needs onProcessFault (a processor the caller owns)`);
    }
  }
  const seed = (options.seed ?? seedFromEnvironment()) >>> 0;
  const durationMs = Math.round(durationSeconds * 1000);
  const faultSpacingMs = integerIn("faultSpacingMs", options.faultSpacingMs ?? 2000, 10, 3_600_000);
  return {
    hostname: options.hostname ?? "127.0.0.1",
    port: integerIn("port", options.port ?? 8583, 0, 65535),
    profile: loadProfile(profileName),
    seed,
    links,
    connectionsMax,
    windowMax,
    ratePerSecond: rate,
    durationMs,
    standinMs,
    drainMs: integerIn("drainMs", options.drainMs ?? standinMs + 1000, 0, 3_600_000),
    echoIntervalMs: integerIn("echoIntervalMs", options.echoIntervalMs ?? 1000, 0, 3_600_000),
    digestRequestsMax: integerIn("digestRequestsMax", options.digestRequestsMax ?? 32, 0, 1_000_000),
    waitLinksMs: integerIn("waitLinksMs", options.waitLinksMs ?? 30_000, 0, 3_600_000),
    mix,
    faults: planFaults({ kinds: [...new Set(faultKinds)], seed, durationMs, spacingMs: faultSpacingMs }),
    pauseMs: integerIn("pauseMs", options.pauseMs ?? 1500, 1, 600_000),
    frameFaultGraceMs: integerIn("frameFaultGraceMs", options.frameFaultGraceMs ?? 8000, 1, 600_000),
  };
}

function integerIn(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) invalid(`${name} must be an integer in [${min}, ${max}]`);
  return value;
}

function invalid(message: string): never {
  throw new SimError("invalid_option", message);
}

async function loadCards(options: SimOptions, seed: number): Promise<CardBook> {
  try {
    if (Array.isArray(options.cards)) return new CardBook(options.cards as readonly CardSeed[]);
    const { api, users } = options.cards as { api: ApiClientOptions; users: number };
    if (!Number.isInteger(users) || users < CARD_COUNT_MIN) invalid(`users must be an integer >= ${CARD_COUNT_MIN}`);
    const plans = planCards(users, new SeededRandom((seed ^ CARD_PLAN_SALT) >>> 0), Date.now());
    const runTag = `${seed.toString(36)}-${Date.now().toString(36)}`;
    const onSeeded = seedingReporter(plans.length, options.onSeeding);
    return new CardBook(await seedThroughApi(new ApiClient(api), plans, { runTag, ...(onSeeded ? { onSeeded } : {}) }));
  } catch (error) {
    if (error instanceof SimError) throw error;
    throw new SimError("cards_failed", `cannot set up the cards: ${(error as Error).message}`, { cause: error });
  }
}

/** The seeding's progress at most every SEEDING_PROGRESS_MS, and always the first and the last card. */
function seedingReporter(total: number, report: SimOptions["onSeeding"]): ((seeded: number) => void) | undefined {
  if (report === undefined) return undefined;
  let lastMs = Number.NEGATIVE_INFINITY;
  return (seeded) => {
    const now = performance.now();
    if (seeded < total && now - lastMs < SEEDING_PROGRESS_MS) return;
    lastMs = now;
    report({ seeded, total });
  };
}

async function waitForLinks(simulator: Simulator, config: ResolvedConfig, stopped: () => boolean): Promise<void> {
  const deadline = performance.now() + config.waitLinksMs;
  while (simulator.boundLinks() < config.links && !stopped()) {
    if (performance.now() >= deadline) {
      throw new SimError(
        "links_not_ready",
        `only ${simulator.boundLinks()} of ${config.links} links signed on within ${config.waitLinksMs} ms`,
      );
    }
    await Bun.sleep(LINK_POLL_MS);
  }
}

async function checkLedger(options: SimOptions, book: CardBook): Promise<(LedgerCheckResult & { error?: string }) | null> {
  const accounts = book.snapshot();
  const check = Array.isArray(options.cards)
    ? options.ledgerCheck
    : (snapshot: readonly AccountSnapshot[]) => crossCheckThroughApi(new ApiClient((options.cards as { api: ApiClientOptions }).api), snapshot);
  if (check === undefined) return null;
  try {
    return await check(accounts);
  } catch (error) {
    const skipped = accounts.length;
    // The check broke off: nothing is known of the balances (not checked, not inconsistent); the run fails.
    return { consistent: null, accounts_checked: 0, accounts_skipped: skipped, mismatch_count: 0, mismatches: [], error: (error as Error).message };
  }
}

/** What the network saw against each account's history; null when there is no way to read the history. */
async function reconcileLedger(options: SimOptions, simulator: Simulator, book: CardBook): Promise<ReconciliationResult | null> {
  const read = Array.isArray(options.cards)
    ? options.historyReader
    : historyThroughApi(new ApiClient((options.cards as { api: ApiClientOptions }).api));
  if (read === undefined) return null;
  return reconcile({ book, log: simulator.networkLog, read, runStartedAtMs: simulator.driveStartWallMs });
}
