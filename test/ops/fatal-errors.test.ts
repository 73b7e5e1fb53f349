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
    expect(names[0]).toBe("process.unhandled_rejection");
    expect(events[0]!.error.message).toBe("lookup failed for 490000******7897");
    expect(typeof events[0]!.stack).toBe("string");
    expect(names.filter((n) => n === "shutdown.begin").length).toBe(1);
    expect(events.find((e) => e.event === "shutdown.begin")!.fatal).toBe("process.unhandled_rejection");
    expect(names).toContain("process.uncaught_exception");
    expect(names.filter((n) => n.startsWith("process.")).length).toBe(2); // the third is counted, not logged
    expect(names.at(-1)).toBe("shutdown.done");
    expect(stderr).toBe("");
  });

  test("a shutdown that does not end is cut off by the watchdog, with a line saying so", async () => {
    const started = performance.now();
    const { exitCode, events } = await runChild("stuck");
    expect(exitCode).toBe(70);
    expect(events.at(-1)).toMatchObject({ event: "shutdown.forced", reason: "process.unhandled_rejection", fatalErrors: 3 });
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
