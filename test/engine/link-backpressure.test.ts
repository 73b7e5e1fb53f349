import { afterEach, describe, expect, test } from "bun:test";
import { loadProfile } from "../../src/iso8583/profiles/index.ts";
import type { LinkSession } from "../../src/link/session.ts";
import { startHarness, type Harness } from "../support/processor-harness.ts";
import { ScriptedLedger } from "../support/scripted-ledger.ts";
import type { NetworkConnection, TestNetwork } from "../support/test-network.ts";
import { authorizationRequest, concatBytes } from "../support/wire-requests.ts";

/**
 * A network that stops reading one link while it keeps sending: that link alone stops reading once its
 * unsent responses reach the high-water mark; nothing is lost below the bounds; and when the write buffer
 * does overflow, sekisho_undelivered_total counts exactly the responses the network never received.
 */
const profile = loadProfile("iso87-ascii");
let harness: Harness | null = null;
afterEach(async () => {
  await harness?.stop();
  harness = null;
});

function requests(network: TestNetwork, firstStan: number, count: number): Uint8Array {
  const frames: Uint8Array[] = [];
  for (let stan = firstStan; stan < firstStan + count; stan++) frames.push(network.framed(authorizationRequest(profile, stan)));
  return concatBytes(frames);
}

/** The processor's session on the far end of `connection`: the one that read a request sent on it. */
async function sessionOf(h: Harness, connection: NetworkConnection, stan: number): Promise<LinkSession> {
  const before = h.processor.links.map((link) => link.session?.framesIn ?? 0);
  await h.network.write(connection, requests(h.network, stan, 1));
  await h.network.until(() => connection.responses().length === 1, 5000, "the first answer");
  const index = h.processor.links.findIndex((link, i) => (link.session?.framesIn ?? 0) > before[i]!);
  return h.processor.links[index]!.session!;
}

function stansAnswered(connection: NetworkConnection): Map<number, string[]> {
  const map = new Map<number, string[]>();
  for (const response of connection.responses()) {
    const stan = Number(response.fields.get(11));
    map.set(stan, [...(map.get(stan) ?? []), response.fields.get(39)!]);
  }
  return map;
}

describe("link backpressure", () => {
  test("a network that stops reading one link: that link stops reading, the other keeps flowing, nothing is lost", async () => {
    harness = startHarness({
      links: 2,
      link: { writeBufferBytesMax: 1024 * 1024, pendingBytesHighWater: 64 * 1024, pendingBytesLowWater: 16 * 1024 },
      engine: { ringCapacity: 4096, batchSizeMax: 256 },
    });
    const { network, processor } = harness;
    await network.until(() => network.signedOnConnections().length === 2 && processor.ready, 5000, "two links");
    const [stuck, flowing] = network.signedOnConnections() as [NetworkConnection, NetworkConnection];
    const session = await sessionOf(harness, stuck, 1);
    const readBefore = session.framesIn;
    stuck.socket.pause(); // the network stops reading this link, and goes on sending
    let sent = 1;
    while (!session.isPausedFor("writer")) {
      expect(sent).toBeLessThan(200_000); // the kernel's buffers fill long before
      await network.write(stuck, requests(network, sent + 1, 2000));
      sent += 2000;
      await network.until(
        () => session.framesIn - readBefore === sent - 1 || session.isPausedFor("writer"),
        20_000,
        "requests read, or the link paused",
      );
    }
    // Paused for its own responses only; the ring is not the cause, and the other link is still read.
    expect(processor.metrics.readsPaused.get()).toBe(0);
    expect(harness.registry.render()).toContain("sekisho_links_write_paused 1");
    await network.write(flowing, requests(network, 500_001, 500));
    await network.until(() => flowing.responses().length === 500, 10_000, "the other link's answers");
    expect(session.isPausedFor("writer")).toBe(true);
    expect(session.writer.pendingBytes).toBeLessThanOrEqual(1024 * 1024);
    expect(processor.metrics.undelivered.get()).toBe(0);
    expect(stuck.closed).toBe(false);
    // The network reads again: every request it sent is answered, once, and the link reads again.
    stuck.socket.resume();
    await network.until(() => stuck.responses().length === sent, 30_000, "every answer on the stuck link");
    const answers = stansAnswered(stuck);
    expect(answers.size).toBe(sent);
    expect([...answers.values()].every((codes) => codes.length === 1 && codes[0] === "00")).toBe(true);
    await network.until(() => !session.isPaused, 5000, "reading again");
    expect(processor.metrics.undelivered.get()).toBe(0);
  }, 90_000);

  test("when the write buffer overflows, sekisho_undelivered_total equals the responses the network never received", async () => {
    const ledger = new ScriptedLedger();
    harness = startHarness({
      ledger,
      link: { writeBufferBytesMax: 512 * 1024, pendingBytesHighWater: 256 * 1024, pendingBytesLowWater: 64 * 1024 },
      engine: { ringCapacity: 8192, ringHighWaterPercent: 100, batchSizeMax: 256, requestDeadlineMs: 60_000 },
    });
    const { network, processor } = harness;
    await network.until(() => processor.ready, 5000, "ready");
    const connection = network.signedOnConnections()[0]!;
    const session = await sessionOf(harness, connection, 1);
    const readBefore = session.framesIn;
    connection.socket.pause();
    // 1. Fill the kernel's buffers until the writer holds bytes (below its high-water mark).
    let sent = 1;
    while (session.writer.partialWrites === 0) {
      expect(sent).toBeLessThan(200_000);
      await network.write(connection, requests(network, sent + 1, 1000));
      sent += 1000;
      await network.until(() => ledger.seen.length === sent, 20_000, "requests answered");
    }
    expect(session.isPaused).toBe(false);
    // 2. More requests are read while the ledger holds them; their answers cannot all fit.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    ledger.gate = () => held;
    const burst = 7000;
    await network.write(connection, requests(network, sent + 1, burst));
    sent += burst;
    await network.until(() => session.framesIn - readBefore === sent - 1, 20_000, "the burst read");
    release();
    await network.until(() => session.closed, 20_000, "the link closed on overflow");
    // 3. The network reads everything that reached it, up to the close.
    connection.socket.resume();
    await network.until(() => connection.closed, 20_000, "the network sees the close");
    const answers = stansAnswered(connection);
    expect([...answers.values()].every((codes) => codes.length === 1 && codes[0] === "00")).toBe(true);
    const lost = sent - answers.size;
    expect(lost).toBeGreaterThan(0);
    expect(processor.metrics.undelivered.get()).toBe(lost);
    const logged = harness.logLines.filter((line) => line.includes('"event":"engine.response_undelivered"'));
    expect(logged.length).toBe(lost);
    for (const line of logged) expect(line).toMatch(/"transaction":"01:123456:\d{6}:1126101010"/); // named by its transaction key
    const results = new Set(logged.map((line) => JSON.parse(line).result));
    expect(results.has("unsent_at_close")).toBe(true); // dropped with the write buffer, each one counted
    expect(harness.logLines.some((line) => line.includes('"event":"link.write_backpressure"'))).toBe(true);
  }, 90_000);
});
