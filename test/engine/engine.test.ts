import { afterEach, describe, expect, test } from "bun:test";
import { MessageBuilder } from "../../src/iso8583/message-builder.ts";
import { MessageView } from "../../src/iso8583/message-view.ts";
import { beginResponse } from "../../src/iso8583/response.ts";
import { loadProfile } from "../../src/iso8583/profiles/index.ts";
import { startHarness, type Harness } from "../support/processor-harness.ts";
import { authorizationRequest, concatBytes } from "../support/wire-requests.ts";
import { ScriptedLedger } from "../support/scripted-ledger.ts";
import type { NetworkConnection, TestNetwork } from "../support/test-network.ts";

const profile = loadProfile("iso87-ascii");
let harness: Harness | null = null;
afterEach(async () => {
  await harness?.stop();
  harness = null;
});

/** A gate the ledger waits at: batches hold until `open()`. */
function gate(): { wait: () => Promise<void>; open: () => void } {
  let release!: () => void;
  const opened = new Promise<void>((resolve) => (release = resolve));
  return { wait: () => opened, open: () => release() };
}

async function ready(h: Harness): Promise<NetworkConnection> {
  await h.network.until(() => h.processor.ready, 5000, "ready");
  return h.network.signedOnConnections()[0]!;
}

async function sendRequests(network: TestNetwork, connection: NetworkConnection, stans: number[]): Promise<void> {
  await network.write(connection, concatBytes(stans.map((stan) => network.framed(authorizationRequest(profile, stan)))));
}

function codesByStan(connection: NetworkConnection): Map<number, string[]> {
  const map = new Map<number, string[]>();
  for (const response of connection.responses()) {
    const stan = Number(response.fields.get(11));
    map.set(stan, [...(map.get(stan) ?? []), response.fields.get(39)!]);
  }
  return map;
}

describe("engine", () => {
  test("ring above high water pauses reading; it resumes at low water; every request is answered once", async () => {
    const ledger = new ScriptedLedger();
    const hold = gate();
    ledger.gate = hold.wait;
    harness = startHarness({ ledger, engine: { ringCapacity: 16, batchSizeMax: 4, authTasks: 1 } });
    const connection = await ready(harness);
    const stans = Array.from({ length: 300 }, (_, i) => i + 1);
    for (let i = 0; i < stans.length; i += 50) await sendRequests(harness.network, connection, stans.slice(i, i + 50));
    const paused = harness.processor.metrics.readsPaused;
    await harness.network.until(() => paused.get() === 1, 5000, "reads paused");
    expect(harness.processor.queued).toBeGreaterThanOrEqual(12);
    hold.open();
    await harness.network.until(() => connection.responses().length >= 300, 10_000, "every answer");
    expect(paused.get()).toBe(0);
    const answers = codesByStan(connection);
    expect(answers.size).toBe(300);
    for (const codes of answers.values()) expect(codes.length).toBe(1);
    const approved = [...answers.values()].filter((codes) => codes[0] === "00").length;
    const shed = [...answers.values()].filter((codes) => codes[0] === "91").length;
    expect(approved + shed).toBe(300);
    expect(ledger.seen.length).toBe(approved); // a shed request never reached the ledger
    expect(harness.processor.metrics.shed.get()).toBe(shed);
  });

  test("a request whose deadline passed before its batch started gets 91 and never reaches the ledger", async () => {
    const ledger = new ScriptedLedger();
    let first = true;
    ledger.gate = async () => {
      if (first) {
        first = false;
        await Bun.sleep(400);
      }
    };
    harness = startHarness({ ledger, engine: { requestDeadlineMs: 150, batchSizeMax: 4, authTasks: 1, ringCapacity: 64 } });
    const connection = await ready(harness);
    await sendRequests(harness.network, connection, Array.from({ length: 20 }, (_, i) => i + 1));
    await harness.network.until(() => connection.responses().length === 20, 5000, "20 answers");
    const codes = [...codesByStan(connection).values()].map((c) => c[0]);
    const approved = codes.filter((code) => code === "00").length;
    expect(approved).toBe(ledger.seen.length);
    expect(codes.filter((code) => code === "91").length).toBe(20 - approved);
    expect(approved).toBeLessThan(20);
    expect(harness.processor.metrics.deadlineExpired.get()).toBe(20 - approved);
  });

  test("a ledger failure answers the batch 91 and the processor carries on", async () => {
    const ledger = new ScriptedLedger();
    ledger.failNext = 1;
    harness = startHarness({ ledger });
    const connection = await ready(harness);
    await sendRequests(harness.network, connection, [1]);
    await harness.network.until(() => connection.responses().length === 1, 5000, "first answer");
    await sendRequests(harness.network, connection, [2]);
    await harness.network.until(() => connection.responses().length === 2, 5000, "second answer");
    expect(codesByStan(connection).get(1)).toEqual(["91"]);
    expect(codesByStan(connection).get(2)).toEqual(["00"]);
    expect(harness.processor.metrics.ledgerFailures.get()).toBe(1);
  });

  test("format errors: a failed validation or a truncated field answers 30; unreadable bytes are counted", async () => {
    harness = startHarness();
    const connection = await ready(harness);
    const noAcquirer = new MessageBuilder(profile)
      .reset(100)
      .set(2, "4111111111111111")
      .set(3, "000000")
      .set(4, "000000001000")
      .set(7, "1126101010")
      .set(11, "000501")
      .encode();
    const valid = authorizationRequest(profile, 502);
    const truncated = valid.subarray(0, valid.length - 2); // DE 49 cut short; DE 11 still readable
    const garbage = new TextEncoder().encode("NOT AN ISO MESSAGE");
    await harness.network.write(connection, concatBytes([noAcquirer, truncated, garbage].map((f) => harness!.network.framed(f))));
    await harness.network.until(() => connection.responses().length === 2, 5000, "two format errors");
    expect(codesByStan(connection).get(501)).toEqual(["30"]);
    expect(codesByStan(connection).get(502)).toEqual(["30"]);
    const metrics = harness.registry.render();
    expect(metrics).toContain('sekisho_format_errors_total{code="missing_field"} 1');
    expect(metrics).toContain('sekisho_decode_errors_total{code="truncated"} 1');
    expect(metrics).toContain('sekisho_decode_errors_total{code="mti_invalid"} 1');
    expect(connection.closed).toBe(false);
  });

  test("a frame longer than frameBytesMax closes the link and it re-dials", async () => {
    harness = startHarness({ link: { frameBytesMax: 1024 } });
    const connection = await ready(harness);
    await harness.network.write(connection, Uint8Array.of(0x04, 0x01, 0x30, 0x31)); // claims 1025 bytes
    await harness.network.until(() => connection.closed, 5000, "link closed");
    await harness.network.until(() => harness!.network.signedOnConnections().length === 1, 5000, "re-dialled");
    const next = harness.network.signedOnConnections()[0]!;
    expect(next).not.toBe(connection);
    await sendRequests(harness.network, next, [7]);
    await harness.network.until(() => next.responses().length === 1, 5000, "answer on the new link");
  });

  test("a network that stops reading forces partial writes; every response still arrives intact", async () => {
    harness = startHarness({
      engine: { ringCapacity: 8192, batchSizeMax: 256, authTasks: 2 },
      link: { writeBufferBytesMax: 64 * 1024 * 1024 },
    });
    const connection = await ready(harness);
    connection.socket.pause();
    const total = 60_000;
    const frames: Uint8Array[] = [];
    for (let stan = 1; stan <= total; stan++) frames.push(harness.network.framed(authorizationRequest(profile, stan % 999_999, { transmission: String(1126000000 + Math.floor(stan / 999_999)) })));
    // The link stops reading once its unsent responses pass high water, so the network's own writes stall
    // too: send in the background, and read again once the processor's writes went out in part.
    const sending = (async () => {
      for (let i = 0; i < frames.length; i += 2000) await harness!.network.write(connection, concatBytes(frames.slice(i, i + 2000)));
    })();
    const writer = harness.processor.links[0]!.session!.writer;
    await harness.network.until(() => writer.partialWrites > 0, 20_000, "a partial write");
    connection.socket.resume();
    await sending;
    await harness.network.until(() => connection.responses().length === total, 30_000, "every answer");
    expect(connection.responses().every((r) => r.mti === "0110" && r.fields.get(39) === "00")).toBe(true);
  }, 60_000);
});

describe("ordered shutdown (in process)", () => {
  test("drains what was read, flushes, signs off, then closes; nothing read is left unanswered", async () => {
    const ledger = new ScriptedLedger();
    const hold = gate();
    ledger.gate = hold.wait;
    harness = startHarness({ ledger, engine: { batchSizeMax: 8, authTasks: 2, ringCapacity: 256, drainDeadlineMs: 5000 } });
    const connection = await ready(harness);
    await sendRequests(harness.network, connection, Array.from({ length: 100 }, (_, i) => i + 1));
    await harness.network.until(() => harness!.processor.queued > 0, 5000, "requests queued");
    const shutdown = harness.processor.shutdown();
    await Bun.sleep(50);
    expect(harness.processor.ready).toBe(false);
    expect(connection.signedOff).toBe(false); // not before the drain
    hold.open();
    const report = await shutdown;
    expect(report.clean).toBe(true);
    expect(report.queuedLeft).toBe(0);
    expect(report.signedOff).toBe(1);
    await harness.network.until(() => connection.closed, 5000, "closed by the processor");
    const answers = codesByStan(connection);
    expect(answers.size).toBe(100);
    expect([...answers.values()].every((codes) => codes.length === 1 && codes[0] === "00")).toBe(true);
    // The sign-off came after the last answer on the wire.
    const lastAnswer = connection.received.findLastIndex((r) => r.mti === "0110");
    const signOff = connection.received.findIndex((r) => r.mti === "0800" && r.fields.get(70) === "002");
    expect(signOff).toBeGreaterThan(lastAnswer);
  });

  test("requests sent after our sign-off 0800 and before the network's 0810 are authorized by the ledger, not declined", async () => {
    const ledger = new ScriptedLedger();
    harness = startHarness({ ledger, engine: { signOffTimeoutMs: 4000, drainDeadlineMs: 8000 } });
    const { network, processor } = harness;
    network.answerSignOff = false; // the test answers the sign-off itself, after sending more requests
    const connection = await ready(harness);
    await sendRequests(network, connection, [1, 2, 3]);
    await network.until(() => connection.responses().length === 3, 5000, "three answers");
    const shutdown = processor.shutdown();
    await network.until(() => connection.signedOff, 5000, "the sign-off 0800");
    const late = Array.from({ length: 40 }, (_, i) => 101 + i);
    await sendRequests(network, connection, late);
    const signOff = connection.received.find((r) => r.mti === "0800" && r.fields.get(70) === "002")!;
    const view = new MessageView(profile).decode(signOff.frame);
    await network.write(connection, network.framed(beginResponse(new MessageBuilder(profile), view).set(39, "00").encode()));
    const report = await shutdown;
    expect(report.clean).toBe(true);
    expect(report.signedOff).toBe(1);
    await network.until(() => connection.closed, 5000, "closed by the processor");
    const answers = codesByStan(connection);
    for (const stan of late) expect(`${stan} ${answers.get(stan)}`).toBe(`${stan} 00`);
    expect(ledger.seen.length).toBe(3 + late.length);
    expect(processor.metrics.shed.get()).toBe(0);
    expect(connection.responses().length).toBe(3 + late.length); // nothing answered twice
  });

  test("a drain that cannot finish within the deadline reports what was left", async () => {
    const ledger = new ScriptedLedger();
    ledger.gate = () => new Promise(() => {}); // a ledger that never commits
    harness = startHarness({ ledger, engine: { batchSizeMax: 4, authTasks: 1, drainDeadlineMs: 300 } });
    const connection = await ready(harness);
    await sendRequests(harness.network, connection, Array.from({ length: 20 }, (_, i) => i + 1));
    await harness.network.until(() => harness!.processor.queued > 0, 5000, "requests queued");
    const report = await harness.processor.shutdown();
    expect(report.clean).toBe(false);
    expect(report.queuedLeft).toBeGreaterThan(0);
  });
});
