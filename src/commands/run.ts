import { startApiServer, parseListenAddress, type ApiServer } from "../api/server.ts";
import {
  configFlagOptions,
  configKeySpecs,
  ConfigError,
  environmentSource,
  flagName,
  flagsSource,
  readConfigFile,
  resolveConfig,
  type Config,
} from "../config.ts";
import { Processor } from "../engine/processor.ts";
import { onShutdownSignals, type ShutdownSignal } from "./signals.ts";
import { loadProfile } from "../iso8583/profiles/index.ts";
import type { Ledger } from "../ledger/ledger.ts";
import { openLedger } from "../ledger/open.ts";
import { EventPruner } from "../notify/event-pruner.ts";
import { Notifier } from "../notify/notifier.ts";
import { AssertionFailure } from "../ops/assert.ts";
import { onFatalErrors, type FatalErrors, type FatalEvent } from "../ops/fatal-errors.ts";
import { createLogger, defaultLogFormat, type Logger } from "../ops/log.ts";
import { registerSecret } from "../ops/mask.ts";
import { MetricsRegistry } from "../ops/metrics.ts";
import { registerProcessMetrics } from "../ops/process-metrics.ts";
import { CommandError, parseFlags, type Command } from "./cli.ts";
import { engineSettingsFrom, linkSettingsFrom } from "./settings.ts";

/**
 * Exit codes of `sekisho run` (docs/operating.md: signals and exit codes). 130 and 143 (a second SIGINT/SIGTERM) come
 * from signals.ts.
 */
export const RUN_EXIT = { clean: 0, shutdownIncomplete: 1, configuration: 2, startFailed: 3, internalError: 70, invariantBroken: 71 } as const;

/** After an uncaught error, how much longer than the drain deadline the rest of the shutdown may take. */
const FATAL_EXIT_MARGIN_MS = 5000;

type StopReason = { signal: ShutdownSignal } | { fatal: FatalEvent };

/** What must stop the moment an invariant breaks, wherever it broke: set once those parts exist. */
interface InvariantStops {
  stopAuthorizing: (failure: AssertionFailure) => void;
}

export async function loadRunConfig(values: Record<string, unknown>, env: Record<string, string | undefined>): Promise<Config> {
  const file = typeof values.config === "string" ? await readConfigFile(values.config) : undefined;
  return resolveConfig({ file, env: environmentSource(env), flags: flagsSource(values) });
}

function endpointsOf(config: Config): Array<{ host: string; port: number }> {
  return config.network.map((item) => {
    const { hostname, port } = parseListenAddress(item);
    return { host: hostname, port };
  });
}

/** The password in a URL's user info (a PostgreSQL URL, a webhook URL), to be redacted wherever it shows. */
function passwordOf(url: string | undefined): string | undefined {
  if (url === undefined || !url.includes("://")) return undefined;
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

function checkSecrets(config: Config): void {
  if (config.apiToken === undefined) {
    throw new ConfigError("SEKISHO_API_TOKEN is not set: the Processor API is not served without a token");
  }
  if (config.panKey === undefined) {
    throw new ConfigError("SEKISHO_PAN_KEY is not set: 32 bytes as 64 hex characters encrypt and index card numbers");
  }
  if ((config.webhookUrl === undefined) !== (config.webhookSecret === undefined)) {
    throw new ConfigError("set both SEKISHO_WEBHOOK_URL and SEKISHO_WEBHOOK_SECRET, or neither");
  }
}

/**
 * Starts everything, waits for SIGTERM/SIGINT (or an error nobody caught), shuts down in order; resolves
 * with the exit code. Signal and error handlers are in place before anything starts: a signal during
 * start-up shuts down in order as soon as start-up is over.
 *
 * A broken invariant (an AssertionFailure, src/ops/assert.ts) — uncaught, or handed over by a catch site
 * that handles operating errors (an authorization task, the API, the notifier, the pruner, the expiry
 * sweep) — is logged `fatal.assertion_failed`; at once nothing more is authorized (every request gets 91
 * without the ledger) and the expiry sweep stops; then the ordered shutdown flushes what was answered
 * before, signs off and closes, and the exit code is 71 (invariantBroken), whatever else happened.
 */
export async function runProcessor(config: Config, logger: Logger): Promise<number> {
  let requestStop: (reason: StopReason) => void = () => {};
  const stopRequested = new Promise<StopReason>((resolve) => (requestStop = resolve));
  const removeSignalHandlers = onShutdownSignals((signal) => requestStop({ signal }));
  const stops: InvariantStops = { stopAuthorizing: () => {} };
  const fatal = onFatalErrors({
    logger,
    startShutdown: (event) => requestStop({ fatal: event }),
    exitCode: RUN_EXIT.internalError,
    assertionExitCode: RUN_EXIT.invariantBroken,
    onAssertionFailure: (failure) => stops.stopAuthorizing(failure),
    forceExitAfterMs: config.drainDeadlineMs + config.webhookTimeoutMs + FATAL_EXIT_MARGIN_MS,
  });
  try {
    const exitCode = await startAndServe(config, logger, stopRequested, fatal, stops);
    return fatal.assertionFailure !== null ? RUN_EXIT.invariantBroken : exitCode;
  } catch (error) {
    // Broken while starting (opening the ledger, wiring the processor): nothing to shut down yet.
    if (!(error instanceof AssertionFailure)) throw error;
    fatal.report(error);
    return RUN_EXIT.invariantBroken;
  } finally {
    fatal.remove();
    removeSignalHandlers();
  }
}

async function startAndServe(
  config: Config,
  logger: Logger,
  stopRequested: Promise<StopReason>,
  fatal: FatalErrors,
  stops: InvariantStops,
): Promise<number> {
  const registry = new MetricsRegistry();
  registerProcessMetrics(registry);
  // A PostgreSQL URL may carry a password: never in a log line or an error.
  const shownDb = config.db.replace(/\/\/[^@/]*@/, "//***@");
  let ledger: Ledger;
  try {
    ledger = await openLedger(config);
  } catch (error) {
    if (error instanceof AssertionFailure) throw error;
    logger.error("ledger.open_failed", { db: shownDb, error });
    throw new CommandError(`cannot open the ledger (${shownDb}): ${(error as Error).message}`, RUN_EXIT.startFailed);
  }
  const processor = new Processor({
    profile: loadProfile(config.profile),
    ledger,
    endpoints: endpointsOf(config),
    links: config.links,
    engine: engineSettingsFrom(config),
    link: linkSettingsFrom(config),
    logger,
    metrics: registry,
    onAssertionFailure: fatal.report,
  });
  let api: ApiServer;
  try {
    const { hostname, port } = parseListenAddress(config.api);
    api = startApiServer({
      ledger,
      hostname,
      port,
      token: config.apiToken,
      bodyBytesMax: config.apiBodyBytesMax,
      currency: config.currency,
      cardBin: config.cardBin,
      cardExpiryYears: config.cardExpiryYears,
      readiness: () =>
        processor.ready
          ? { ready: true }
          : { ready: false, reason: "no link signed on to the network" },
      metrics: registry,
      logger,
      onAssertionFailure: fatal.report,
    });
  } catch (error) {
    await ledger.close();
    throw new CommandError(`cannot serve the API on ${config.api}: ${(error as Error).message}`, RUN_EXIT.startFailed);
  }
  const notifier =
    config.webhookUrl !== undefined && config.webhookSecret !== undefined
      ? new Notifier({
          ledger,
          url: config.webhookUrl,
          secret: config.webhookSecret,
          timeoutMs: config.webhookTimeoutMs,
          retryDelayMinMs: config.webhookRetryDelayMinMs,
          retryDelayMaxMs: config.webhookRetryDelayMaxMs,
          batchSizeMax: config.webhookBatchSizeMax,
          concurrency: config.webhookConcurrency,
          pollMs: config.webhookPollMs,
          metrics: registry,
          logger,
          onAssertionFailure: fatal.report,
        })
      : null;
  // Holds not cleared or reversed in time release their funds; a cheap sweep, off the authorization path.
  const expirySweepMs = Math.min(60_000, config.holdTimeoutSeconds * 100);
  const expiryTimer = setInterval(() => {
    ledger.expireHolds(Date.now()).then(
      (released) => released > 0 && logger.info("ledger.holds_expired", { released }),
      (error: unknown) => (error instanceof AssertionFailure ? fatal.report(error) : logger.error("ledger.expiry_failed", { error })),
    );
  }, expirySweepMs);
  stops.stopAuthorizing = (failure) => {
    processor.stopAuthorizing(failure);
    clearInterval(expiryTimer);
  };
  if (fatal.assertionFailure !== null) stops.stopAuthorizing(fatal.assertionFailure); // broke while starting

  // Events past their retention go, delivered or not, in small steps off the authorization path.
  const pruner = new EventPruner({ ledger, retentionMs: config.eventRetentionHours * 3_600_000, logger, onAssertionFailure: fatal.report });

  processor.start();
  notifier?.start();
  pruner.start();
  logger.info("processor.started", {
    profile: config.profile,
    network: config.network,
    links: config.links,
    api: api.url,
    db: shownDb,
    webhooks: notifier !== null,
  });

  const reason = await stopRequested;
  logger.info("shutdown.begin", { ...reason, queued: processor.queued });
  api.beginShutdown();
  const report = await processor.shutdown();
  clearInterval(expiryTimer);
  await notifier?.stop();
  await pruner.stop();
  await api.stop();
  await ledger.close();
  if (!report.clean) {
    logger.error("shutdown.incomplete", {
      queuedLeft: report.queuedLeft,
      bytesUnflushed: report.bytesUnflushed,
      drainDeadlineMs: config.drainDeadlineMs,
    });
    return "fatal" in reason ? RUN_EXIT.internalError : RUN_EXIT.shutdownIncomplete;
  }
  logger.info("shutdown.done", { signedOff: report.signedOff, links: report.links });
  return "fatal" in reason ? RUN_EXIT.internalError : RUN_EXIT.clean;
}

function usage(): string {
  const flags = configKeySpecs()
    .filter(([, spec]) => !spec.envOnly)
    .map(([key, spec]) => `  --${flagName(key).padEnd(28)} ${spec.help}`);
  return `sekisho run [--config FILE] [flags]

The processor: dials the card network, signs on, authorizes every request against the ledger and answers
on the same link; serves the Processor API. SIGTERM or SIGINT shut it down in order (a second signal exits
at once). Every flag is also a SEKISHO_* environment variable; \`sekisho config\` lists them all with their
defaults and bounds. Secrets only from the environment: SEKISHO_API_TOKEN, SEKISHO_PAN_KEY,
SEKISHO_WEBHOOK_URL, SEKISHO_WEBHOOK_SECRET.

  --config FILE                  settings file, JSON or TOML (file < environment < flags)
${flags.join("\n")}

Exit codes: 0 clean shutdown · 1 shutdown incomplete (drain deadline passed) · 2 configuration error ·
3 start-up failed (ledger or API) · 70 an unexpected error (a bug; logged) stopped the processor, in order ·
71 a broken invariant (an assertion; logged fatal.assertion_failed) stopped it: nothing more authorized,
then in order · 130/143 a second SIGINT/SIGTERM cut the shutdown short.`;
}

export const runCommand: Command = {
  name: "run",
  summary: "the processor: dial the network, authorize, answer; serve the Processor API",
  get usage() {
    return usage();
  },
  async run(argv) {
    const { values } = parseFlags(argv, { ...configFlagOptions(), help: { type: "boolean", short: "h" } });
    if (values.help) {
      console.log(usage());
      return 0;
    }
    const config = await loadRunConfig(values, process.env);
    for (const secret of [config.apiToken, config.panKey, config.webhookSecret, passwordOf(config.db), passwordOf(config.webhookUrl)]) {
      registerSecret(secret);
    }
    checkSecrets(config);
    const format = config.logFormat === "auto" ? defaultLogFormat() : config.logFormat;
    return runProcessor(config, createLogger({ level: config.logLevel, format }));
  },
};
