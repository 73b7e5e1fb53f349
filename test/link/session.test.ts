import { describe, expect, test } from "bun:test";
import type { Socket } from "bun";
import { ConfigError, resolveConfig } from "../../src/config.ts";
import { MessageBuilder } from "../../src/iso8583/message-builder.ts";
import { loadProfile } from "../../src/iso8583/profiles/index.ts";
import type { FramingError } from "../../src/iso8583/framing.ts";
import type { LinkSettings } from "../../src/link/link-settings.ts";
import { LinkSession } from "../../src/link/session.ts";
import { testLinkSettings } from "../support/settings.ts";

const profile = loadProfile("iso87-ascii");

/** A socket double: accepts at most `acceptMax` bytes per write and counts pause/resume calls. */
class FakeSocket {
  acceptMax = 0;
  pauses = 0;
  resumes = 0;
  reading = true;
  ended = false;
  write(data: Uint8Array): number {
    if (this.ended) return -1;
    return Math.min(this.acceptMax, data.length);
  }
  pause(): void {
    this.pauses++;
    this.reading = false;
  }
  resume(): void {
    this.resumes++;
    this.reading = true;
  }
  shutdown(): void {}
  end(): void {
    this.ended = true;
  }
}

function message(stan: number): MessageBuilder {
  return new MessageBuilder(profile).reset(110).set(11, String(stan).padStart(6, "0")).set(39, "00");
}
const FRAME_BYTES = message(1).encode().length + 2;

function open(overrides: Partial<LinkSettings> = {}) {
  const socket = new FakeSocket();
  const events = { framingErrors: [] as FramingError[], backpressure: [] as boolean[] };
  const session = new LinkSession(
    socket as unknown as Socket<unknown>,
    {
      linkId: 1,
      sessionId: 1,
      profile,
      settings: testLinkSettings({
        frameBytesMax: 1024,
        writeBufferBytesMax: 64 * 1024,
        pendingBytesHighWater: 3 * FRAME_BYTES,
        pendingBytesLowWater: FRAME_BYTES,
        frameAssemblyTimeoutMs: 60,
        ...overrides,
      }),
      clock: Date.now,
    },
    { onFrame: () => {} },
    {
      onFramingError: (_s, error) => events.framingErrors.push(error),
      onWriteBackpressure: (_s, paused) => events.backpressure.push(paused),
      onClosed: () => {},
    },
  );
  return { socket, session, events };
}

describe("link backpressure: a link stops reading while its unsent responses are above high water", () => {
  test("pauses at the high-water mark exactly, not a byte before; resumes at the low-water mark, not a byte above", () => {
    const { socket, session, events } = open();
    session.writer.enqueue(message(1));
    session.writer.enqueue(message(2));
    session.flush();
    expect(session.writer.pendingBytes).toBe(2 * FRAME_BYTES); // below high water
    expect(session.isPaused).toBe(false);
    session.writer.enqueue(message(3));
    session.flush();
    expect(session.writer.pendingBytes).toBe(3 * FRAME_BYTES); // at high water
    expect(session.isPausedFor("writer")).toBe(true);
    expect(socket.pauses).toBe(1);
    socket.acceptMax = 2 * FRAME_BYTES - 1;
    session.flush();
    expect(session.writer.pendingBytes).toBe(FRAME_BYTES + 1); // one byte above low water
    expect(session.isPaused).toBe(true);
    socket.acceptMax = 1;
    session.flush();
    expect(session.writer.pendingBytes).toBe(FRAME_BYTES); // at low water
    expect(session.isPaused).toBe(false);
    expect(socket.resumes).toBe(1);
    expect(events.backpressure).toEqual([true, false]);
  });

  test("pause reasons combine: the socket reads again only when ring, shutdown and writer have all cleared", () => {
    const { socket, session } = open();
    session.pauseReading("ring");
    session.pauseReading("shutdown");
    for (let stan = 1; stan <= 3; stan++) session.writer.enqueue(message(stan));
    session.flush();
    expect(socket.pauses).toBe(1);
    session.resumeReading("ring");
    session.resumeReading("shutdown");
    expect(socket.reading).toBe(false); // the writer's reason still holds
    socket.acceptMax = 1 << 20;
    session.flush();
    expect(socket.reading).toBe(true);
    expect(socket.resumes).toBe(1);
    session.resumeReading("ring"); // a reason that is not held changes nothing
    expect(socket.resumes).toBe(1);
  });

  test("the water marks are checked: low below high, high leaving room for a frame in the write buffer", () => {
    expect(() => open({ pendingBytesLowWater: 3 * FRAME_BYTES })).toThrow(RangeError);
    expect(() => open({ pendingBytesHighWater: 64 * 1024 - 1024 - 2 })).not.toThrow(); // length2: 2-byte prefix
    expect(() => open({ pendingBytesHighWater: 64 * 1024 - 1024 - 1 })).toThrow(RangeError);
  });
});

describe("frame assembly bound: a frame must arrive whole within frameAssemblyTimeoutMs of its first byte", () => {
  const frame = new Uint8Array([0x00, 0x10, ...new TextEncoder().encode("0800")]); // claims 16 bytes, 4 arrive

  test("a truncated frame is a framing error (frame_assembly_timeout) once the bound has passed", async () => {
    const { session, events } = open();
    const startedMs = Date.now();
    session.onData(frame);
    while (events.framingErrors.length === 0 && Date.now() - startedMs < 5000) await Bun.sleep(10);
    expect(events.framingErrors.map((e) => e.code)).toEqual(["frame_assembly_timeout"]);
    expect(Date.now() - startedMs).toBeGreaterThanOrEqual(60);
    session.onSocketClosed();
  });

  test("a byte trickle does not restart the clock: the frame's first byte does", async () => {
    const { session, events } = open();
    const startedMs = Date.now();
    session.onData(frame.subarray(0, 1));
    for (let i = 1; i < frame.length && events.framingErrors.length === 0; i++) {
      await Bun.sleep(25);
      session.onData(frame.subarray(i, i + 1));
    }
    while (events.framingErrors.length === 0 && Date.now() - startedMs < 5000) await Bun.sleep(10);
    expect(events.framingErrors.map((e) => e.code)).toEqual(["frame_assembly_timeout"]);
    session.onSocketClosed();
  });

  test("time while we are not reading does not count; frames that complete leave nothing to time", async () => {
    const { session, events } = open();
    session.pauseReading("ring");
    session.onData(frame); // arrived just before the pause took effect
    await Bun.sleep(200);
    expect(events.framingErrors).toEqual([]);
    session.resumeReading("ring");
    while (events.framingErrors.length === 0) await Bun.sleep(10);
    expect(events.framingErrors[0]!.code).toBe("frame_assembly_timeout");
    session.onSocketClosed();

    const whole = open();
    const body = message(7).encode();
    const framed = new Uint8Array([body.length >> 8, body.length & 0xff, ...body]);
    whole.session.onData(framed.subarray(0, 5));
    whole.session.onData(framed.subarray(5));
    await Bun.sleep(200);
    expect(whole.events.framingErrors).toEqual([]);
    whole.session.onSocketClosed();
  });
});

describe("configuration bounds of link backpressure and frame assembly", () => {
  const secrets = { apiToken: "t".repeat(16), panKey: "0".repeat(64) };
  const resolve = (flags: Record<string, unknown>) => resolveConfig({ env: secrets, flags });

  test("linkPendingBytesHighWater may be half of writeBufferBytesMax, not a byte more; low water stays below it", () => {
    expect(resolve({ writeBufferBytesMax: 65536, linkPendingBytesHighWater: 32768, linkPendingBytesLowWater: 0 }).linkPendingBytesHighWater).toBe(32768);
    expect(() => resolve({ writeBufferBytesMax: 65536, linkPendingBytesHighWater: 32769, linkPendingBytesLowWater: 0 })).toThrow(ConfigError);
    expect(() => resolve({ linkPendingBytesHighWater: 8192, linkPendingBytesLowWater: 8192 })).toThrow(ConfigError);
    expect(resolve({ linkPendingBytesHighWater: 8192, linkPendingBytesLowWater: 8191 }).linkPendingBytesLowWater).toBe(8191);
    const defaults = resolve({});
    expect(defaults.linkPendingBytesHighWater).toBeLessThanOrEqual(defaults.writeBufferBytesMax / 2);
  });

  test("frameAssemblyTimeoutMs: 10 to 120000 ms, a few seconds by default", () => {
    expect(resolve({}).frameAssemblyTimeoutMs).toBe(5000);
    expect(resolve({ frameAssemblyTimeoutMs: 10 }).frameAssemblyTimeoutMs).toBe(10);
    expect(() => resolve({ frameAssemblyTimeoutMs: 9 })).toThrow(ConfigError);
    expect(resolve({ frameAssemblyTimeoutMs: 120_000 }).frameAssemblyTimeoutMs).toBe(120_000);
    expect(() => resolve({ frameAssemblyTimeoutMs: 120_001 })).toThrow(ConfigError);
  });
});
