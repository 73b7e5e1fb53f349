import type { EndToEndOptions } from "../demo/end-to-end.ts";
import { isProfileName, PROFILE_NAMES } from "../iso8583/profiles/index.ts";
import { UsageError } from "./cli.ts";

/** Flags the demo and the end-to-end benchmark share, checked before anything starts. */
export const END_TO_END_FLAGS = {
  duration: { type: "string" },
  profile: { type: "string" },
  links: { type: "string" },
  instances: { type: "string" },
  users: { type: "string" },
  window: { type: "string" },
  seed: { type: "string" },
  db: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export const END_TO_END_FLAGS_HELP = `  --duration S      seconds of load (default %DURATION%)
  --profile P       ${PROFILE_NAMES.join(", ")} (default iso87-ascii)
  --links N         links per processor (default 2)
  --users N         users, each with a card and a top-up, created through the Processor API (default 2000)
  --window N        requests in flight per link (default %WINDOW%)
  --seed N          replay the simulator's traffic
  --db URL          a PostgreSQL server: the processors share a throwaway database created on it (the
                    user needs CREATEDB; dropped afterwards). Default: a fresh temporary SQLite file
  --instances N     processors sharing that database (default 1; more than 1 needs --db postgres://…)`;

function integer(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}`);
  return n;
}

/** The part of a run's options that the flags set. */
export type EndToEndFlags = Pick<EndToEndOptions, "durationSeconds" | "profile" | "links" | "instances" | "users" | "windowMax" | "seed" | "db">;

export function endToEndFromFlags(
  values: Record<string, string | boolean | undefined>,
  defaults: { durationSeconds: number; windowMax: number },
): EndToEndFlags {
  const text = (name: string) => values[name] as string | undefined;
  const profile = text("profile") ?? "iso87-ascii";
  if (!isProfileName(profile)) throw new UsageError(`unknown profile "${profile}"; choose one of ${PROFILE_NAMES.join(", ")}`);
  const duration = text("duration");
  const durationSeconds = duration === undefined ? defaults.durationSeconds : Number(duration);
  if (!(durationSeconds > 0 && durationSeconds <= 3600)) throw new UsageError("--duration must be a number of seconds from 0 to 3600");
  const flags: EndToEndFlags = {
    durationSeconds,
    profile,
    links: integer("links", text("links"), 2, 1, 32),
    instances: integer("instances", text("instances"), 1, 1, 8),
    users: integer("users", text("users"), 2000, 8, 1_000_000),
    windowMax: integer("window", text("window"), defaults.windowMax, 1, 65_536),
  };
  const seed = text("seed");
  if (seed !== undefined) flags.seed = integer("seed", seed, 0, 0, 0xffffffff);
  const db = text("db");
  if (db !== undefined) flags.db = db;
  if (flags.instances > 1 && !(db ?? "").match(/^postgres(ql)?:\/\//)) {
    throw new UsageError("--instances above 1 needs a shared database: --db postgres://…");
  }
  return flags;
}
