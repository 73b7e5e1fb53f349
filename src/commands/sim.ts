import { isProfileName, PROFILE_NAMES } from "../iso8583/profiles/index.ts";
import { CardsFileError, parseCardsFile } from "../sim/cards-file.ts";
import { ApiClient } from "../sim/api-client.ts";
import { crossCheckThroughApi } from "../sim/api-seed.ts";
import { maskedStream, maskText, maskValue } from "../ops/mask.ts";
import { FaultListError, LINK_FAULT_KINDS, parseFaults } from "../sim/faults.ts";
import { parseMix, SCENARIOS } from "../sim/mix.ts";
import { historyThroughApi } from "../sim/reconcile.ts";
import { renderHtmlReport } from "../sim/report-html.ts";
import { formatSummary, progressPrinter } from "../sim/report-text.ts";
import { SimError, startSimulation, type SimOptions } from "../sim/run.ts";
import { CommandError, parseFlags, UsageError, type Command } from "./cli.ts";
import { splitHostPort } from "../domain/host-port.ts";


export const simCommand: Command = {
  name: "sim",
  summary: "the card-network simulator: accepts the processor's links, drives load, checks every answer",
  usage: `sekisho sim [options]

Plays the card network: listens for the processor's links, answers their sign-on, echo and sign-off,
drives a seeded mix of traffic over every signed-on link, checks every answer (MTI, echoed fields, DE 39 as
predicted by its own model of every account, DE 38 on approvals, the link, the stand-in timeout) and at the
end compares every balance with the processor's ledger and reconciles every answer with the ledger's
history (lost approvals, mismatched answers, undelivered decisions). Exit 0 when nothing failed, 1 otherwise.

Links
  --listen HOST:PORT       where the processor dials in (default 127.0.0.1:8583; port 0: any free port)
  --profile P              ${PROFILE_NAMES.join(", ")} (default iso87-ascii)
  --connections-max N      connections accepted at once; more are closed at once (default 8)
  --links N                signed-on links to wait for before driving (default 1)
  --wait-links-ms MS       how long to wait for them (default 30000)

Cards (one of the two)
  --api URL                create --users users with a card and a top-up each through the Processor API
                           (token from SEKISHO_API_TOKEN), and read their balances back at the end
  --users N                how many (default 1000; at least 8)
  --cards FILE             cards issued some other way (JSON; see src/sim/cards-file.ts); with --api too,
                           their user_id is used for the cross-check, else ledger_consistent is null

Load
  --duration S             seconds of driving (default 10)
  --rate N                 requests per second over all links (default: flat out within the window)
  --window N               requests in flight per link at most (default 64)
  --seed N                 replay a run (default: SEKISHO_SEED or random; printed in the report)
  --mix SPEC               scenario weights, e.g. purchase=50,reversal=10 (others keep their default)
                           scenarios: ${SCENARIOS.join(", ")}
  --standin-ms MS          an answer later than this counts as stand-in (default 2000)

Faults (seeded: --seed replays them)
  --faults LIST            inject faults, comma-separated, or all: ${LINK_FAULT_KINDS.join(", ")}
                           (sigkill and sigterm need the processor's owner: sekisho demo)
  --fault-spacing-ms MS    one fault about every MS of driving (default 2000; at least one of each kind)

Output
  --json                   one JSON report on stdout (progress stays on stderr)
  --report FILE.html       a self-contained page with latency over time and a latency histogram`,
  async run(argv) {
    const { values } = parseFlags(argv, {
      listen: { type: "string" },
      profile: { type: "string" },
      "connections-max": { type: "string" },
      links: { type: "string" },
      "wait-links-ms": { type: "string" },
      api: { type: "string" },
      users: { type: "string" },
      cards: { type: "string" },
      duration: { type: "string" },
      rate: { type: "string" },
      window: { type: "string" },
      seed: { type: "string" },
      mix: { type: "string" },
      "standin-ms": { type: "string" },
      faults: { type: "string" },
      "fault-spacing-ms": { type: "string" },
      json: { type: "boolean" },
      report: { type: "string" },
      help: { type: "boolean", short: "h" },
    });
    if (values.help) {
      console.log(this.usage);
      return 0;
    }
    const options = await optionsFromFlags(values);
    // Progress and notes on stderr, through the masking every log line gets.
    const stderr = maskedStream(process.stderr);
    const progress = progressPrinter(stderr, { columns: () => process.stderr.columns });
    const handle = startSimulation({ ...options, onProgress: (p) => progress.update(p) });
    const stopOnSignal = () => {
      if (stopping) process.exit(130); // a second signal: stop at once
      stopping = true;
      handle.stop();
    };
    let stopping = false;
    process.on("SIGINT", stopOnSignal);
    process.on("SIGTERM", stopOnSignal);
    try {
      const address = await handle.listening;
      stderr.write(`sekisho sim: listening on ${address.hostname}:${address.port} (${options.profile ?? "iso87-ascii"})\n`);
      const report = await handle.report;
      progress.done();
      if (values.report !== undefined) {
        try {
          await Bun.write(values.report, renderHtmlReport(report));
        } catch (error) {
          throw new CommandError(`--report ${values.report}: ${(error as Error).message}`);
        }
        stderr.write(`sekisho sim: report written to ${values.report}\n`);
      }
      if (values.json) process.stdout.write(JSON.stringify(maskValue(report)) + "\n");
      else process.stdout.write(maskText(formatSummary(report)) + "\n");
      return report.ok ? 0 : 1;
    } catch (error) {
      progress.done();
      if (error instanceof SimError) {
        if (error.code === "invalid_option") throw new UsageError(error.message);
        throw new CommandError(`${error.code}: ${error.message}`);
      }
      throw error;
    } finally {
      process.off("SIGINT", stopOnSignal);
      process.off("SIGTERM", stopOnSignal);
    }
  },
};

type Flags = Record<string, string | boolean | undefined>;

async function optionsFromFlags(values: Flags): Promise<SimOptions> {
  const text = (name: string) => values[name] as string | undefined;
  const listen = text("listen") ?? "127.0.0.1:8583";
  const address = splitHostPort(listen);
  if (address === null) throw new UsageError(`--listen expects HOST:PORT, got "${listen}"`);
  const profile = text("profile") ?? "iso87-ascii";
  if (!isProfileName(profile)) throw new UsageError(`unknown profile "${profile}"; choose one of ${PROFILE_NAMES.join(", ")}`);
  const api = text("api");
  const cardsFile = text("cards");
  if (api === undefined && cardsFile === undefined) throw new UsageError("give --api URL (to create cards) or --cards FILE");
  // Every usage mistake is reported before any file is read or any socket opened.
  const rate = text("rate");
  const numbers = {
    connectionsMax: integer("connections-max", text("connections-max"), 8, 1, 1024),
    links: integer("links", text("links"), 1, 1, 1024),
    waitLinksMs: integer("wait-links-ms", text("wait-links-ms"), 30_000, 0, 3_600_000),
    durationSeconds: number("duration", text("duration"), 10, 0.001, 86_400),
    ratePerSecond: rate === undefined ? null : number("rate", rate, 0, 0.001, 10_000_000),
    windowMax: integer("window", text("window"), 64, 1, 65_536),
    seed: text("seed") === undefined ? undefined : integer("seed", text("seed"), 0, 0, 0xffffffff),
    standinMs: integer("standin-ms", text("standin-ms"), 2000, 1, 600_000),
    users: integer("users", text("users"), 1000, 8, 1_000_000),
    faultSpacingMs: integer("fault-spacing-ms", text("fault-spacing-ms"), 2000, 10, 3_600_000),
  };
  let faults: SimOptions["faults"];
  if (text("faults") !== undefined) {
    try {
      faults = parseFaults(text("faults")!, LINK_FAULT_KINDS);
    } catch (error) {
      if (error instanceof FaultListError) throw new UsageError(`--faults: ${error.message}`);
      throw error;
    }
  }
  let mix: SimOptions["mix"];
  if (text("mix") !== undefined) {
    try {
      mix = parseMix(text("mix")!);
    } catch (error) {
      throw new UsageError(`--mix: ${(error as Error).message}`);
    }
  }
  let client: ApiClient | null = null;
  if (api !== undefined) {
    if (!/^https?:\/\/./.test(api)) throw new UsageError(`--api expects an http(s) URL, got "${api}"`);
    const token = process.env.SEKISHO_API_TOKEN;
    if (!token) throw new CommandError("SEKISHO_API_TOKEN is not set: the Processor API needs its bearer token");
    client = new ApiClient({ baseUrl: api, token });
  }
  let cards: SimOptions["cards"];
  let ledgerCheck: SimOptions["ledgerCheck"];
  let historyReader: SimOptions["historyReader"];
  if (cardsFile !== undefined) {
    const file = Bun.file(cardsFile);
    if (!(await file.exists())) throw new CommandError(`--cards: no file ${cardsFile}`);
    try {
      cards = parseCardsFile(await file.text(), Date.now());
    } catch (error) {
      if (error instanceof CardsFileError) throw new CommandError(`--cards ${cardsFile}: ${error.message}`);
      throw error;
    }
    if (client !== null) {
      ledgerCheck = (accounts) => crossCheckThroughApi(client, accounts);
      historyReader = historyThroughApi(client);
    }
  } else {
    cards = { api: { baseUrl: api!, token: process.env.SEKISHO_API_TOKEN! }, users: numbers.users };
  }
  return {
    hostname: address.host.replace(/^\[|\]$/g, ""),
    port: address.port,
    profile,
    connectionsMax: numbers.connectionsMax,
    links: numbers.links,
    waitLinksMs: numbers.waitLinksMs,
    durationSeconds: numbers.durationSeconds,
    ratePerSecond: numbers.ratePerSecond,
    windowMax: numbers.windowMax,
    seed: numbers.seed,
    standinMs: numbers.standinMs,
    mix,
    cards,
    ledgerCheck,
    historyReader,
    faults,
    faultSpacingMs: numbers.faultSpacingMs,
  };
}

function number(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isFinite(parsed) || parsed < min || parsed > max) {
    throw new UsageError(`--${name} expects a number in [${min}, ${max}], got "${value}"`);
  }
  return parsed;
}

function integer(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  const parsed = number(name, value, fallback, min, max);
  if (!Number.isInteger(parsed)) throw new UsageError(`--${name} expects an integer, got "${value}"`);
  return parsed;
}
