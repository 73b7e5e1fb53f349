import { describe, expect, test } from "bun:test";
import { join } from "node:path";

const CHILD = join(import.meta.dir, "fatal-child.ts");
const PAN = "4900001234567897";

async function runChild(mode: "orderly" | "stuck") {
  const child = Bun.spawn([process.execPath, CHILD, mode], { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  const events = stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, any>);
  return { stdout, stderr, exitCode, events };
}

describe("errors nobody caught", () => {
  test("are logged masked (with a stack), start the shutdown once, and the exit code says a bug stopped it", async () => {
    const { stdout, stderr, exitCode, events } = await runChild("orderly");
    expect(exitCode).toBe(70);
    expect(stdout + stderr).not.toContain(PAN);
    const names = events.map((e) => e.event);
    // Which of the two is reported first depends on timer scheduling; both are logged, the third only counted.
    expect(names.filter((n) => n.startsWith("process.")).sort()).toEqual(["process.uncaught_exception", "process.unhandled_rejection"]);
    const rejection = events.find((e) => e.event === "process.unhandled_rejection")!;
    expect(rejection.error.message).toBe("lookup failed for 490000******7897");
    expect(typeof rejection.stack).toBe("string");
    expect(names.filter((n) => n === "shutdown.begin").length).toBe(1);
    expect(events.find((e) => e.event === "shutdown.begin")!.fatal).toBe(names[0]);
    expect(names.at(-1)).toBe("shutdown.done");
    expect(stderr).toBe("");
  });

  test("a shutdown that does not end is cut off by the watchdog, with a line saying so", async () => {
    const started = performance.now();
    const { exitCode, events } = await runChild("stuck");
    expect(exitCode).toBe(70);
    expect(events.at(-1)).toMatchObject({ event: "shutdown.forced", reason: events[0]!.event, fatalErrors: 3 });
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe("a broken invariant", () => {
  test("reported by a catch site: logged fatal.assertion_failed, heard at once, starts the shutdown; the watchdog exits with its own code", async () => {
    const { onFatalErrors, FATAL_EVENTS } = await import("../../src/ops/fatal-errors.ts");
    const { AssertionFailure } = await import("../../src/ops/assert.ts");
    const { createLogger } = await import("../../src/ops/log.ts");
    const lines: string[] = [];
    const started: string[] = [];
    const heard: string[] = [];
    const exits: number[] = [];
    const fatal = onFatalErrors({
      logger: createLogger({ level: "info", format: "json", write: (line) => lines.push(line) }),
      startShutdown: (event) => started.push(event),
      exitCode: 70,
      assertionExitCode: 71,
      onAssertionFailure: (failure) => heard.push(failure.message),
      forceExitAfterMs: 20,
      exit: (code) => exits.push(code),
    });
    try {
      const failure = new AssertionFailure(`journal entry 3 does not balance (${PAN})`);
      fatal.report(failure);
      expect(fatal.assertionFailure).toBe(failure);
      expect(started).toEqual([FATAL_EVENTS.assertionFailed]);
      expect(heard.length).toBe(1);
      const logged = JSON.parse(lines[0]!) as Record<string, any>;
      expect(logged.event).toBe("fatal.assertion_failed");
      expect(logged.error.message).toBe("journal entry 3 does not balance (490000******7897)");
      await Bun.sleep(60);
      expect(exits).toEqual([71]);
    } finally {
      fatal.remove();
    }
  });
});
