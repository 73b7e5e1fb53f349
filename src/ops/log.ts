import { maskText, maskValue } from "./mask.ts";

/**
 * Structured logging: one JSON object per line on stdout (time, level, event, fields), or a readable line
 * when stdout is a terminal. Every line passes through the masking of src/ops/mask.ts before it is written.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFormat = "json" | "pretty";
export type LogFields = Record<string, unknown>;

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  enabled(level: LogLevel): boolean;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  level: LogLevel;
  format?: LogFormat;
  /** Where lines go; stdout by default. */
  write?: (line: string) => void;
}

export function defaultLogFormat(): LogFormat {
  return process.stdout.isTTY ? "pretty" : "json";
}

export function createLogger(options: LoggerOptions, base: LogFields = {}): Logger {
  const threshold = LEVEL_RANK[options.level];
  const format = options.format ?? defaultLogFormat();
  const write = options.write ?? ((line: string) => process.stdout.write(line + "\n"));
  const emit = (level: LogLevel, event: string, fields?: LogFields) => {
    if (LEVEL_RANK[level] < threshold) return;
    const masked = maskValue({ ...base, ...fields }) as LogFields;
    const time = new Date().toISOString();
    if (format === "json") {
      write(JSON.stringify({ time, level, event: maskText(event), ...masked }));
      return;
    }
    const rest = Object.entries(masked)
      .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
      .join(" ");
    write(`${time.slice(11, 23)} ${level.toUpperCase().padEnd(5)} ${maskText(event)}${rest ? " " + rest : ""}`);
  };
  return {
    debug: (event, fields) => emit("debug", event, fields),
    info: (event, fields) => emit("info", event, fields),
    warn: (event, fields) => emit("warn", event, fields),
    error: (event, fields) => emit("error", event, fields),
    enabled: (level) => LEVEL_RANK[level] >= threshold,
    child: (fields) => createLogger(options, { ...base, ...fields }),
  };
}

/** A logger that drops everything (for tools that must keep stdout for their own output). */
export const silentLogger: Logger = createLogger({ level: "error", write: () => {} });
