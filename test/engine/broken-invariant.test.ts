import { afterEach, describe, expect, test } from "bun:test";
import { loadProfile } from "../../src/iso8583/profiles/index.ts";
import { AssertionFailure } from "../../src/ops/assert.ts";
import { startHarness, type Harness } from "../support/processor-harness.ts";
import { ScriptedLedger } from "../support/scripted-ledger.ts";
import type { NetworkConnection } from "../support/test-network.ts";
import { authorizationRequest, concatBytes } from "../support/wire-requests.ts";

const profile = loadProfile("iso87-ascii");
let harness: Harness | null = null;
afterEach(async () => {
  await harness?.stop();
  harness = null;
});

async function ready(h: Harness): Promise<NetworkConnection> {
  await h.network.until(() => h.processor.ready, 5000, "ready");
  return h.network.signedOnConnections()[0]!;
}

function send(h: Harness, connection: NetworkConnection, stans: number[]): Promise<void> {
  return h.network.write(connection, concatBytes(stans.map((stan) => h.network.framed(authorizationRequest(profile, stan)))));
}

function codes(connection: NetworkConnection): string[] {
  return connection.responses().map((r) => `${Number(r.fields.get(11))}:${r.fields.get(39)}`);
}

describe("a broken invariant in the ledger", () => {
  test("is no ledger failure: the authorization task hands it over, and nothing more goes to the ledger (91 without it)", async () => {
    const ledger = new ScriptedLedger();
    const reported: AssertionFailure[] = [];
    harness = startHarness({ ledger, onAssertionFailure: (failure) => reported.push(failure) });
    const connection = await ready(harness);
    await send(harness, connection, [1]);
    await harness.network.until(() => connection.responses().length === 1, 5000, "first answer");
    ledger.breakNext = 1;
    await send(harness, connection, [2]);
    await harness.network.until(() => connection.responses().length === 2, 5000, "second answer");
    // Sent after it: answered 91 inline, never queued for the ledger.
    await send(harness, connection, [3, 4]);
    await harness.network.until(() => connection.responses().length === 4, 5000, "answers after it");
    expect(codes(connection)).toEqual(["1:00", "2:91", "3:91", "4:91"]);
    expect(reported.map((failure) => failure.message)).toEqual(["journal entry 7 does not balance (1)"]);
    expect(ledger.seen.map((request) => request.stan)).toEqual(["000001"]);
    expect(harness.processor.metrics.ledgerFailures.get()).toBe(0);
    expect(harness.logLines.some((line) => line.includes("engine.ledger_batch_failed"))).toBe(false);
    expect(harness.processor.ready).toBe(false);
  });

  test("a decision that comes back after an invariant broke elsewhere is answered 91, not from the ledger", async () => {
    const ledger = new ScriptedLedger();
    harness = startHarness({ ledger, onAssertionFailure: () => {} });
    const connection = await ready(harness);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    ledger.gate = () => held;
    await send(harness, connection, [1]);
    await harness.network.until(() => harness!.processor.queued === 0, 5000, "batch at the ledger");
    await Bun.sleep(20);
    harness.processor.stopAuthorizing(new AssertionFailure("broken elsewhere"));
    release();
    await harness.network.until(() => connection.responses().length === 1, 5000, "the answer");
    expect(codes(connection)).toEqual(["1:91"]);
    expect(ledger.seen.length).toBe(1); // it was decided (and, in a real ledger, committed) — not answered
  });
});
