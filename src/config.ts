import { z } from "zod";
import { PROFILE_NAMES } from "./iso8583/profiles/index.ts";
import { FRAME_BYTES_MAX_LIMIT } from "./iso8583/framing.ts";
import { isPostgresUrl, LEDGER_DEFAULTS } from "./ledger/open-options.ts";
import { HOST_PORT_PATTERN, splitHostPort } from "./domain/host-port.ts";

/**
 * Every setting of `sekisho run`, as one table: its schema (type, default, bounds), what it means, and where
 * it may come from. Sources, later winning: `--config FILE` (JSON or TOML) < `SEKISHO_*` environment <
 * command-line flags. Secrets come only from the environment. The configuration reference in
 * docs/operating.md is generated from this table (`sekisho config --markdown`), so the two cannot drift.
 */
interface KeySpec {
  readonly schema: z.ZodType;
  readonly help: string;
  readonly group: string;
  /** Only from the environment (secrets): never from a file or a flag. */
  readonly envOnly?: boolean;
}

const int = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback);
const positiveMs = (min: number, max: number, fallback: number) => int(min, max, fallback);

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

const endpointList = z
  .string()
  .transform((value) => value.split(",").map((part) => part.trim()).filter((part) => part.length > 0))
  .refine((list) => list.length > 0, "at least one HOST:PORT")
  .refine((list) => list.every((item) => splitHostPort(item) !== null), {
    message: "a comma-separated list of HOST:PORT",
  });

export const CONFIG_KEYS = {
  // ── network links ──
  network: {
    schema: endpointList.default(["127.0.0.1:8583"]),
    help: "card network endpoint(s) to dial, HOST:PORT[,HOST:PORT…]",
    group: "links",
  },
  links: { schema: int(1, 64, 2), help: "TCP links to hold, spread over the endpoints", group: "links" },
  profile: { schema: z.enum(PROFILE_NAMES).default("iso87-ascii"), help: "wire profile", group: "links" },
  frameBytesMax: {
    schema: int(64, FRAME_BYTES_MAX_LIMIT, 8192),
    help: "largest frame accepted or sent, bytes; a longer one closes the link (framing lost)",
    group: "links",
  },
  connectTimeoutMs: { schema: positiveMs(10, 120_000, 3000), help: "one connect attempt's bound", group: "links" },
  signOnTimeoutMs: { schema: positiveMs(10, 120_000, 5000), help: "wait for the 0810 to our sign-on", group: "links" },
  echoIdleMs: {
    schema: positiveMs(100, 3_600_000, 30_000),
    help: "idle time on a link before we send an echo test (0800/301)",
    group: "links",
  },
  echoTimeoutMs: {
    schema: positiveMs(10, 120_000, 5000),
    help: "wait for the 0810 to an echo; none in time closes and re-dials the link",
    group: "links",
  },
  reconnectDelayMinMs: { schema: positiveMs(1, 600_000, 100), help: "first re-dial delay (then doubled, with jitter)", group: "links" },
  reconnectDelayMaxMs: { schema: positiveMs(1, 600_000, 10_000), help: "largest re-dial delay", group: "links" },
  writeBufferBytesMax: {
    schema: int(65_536, 256 * 1024 * 1024, 4 * 1024 * 1024),
    help: "responses a link may hold while the socket is not accepting, bytes; beyond it the link is re-dialled",
    group: "links",
  },
  linkPendingBytesHighWater: {
    schema: int(4096, 128 * 1024 * 1024, 1024 * 1024),
    help: "unsent response bytes at which a link stops reading (backpressure on that link alone); the rest of writeBufferBytesMax holds the answers to requests already read",
    group: "links",
  },
  linkPendingBytesLowWater: {
    schema: int(0, 128 * 1024 * 1024, 256 * 1024),
    help: "unsent response bytes at or below which a link paused by linkPendingBytesHighWater reads again",
    group: "links",
  },
  frameAssemblyTimeoutMs: {
    schema: positiveMs(10, 120_000, 5000),
    help: "from a frame's first byte to its last; a frame not whole in time closes and re-dials the link (framing lost)",
    group: "links",
  },
  base1SourceStation: {
    schema: z.string().regex(/^\d{6}$/, "6 digits").default("000000"),
    help: "visa-base1: our station id, the source in the BASE I header of the messages we originate",
    group: "links",
  },
  base1DestinationStation: {
    schema: z.string().regex(/^\d{6}$/, "6 digits").default("000000"),
    help: "visa-base1: the network's station id, the destination of the messages we originate",
    group: "links",
  },
  // ── engine ──
  ringCapacity: {
    schema: int(2, 1 << 20, 4096).refine(isPowerOfTwo, "must be a power of two"),
    help: "requests queued between the links and the authorization tasks (a power of two)",
    group: "engine",
  },
  ringHighWaterPercent: {
    schema: int(1, 100, 75),
    help: "ring fill (%) at which every link stops reading",
    group: "engine",
  },
  ringLowWaterPercent: { schema: int(0, 99, 25), help: "ring fill (%) at which reading resumes", group: "engine" },
  authTasks: { schema: int(1, 64, 4), help: "authorization tasks, started once", group: "engine" },
  batchSizeMax: { schema: int(1, 4096, 256), help: "requests one task decides in one ledger transaction", group: "engine" },
  requestDeadlineMs: {
    schema: positiveMs(10, 120_000, 5000),
    help: "a request not started within this of arriving is answered 91 with no ledger effect",
    group: "engine",
  },
  drainDeadlineMs: {
    schema: positiveMs(100, 600_000, 15_000),
    help: "shutdown: bound on draining, flushing and signing off; past it the exit code is 1",
    group: "engine",
  },
  signOffTimeoutMs: { schema: positiveMs(10, 60_000, 2000), help: "shutdown: wait for the 0810 to sign-off", group: "engine" },
  closeGraceMs: {
    schema: positiveMs(0, 60_000, 200),
    help: "shutdown: time between half-closing a socket and closing it",
    group: "engine",
  },
  // ── ledger ──
  db: {
    schema: z.string().min(1).default("sekisho.db"),
    help: "ledger: a SQLite file path, or postgres://user@host:port/database",
    group: "ledger",
  },
  sqliteSynchronous: {
    schema: z.enum(["full", "normal"]).default("full"),
    help: "SQLite synchronous mode (full: every commit survives power loss)",
    group: "ledger",
  },
  sqliteKeyMergeKeysMax: {
    schema: int(1, 1 << 20, LEDGER_DEFAULTS.sqliteKeyMergeKeysMax),
    help: "SQLite: new transaction keys held in memory before a merge into the key index is due; smaller merges cost more in all",
    group: "ledger",
  },
  sqliteKeyMergeSliceKeysMax: {
    schema: int(1, 1 << 20, LEDGER_DEFAULTS.sqliteKeyMergeSliceKeysMax),
    help: "SQLite: keys of a due merge that each following batch's transaction writes (twice the batch's own keys if more, so merges keep up)",
    group: "ledger",
  },
  sqliteRecentRecordsMax: {
    schema: int(0, 1 << 20, LEDGER_DEFAULTS.sqliteRecentRecordsMax),
    help: "SQLite: newest network records kept in memory, so that a reversal, advice or repeat of a recent transaction reads no row (0: none)",
    group: "ledger",
  },
  sqliteWalAutocheckpointPages: {
    schema: int(100, 1_000_000, LEDGER_DEFAULTS.sqliteWalAutocheckpointPages),
    help: "SQLite: WAL pages after which a commit copies the WAL back into the file; more: fewer, longer checkpoints and a larger WAL",
    group: "ledger",
  },
  sqliteBusyTimeoutMs: { schema: positiveMs(0, 600_000, 5000), help: "SQLite busy_timeout", group: "ledger" },
  postgresPoolMax: {
    schema: int(2, 512, LEDGER_DEFAULTS.postgresPoolMax),
    help: "PostgreSQL: connections this instance opens at most; each batch in flight holds one until it commits",
    group: "ledger",
  },
  postgresConnectTimeoutMs: {
    schema: positiveMs(100, 120_000, LEDGER_DEFAULTS.postgresConnectTimeoutMs),
    help: "PostgreSQL: bound on opening one connection; an unreachable database fails start-up within it",
    group: "ledger",
  },
  postgresStatementTimeoutMs: {
    schema: positiveMs(100, 600_000, LEDGER_DEFAULTS.postgresStatementTimeoutMs),
    help: "PostgreSQL: bound on one statement (server) and on one ledger transaction (client); past it the batch is answered 91",
    group: "ledger",
  },
  postgresCommitCheckTimeoutMs: {
    schema: positiveMs(100, 600_000, LEDGER_DEFAULTS.postgresCommitCheckTimeoutMs),
    help: "PostgreSQL: bound on finding out, before anyone is answered, whether a batch whose answer to COMMIT was lost committed",
    group: "ledger",
  },
  holdTimeoutSeconds: {
    schema: int(60, 90 * 86_400, 7 * 86_400),
    help: "an authorization hold not cleared or reversed within this is released",
    group: "ledger",
  },
  currency: { schema: int(1, 999, 392), help: "ISO 4217 numeric currency of new accounts (392 = JPY)", group: "ledger" },
  // ── API ──
  api: {
    schema: z.string().regex(HOST_PORT_PATTERN, "HOST:PORT").default("127.0.0.1:8080"),
    help: "Processor API listen address, HOST:PORT (0.0.0.0: every interface)",
    group: "api",
  },
  apiBodyBytesMax: { schema: int(1024, 16 * 1024 * 1024, 65_536), help: "largest API request body, bytes", group: "api" },
  cardBin: {
    schema: z.string().regex(/^\d{6,8}$/, "6 to 8 digits").default("490000"),
    help: "BIN (first 6–8 digits) of the 16-digit PANs the API issues",
    group: "api",
  },
  cardExpiryYears: { schema: int(1, 20, 5), help: "a new card's default expiry, years from the issuing month", group: "api" },
  // ── webhooks ──
  webhookTimeoutMs: {
    schema: positiveMs(100, 120_000, 5000),
    help: "one webhook delivery's bound (connect, send, response); past it the attempt failed",
    group: "webhooks",
  },
  webhookRetryDelayMinMs: {
    schema: positiveMs(10, 3_600_000, 1000),
    help: "delay before retrying a failed webhook (then doubled per attempt, with jitter)",
    group: "webhooks",
  },
  webhookRetryDelayMaxMs: {
    schema: positiveMs(10, 86_400_000, 300_000),
    help: "largest delay between two attempts at one webhook event",
    group: "webhooks",
  },
  webhookBatchSizeMax: {
    schema: int(1, 1000, 32),
    help: "outbox events the notifier claims in one turn",
    group: "webhooks",
  },
  webhookConcurrency: {
    schema: int(1, 64, 4),
    help: "webhook deliveries in flight at once (never two of one account)",
    group: "webhooks",
  },
  webhookPollMs: {
    schema: positiveMs(10, 60_000, 250),
    help: "how often an idle notifier looks for new outbox events",
    group: "webhooks",
  },
  eventRetentionHours: {
    schema: int(1, 720, 72),
    help: "events are kept this long after they were written (GET /v1/events), delivered or not; older ones are deleted, undelivered ones too",
    group: "webhooks",
  },
  // ── operations ──
  logLevel: { schema: z.enum(["debug", "info", "warn", "error"]).default("info"), help: "log level", group: "ops" },
  logFormat: {
    schema: z.enum(["auto", "json", "pretty"]).default("auto"),
    help: "log format (auto: pretty on a terminal, JSON lines otherwise)",
    group: "ops",
  },
  // ── secrets (environment only) ──
  apiToken: {
    schema: z.string().min(16, "at least 16 characters").optional(),
    help: "bearer token the Processor API requires",
    group: "secrets",
    envOnly: true,
  },
  panKey: {
    schema: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, "32 bytes as 64 hex characters")
      .optional(),
    help: "key that encrypts PANs at rest and indexes them (32 bytes, 64 hex characters)",
    group: "secrets",
    envOnly: true,
  },
  webhookUrl: { schema: z.string().url().optional(), help: "where authorization events are POSTed", group: "secrets", envOnly: true },
  webhookSecret: {
    schema: z.string().min(16, "at least 16 characters").optional(),
    help: "HMAC-SHA256 key of the Sekisho-Signature header",
    group: "secrets",
    envOnly: true,
  },
} as const satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof CONFIG_KEYS;
export type Config = { [K in ConfigKey]: z.output<(typeof CONFIG_KEYS)[K]["schema"]> };

export function envName(key: string): string {
  return "SEKISHO_" + key.replace(/([A-Z])/g, "_$1").toUpperCase();
}

export function flagName(key: string): string {
  return key.replace(/([A-Z])/g, "-$1").toLowerCase();
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly exitCode = 2;
}

export type ConfigSource = Record<string, unknown>;

/** Reads a JSON or TOML config file (by extension; JSON when it starts with "{"). */
export async function readConfigFile(path: string): Promise<ConfigSource> {
  const file = Bun.file(path);
  if (!(await file.exists())) throw new ConfigError(`config file ${path} does not exist`);
  const text = await file.text();
  let parsed: unknown;
  try {
    parsed = path.endsWith(".toml") || !text.trimStart().startsWith("{") ? Bun.TOML.parse(text) : JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config file ${path}: ${(error as Error).message.split("\n")[0]}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${path}: expected a table of settings`);
  }
  const source = parsed as ConfigSource;
  for (const key of Object.keys(source)) {
    if (!(key in CONFIG_KEYS)) throw new ConfigError(`config file ${path}: unknown setting "${key}"`);
    if ((CONFIG_KEYS as Record<string, KeySpec>)[key]!.envOnly) {
      throw new ConfigError(`config file ${path}: "${key}" is a secret; set ${envName(key)} in the environment`);
    }
  }
  return source;
}

export function environmentSource(env: Record<string, string | undefined>): ConfigSource {
  const source: ConfigSource = {};
  for (const key of Object.keys(CONFIG_KEYS)) {
    const value = env[envName(key)];
    if (value !== undefined && value !== "") source[key] = value;
  }
  return source;
}

/** Merges the sources (later wins), validates every key, then checks the keys against each other. */
export function resolveConfig(sources: { file?: ConfigSource; env?: ConfigSource; flags?: ConfigSource }): Config {
  const merged: ConfigSource = { ...sources.file, ...sources.env, ...sources.flags };
  const config: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, spec] of Object.entries(CONFIG_KEYS) as Array<[string, KeySpec]>) {
    const result = spec.schema.safeParse(merged[key]);
    if (result.success) {
      config[key] = result.data;
      continue;
    }
    const where = spec.envOnly ? envName(key) : `--${flagName(key)} / ${envName(key)}`;
    const shown = spec.envOnly ? "" : `; got ${JSON.stringify(merged[key])}`;
    problems.push(`${key} (${where}): ${result.error.issues[0]?.message ?? "invalid"}${shown}`);
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration: ${problems.join("; ")}`);
  const resolved = config as Config;
  checkBounds(resolved);
  return resolved;
}

/**
 * Limits that only make sense together, checked once at start-up (TigerStyle: limits checked against each
 * other). `rule` is what the configuration reference prints; `problem` says what is wrong with the values.
 */
export interface CrossKeyRule {
  readonly rule: string;
  readonly holds: (config: Config) => boolean;
  readonly problem: (config: Config) => string;
}

export const CROSS_KEY_RULES: readonly CrossKeyRule[] = [
  {
    rule: "`ringCapacity` ≥ `batchSizeMax` × `authTasks`",
    holds: (c) => c.ringCapacity >= c.batchSizeMax * c.authTasks,
    problem: (c) =>
      `ringCapacity (${c.ringCapacity}) must be at least batchSizeMax × authTasks ` +
      `(${c.batchSizeMax} × ${c.authTasks} = ${c.batchSizeMax * c.authTasks})`,
  },
  {
    rule: "`ringLowWaterPercent` < `ringHighWaterPercent`",
    holds: (c) => c.ringLowWaterPercent < c.ringHighWaterPercent,
    problem: (c) =>
      `ringLowWaterPercent (${c.ringLowWaterPercent}) must be below ringHighWaterPercent (${c.ringHighWaterPercent})`,
  },
  {
    rule: "`linkPendingBytesLowWater` < `linkPendingBytesHighWater`",
    holds: (c) => c.linkPendingBytesLowWater < c.linkPendingBytesHighWater,
    problem: (c) =>
      `linkPendingBytesLowWater (${c.linkPendingBytesLowWater}) must be below linkPendingBytesHighWater (${c.linkPendingBytesHighWater})`,
  },
  {
    rule: "`linkPendingBytesHighWater` ≤ `writeBufferBytesMax` / 2",
    holds: (c) => c.linkPendingBytesHighWater <= c.writeBufferBytesMax / 2,
    problem: (c) =>
      `linkPendingBytesHighWater (${c.linkPendingBytesHighWater}) must be at most half of writeBufferBytesMax ` +
      `(${c.writeBufferBytesMax}): the other half holds the answers to requests a paused link had already sent`,
  },
  {
    rule: "`reconnectDelayMinMs` ≤ `reconnectDelayMaxMs`",
    holds: (c) => c.reconnectDelayMinMs <= c.reconnectDelayMaxMs,
    problem: (c) =>
      `reconnectDelayMinMs (${c.reconnectDelayMinMs}) must not exceed reconnectDelayMaxMs (${c.reconnectDelayMaxMs})`,
  },
  {
    rule: "`echoTimeoutMs` < `echoIdleMs`",
    holds: (c) => c.echoTimeoutMs < c.echoIdleMs,
    problem: (c) => `echoTimeoutMs (${c.echoTimeoutMs}) must be below echoIdleMs (${c.echoIdleMs})`,
  },
  {
    rule: "`webhookRetryDelayMinMs` ≤ `webhookRetryDelayMaxMs`",
    holds: (c) => c.webhookRetryDelayMinMs <= c.webhookRetryDelayMaxMs,
    problem: (c) =>
      `webhookRetryDelayMinMs (${c.webhookRetryDelayMinMs}) must not exceed ` +
      `webhookRetryDelayMaxMs (${c.webhookRetryDelayMaxMs})`,
  },
  {
    rule: "`SEKISHO_WEBHOOK_URL` needs `SEKISHO_WEBHOOK_SECRET`",
    holds: (c) => c.webhookUrl === undefined || c.webhookSecret !== undefined,
    problem: () => "SEKISHO_WEBHOOK_URL is set but SEKISHO_WEBHOOK_SECRET is not: webhooks are always signed",
  },
  {
    rule: "with a PostgreSQL `db`: `postgresPoolMax` ≥ `authTasks` + 2",
    holds: (c) => !isPostgresUrl(c.db) || c.postgresPoolMax >= c.authTasks + 2,
    problem: (c) =>
      `postgresPoolMax (${c.postgresPoolMax}) must be at least authTasks + 2 (${c.authTasks + 2}): ` +
      "one connection per authorization task, and room for the API, the notifier and hold expiry",
  },
  {
    rule: "`requestDeadlineMs` < `drainDeadlineMs`",
    holds: (c) => c.requestDeadlineMs < c.drainDeadlineMs,
    problem: (c) => `requestDeadlineMs (${c.requestDeadlineMs}) must be below drainDeadlineMs (${c.drainDeadlineMs})`,
  },
];

function checkBounds(config: Config): void {
  for (const { holds, problem } of CROSS_KEY_RULES) {
    if (!holds(config)) throw new ConfigError(`invalid configuration: ${problem(config)}`);
  }
}

/** Options for node:util parseArgs: one string flag per non-secret key, plus --config. */
export function configFlagOptions(): Record<string, { type: "string" }> {
  const options: Record<string, { type: "string" }> = { config: { type: "string" } };
  for (const [key, spec] of Object.entries(CONFIG_KEYS) as Array<[string, KeySpec]>) {
    if (!spec.envOnly) options[flagName(key)] = { type: "string" };
  }
  return options;
}

/** Parsed flag values (kebab-case) back to config keys. */
export function flagsSource(values: Record<string, unknown>): ConfigSource {
  const source: ConfigSource = {};
  for (const key of Object.keys(CONFIG_KEYS)) {
    const value = values[flagName(key)];
    if (value !== undefined) source[key] = value;
  }
  return source;
}

/** The default of a key as it would be printed (for --help and the configuration reference). */
export function defaultOf(key: ConfigKey): unknown {
  const result = CONFIG_KEYS[key].schema.safeParse(undefined);
  return result.success ? result.data : undefined;
}

export function configKeySpecs(): Array<[ConfigKey, KeySpec]> {
  return Object.entries(CONFIG_KEYS) as Array<[ConfigKey, KeySpec]>;
}
