import { afterEach, describe, expect, test } from "bun:test";
import { MessageBuilder } from "../../src/iso8583/message-builder.ts";
import { loadProfile } from "../../src/iso8583/profiles/index.ts";
import { backoffDelayMs } from "../../src/link/backoff.ts";
import { startHarness, type Harness } from "../support/processor-harness.ts";
import { authorizationRequest } from "../support/wire-requests.ts";

let harness: Harness | null = null;
afterEach(async () => {
  await harness?.stop();
  harness = null;
});

describe("links: sign-on, echo, re-dial", () => {
  test("a link counts as ready only after the 0810 to its sign-on says 00", async () => {
    harness = startHarness();
    const { network, processor } = harness;
    network.signOnCode = null; // the network does not answer yet
    await network.until(() => network.connections.length >= 1, 5000, "a connection");
    await Bun.sleep(100);
    expect(processor.ready).toBe(false);
    expect(processor.links[0]!.state).toBe("signing_on");
    network.signOnCode = "00";
    // The unanswered sign-on times out; the link re-dials and signs on this time.
    await network.until(() => processor.ready, 5000, "ready");
    expect(network.connections.length).toBeGreaterThanOrEqual(2);
    expect(network.connections[0]!.closed).toBe(true);
  });

  test("a refused sign-on (39 ≠ 00) closes the connection and re-dials", async () => {
    harness = startHarness();
    const { network, processor } = harness;
    network.signOnCode = "91";
    await network.until(() => network.connections.length >= 2, 5000, "a second connection");
    expect(processor.ready).toBe(false);
    network.signOnCode = "00";
    await network.until(() => processor.ready, 5000, "ready");
  });

  test("an idle link sends echo tests; an unanswered echo closes it and it re-dials", async () => {
    harness = startHarness({ link: { echoIdleMs: 150, echoTimeoutMs: 100 } });
    const { network, processor } = harness;
    await network.until(() => processor.ready, 5000, "ready");
    await network.until(() => network.connections[0]!.echoesReceived >= 2, 5000, "two echoes");
    expect(network.connections[0]!.closed).toBe(false);
    network.answerEcho = false;
    await network.until(() => network.connections[0]!.closed, 5000, "the silent link closed");
    network.answerEcho = true;
    await network.until(() => network.signedOnConnections().length === 1 && processor.ready, 5000, "re-signed on");
    expect(network.connections.length).toBeGreaterThanOrEqual(2);
  });

  test("when the network drops the link, it re-dials and signs on again", async () => {
    harness = startHarness();
    const { network, processor } = harness;
    await network.until(() => processor.ready, 5000, "ready");
    network.connections[0]!.socket.end();
    await network.until(() => network.signedOnConnections().length === 1 && network.connections.length === 2, 5000, "re-dial");
    await network.until(() => processor.ready, 5000, "ready again");
  });

  test("the network's own echo (0800/301) is answered with an 0810 that echoes it", async () => {
    harness = startHarness();
    const { network, processor } = harness;
    await network.until(() => processor.ready, 5000, "ready");
    const profile = loadProfile("iso87-ascii");
    const echo = new MessageBuilder(profile).reset(800).set(7, "1126101010").set(11, "424242").set(70, "301").encode();
    const connection = network.connections[0]!;
    await network.write(connection, network.framed(echo));
    await network.until(() => connection.received.some((r) => r.mti === "0810" && r.fields.get(11) === "424242"), 5000, "0810");
    const answer = connection.received.find((r) => r.mti === "0810" && r.fields.get(11) === "424242")!;
    expect(answer.fields.get(39)).toBe("00");
    expect(answer.fields.get(70)).toBe("301");
  });

  test("several links spread over the endpoints, each signed on", async () => {
    harness = startHarness({ links: 3 });
    const { network, processor } = harness;
    await network.until(() => processor.links.every((link) => link.state === "ready"), 5000, "three ready links");
    expect(network.signedOnConnections().length).toBe(3);
  });

  test("an unreachable endpoint is retried with backoff, without crashing", async () => {
    harness = startHarness();
    const { network, processor } = harness;
    const port = network.port;
    await network.until(() => processor.ready, 5000, "ready");
    network.close();
    await network.until(() => processor.links[0]!.failuresInRow >= 2, 5000, "failed re-dials");
    expect(processor.ready).toBe(false);
    network.listen(port);
    await network.until(() => processor.ready, 5000, "ready after the network returned");
  });
});

describe("backoff", () => {
  test("doubles from the minimum, stays within [min, max], jitter between half and the full step", () => {
    const options = { minMs: 100, maxMs: 10_000 };
    expect(backoffDelayMs(0, { ...options, random: () => 0 })).toBe(100);
    expect(backoffDelayMs(0, { ...options, random: () => 0.999 })).toBe(100);
    expect(backoffDelayMs(3, { ...options, random: () => 0 })).toBe(400);
    expect(backoffDelayMs(3, { ...options, random: () => 0.999 })).toBe(800);
    for (let attempt = 0; attempt < 50; attempt++) {
      for (const r of [0, 0.5, 0.999]) {
        const delay = backoffDelayMs(attempt, { ...options, random: () => r });
        expect(delay).toBeGreaterThanOrEqual(100);
        expect(delay).toBeLessThanOrEqual(10_000);
      }
    }
    expect(backoffDelayMs(1000, { ...options, random: () => 0 })).toBe(5_000);
    expect(backoffDelayMs(1000, { ...options, random: () => 0.999 })).toBe(9_995);
  });
});

describe("requests over a real socket", () => {
  test("many frames in one write and frames split byte by byte are all answered, in order, on the same link", async () => {
    harness = startHarness();
    const { network, processor } = harness;
    await network.until(() => processor.ready, 5000, "ready");
    const profile = loadProfile("iso87-ascii");
    const connection = network.connections[0]!;
    const frames = Array.from({ length: 200 }, (_, i) => network.framed(authorizationRequest(profile, i + 1)));
    const all = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
    frames.reduce((offset, f) => (all.set(f, offset), offset + f.length), 0);
    await network.write(connection, all.subarray(0, all.length - 500));
    const tail = all.subarray(all.length - 500);
    for (let i = 0; i < tail.length; i += 7) await network.write(connection, tail.subarray(i, i + 7));
    await network.until(() => connection.responses().length === 200, 10_000, "200 answers");
    const stans = connection.responses().map((r) => Number(r.fields.get(11)));
    expect(new Set(stans).size).toBe(200);
    for (const response of connection.responses()) {
      expect(response.mti).toBe("0110");
      expect(response.fields.get(39)).toBe("00");
      expect(response.fields.get(38)).toMatch(/^\d{6}$/);
      expect(response.fields.get(2)).toBe("4111111111111111");
    }
  });
});

describe("frame assembly bound (frameAssemblyTimeoutMs)", () => {
  const boundMs = 300;

  test("a truncated frame closes the link within the bound (framing lost), counted, and it re-dials", async () => {
    harness = startHarness({ link: { frameAssemblyTimeoutMs: boundMs } });
    const { network, processor } = harness;
    await network.until(() => processor.ready, 5000, "ready");
    const connection = network.connections[0]!;
    const request = network.framed(authorizationRequest(loadProfile("iso87-ascii"), 1));
    const startedMs = performance.now();
    await network.write(connection, request.subarray(0, request.length - 10)); // the last 10 bytes never come
    await network.until(() => connection.closed, 5000, "the link closed");
    // Echo tests would take echoIdleMs (60 s here): the bound closed it, not the idle timer.
    expect(performance.now() - startedMs).toBeLessThan(5000);
    expect(harness.registry.render()).toContain('sekisho_framing_lost_total{code="frame_assembly_timeout"} 1');
    expect(harness.logLines.some((line) => line.includes('"event":"link.framing_lost"') && line.includes("frame_assembly_timeout"))).toBe(true);
    await network.until(() => network.signedOnConnections().length === 1 && processor.ready, 5000, "re-dialled");
  });

  test("a peer trickling one byte at a time cannot hold the link past the bound", async () => {
    harness = startHarness({ link: { frameAssemblyTimeoutMs: boundMs } });
    const { network, processor } = harness;
    await network.until(() => processor.ready, 5000, "ready");
    const connection = network.connections[0]!;
    const request = network.framed(authorizationRequest(loadProfile("iso87-ascii"), 2));
    let sentBytes = 0;
    while (!connection.closed && sentBytes < request.length) {
      connection.socket.write(request.subarray(sentBytes, sentBytes + 1));
      sentBytes++;
      await network.until(() => connection.closed, 100, "closed").catch(() => {}); // one byte per 100 ms
    }
    expect(connection.closed).toBe(true);
    expect(sentBytes).toBeLessThan(request.length); // closed before the frame could complete
    expect(processor.links[0]!.session === null || processor.links[0]!.session!.sessionId > 1).toBe(true);
    expect(harness.registry.render()).toContain('sekisho_framing_lost_total{code="frame_assembly_timeout"} 1');
  });
});
