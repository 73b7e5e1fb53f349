import { describe, expect, test } from "bun:test";
import { createLogger } from "../../src/ops/log.ts";

const PAN = "4900001234567897";

function capture(level: "debug" | "info" | "warn" | "error", format: "json" | "pretty") {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level, format, write: (line) => lines.push(line) }) };
}

describe("logger", () => {
  test("JSON lines: one object per line with time, level, event and the fields, below the level dropped", () => {
    const { lines, logger } = capture("info", "json");
    logger.debug("not.shown", { a: 1 });
    logger.info("link.ready", { link: 1, endpoint: "127.0.0.1:8583" });
    logger.child({ link: 2 }).warn("link.closed", { bytes: 10 });
    expect(lines.length).toBe(2);
    const first = JSON.parse(lines[0]!);
    expect(Object.keys(first).slice(0, 3)).toEqual(["time", "level", "event"]);
    expect(first).toMatchObject({ level: "info", event: "link.ready", link: 1, endpoint: "127.0.0.1:8583" });
    expect(new Date(first.time).toISOString()).toBe(first.time);
    expect(JSON.parse(lines[1]!)).toMatchObject({ level: "warn", event: "link.closed", link: 2, bytes: 10 });
    expect(logger.enabled("debug")).toBe(false);
    expect(logger.enabled("error")).toBe(true);
  });

  test("pretty lines for a terminal: time, level, event, key=value", () => {
    const { lines, logger } = capture("debug", "pretty");
    logger.debug("api.request", { route: "getCard", status: 200 });
    expect(lines[0]).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3} DEBUG api\.request route=getCard status=200$/);
  });

  test("every line is masked: fields by content and by name, errors, and the event text", () => {
    for (const format of ["json", "pretty"] as const) {
      const { lines, logger } = capture("debug", format);
      logger.error(`odd.${PAN}`, {
        note: `card ${PAN}`,
        pan: PAN,
        error: new Error(`no card ${PAN}`),
        request: { track2: `${PAN}=3112101`, cvv: "123" },
      });
      expect(lines.length).toBe(1);
      expect(lines[0]).not.toContain(PAN);
      expect(lines[0]).not.toContain("3112101");
      expect(lines[0]).toContain("490000******7897");
    }
  });
});
