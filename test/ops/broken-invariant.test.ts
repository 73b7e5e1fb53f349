import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RUN_EXIT } from "../../src/commands/run.ts";
import { loadProfile } from "../../src/iso8583/profiles/index.ts";
import { openLedger } from "../../src/ledger/open.ts";
import { E2E_PAN_KEY, seedCard, startProcessorProcess } from "../support/processor-process.ts";
import { TestNetwork } from "../support/test-network.ts";
import { authorizationRequest } from "../support/wire-requests.ts";

const profile = loadProfile("iso87-ascii");
const CHILD = join(import.meta.dir, "broken-invariant-child.ts");
const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("a broken invariant in sekisho run", () => {
  test("stops the processor: logged fatal.assertion_failed, nothing committed or authorized after it, the ordered shutdown, exit 71", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sekisho-invariant-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const db = join(dir, "ledger.db");
    const network = new TestNetwork({ profile }).listen();
    cleanups.push(() => network.close());
    // The second authorization batch breaks an invariant inside the ledger's transaction.
    const processor = startProcessorProcess({ networkPort: network.port, db, entry: CHILD, env: { SEKISHO_TEST_BREAK_BATCH: "2" } });
    cleanups.push(() => {
      if (processor.child.exitCode === null) processor.child.kill("SIGKILL");
    });
    await processor.waitReady();
    const card = await seedCard(processor, 100_000);
    await network.until(() => network.signedOnConnections().length === 1, 10_000, "signed on");
    const connection = network.signedOnConnections()[0]!;
    const send = (stan: number) =>
      connection.socket.write(network.framed(authorizationRequest(profile, stan, { pan: card.pan, expiry: card.expiry, acquirer: "20000001", amount: 1500 })));
    const answered = () => connection.responses().filter((r) => r.mti === "0110");

    send(1);
    await network.until(() => answered().length === 1, 10_000, "the first answer");
    expect(answered()[0]!.fields.get(39)).toBe("00");
    send(2);
    const exitCode = await Promise.race([processor.exited, Bun.sleep(30_000).then(() => "still running")]);

    // Today's code answered 91 (engine.ledger_batch_failed), rebuilt the ledger's state and carried on.
    expect(exitCode).toBe(RUN_EXIT.invariantBroken);
    const events = processor.lines.map((line) => JSON.parse(line) as Record<string, any>);
    const names = events.map((e) => e.event as string);
    expect(names).not.toContain("engine.ledger_batch_failed");
    const fatal = events.find((e) => e.event === "fatal.assertion_failed")!;
    expect(fatal.level).toBe("error");
    expect(fatal.error.message).toBe("journal entry 2 does not balance (1)");
    expect(fatal.error.name).toBe("AssertionFailure");
    expect(processor.lines.join("\n")).not.toContain(card.pan);
    // Then the ordered shutdown, step by step, after the failure.
    const steps = [
      "fatal.assertion_failed",
      "shutdown.begin",
      "shutdown.stop_reading",
      "shutdown.drained",
      "shutdown.flushed",
      "shutdown.signed_off",
      "shutdown.drained_after_sign_off",
      "shutdown.done",
    ];
    const at = steps.map((step) => names.indexOf(step));
    expect(at.every((index) => index >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(events.find((e) => e.event === "shutdown.begin")!.fatal).toBe("fatal.assertion_failed");

    // The request whose batch broke it got 91 — the network stands in — and nothing was decided after.
    expect(answered().map((r) => [r.fields.get(11), r.fields.get(39)])).toEqual([
      ["000001", "00"],
      ["000002", "91"],
    ]);
    expect(connection.signedOff).toBe(true);
    expect(connection.closed).toBe(true);

    // The batch that broke the invariant was rolled back: only the first purchase is in the ledger.
    const ledger = await openLedger({
      db,
      sqliteSynchronous: "full",
      sqliteBusyTimeoutMs: 1000,
      holdTimeoutSeconds: 7 * 86400,
      currency: 392,
      panKey: E2E_PAN_KEY,
    });
    cleanups.push(() => ledger.close());
    const page = await ledger.listTransactions(card.userId, { limit: 50, cursor: null });
    const authorizations = page.items.filter((r) => r.kind === "authorization");
    expect(authorizations.map((r) => r.status)).toEqual(["approved"]);
    expect((await ledger.checkConsistency()).consistent).toBe(true);
  }, 60_000);
});
