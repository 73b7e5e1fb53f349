/**
 * A process that meets errors nobody catches, for test/ops/fatal-errors.test.ts: `orderly` finishes its
 * shutdown, `stuck` never does (the watchdog must end it).
 */
import { onFatalErrors } from "../../src/ops/fatal-errors.ts";
import { createLogger } from "../../src/ops/log.ts";

const mode = process.argv[2] === "stuck" ? "stuck" : "orderly";
const logger = createLogger({ level: "info", format: "json" });
const fatal = await new Promise<string>((resolve) => {
  onFatalErrors({ logger, startShutdown: resolve, exitCode: 70, forceExitAfterMs: 400, loggedMax: 2 });
  setTimeout(() => void Promise.reject(new Error("lookup failed for 4900001234567897")), 5);
  setTimeout(() => {
    throw new Error("then 4900001234567897 again");
  }, 20);
  setTimeout(() => {
    throw new Error("and a third, only counted");
  }, 30);
});
logger.info("shutdown.begin", { fatal });
if (mode === "stuck") {
  setInterval(() => {}, 1000);
} else {
  await Bun.sleep(60);
  logger.info("shutdown.done");
  process.exitCode = 70;
}
