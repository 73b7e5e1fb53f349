import { describe, expect, test } from "bun:test";
import { MessageBuilder } from "../../src/iso8583/message-builder.ts";
import { MessageView } from "../../src/iso8583/message-view.ts";
import { loadProfile } from "../../src/iso8583/profiles/index.ts";
import { Framer } from "../../src/iso8583/framing.ts";
import { LinkWriter, type WritableSocket } from "../../src/link/writer.ts";

/** A socket that accepts at most `acceptMax` bytes per write, and records what it accepted. */
class StingySocket implements WritableSocket {
  readonly accepted: number[] = [];
  writes = 0;
  acceptMax = 10;
  closed = false;
  write(data: Uint8Array): number {
    this.writes++;
    if (this.closed) return -1;
    const n = Math.min(this.acceptMax, data.length);
    for (let i = 0; i < n; i++) this.accepted.push(data[i]!);
    return n;
  }
}

const profile = loadProfile("iso87-ascii");

function message(stan: number): MessageBuilder {
  return new MessageBuilder(profile).reset(110).set(11, String(stan).padStart(6, "0")).set(39, "00");
}

function framesOf(bytes: number[]): string[] {
  const stans: string[] = [];
  const view = new MessageView(profile);
  new Framer({ framing: "length2", frameBytesMax: 8192 }).push(Uint8Array.from(bytes), (frame) => {
    view.decode(frame);
    stans.push(view.string(11));
  });
  return stans;
}

describe("LinkWriter", () => {
  test("messages queued in one turn go out in one write; a partial write is resumed on drain", () => {
    const socket = new StingySocket();
    const writer = new LinkWriter(socket, { framing: "length2", frameBytesMax: 8192, bufferBytesMax: 1 << 20 });
    for (let stan = 1; stan <= 5; stan++) expect(writer.enqueue(message(stan))).toBe("queued");
    expect(socket.writes).toBe(0);
    writer.flush();
    expect(socket.writes).toBe(1);
    expect(writer.partialWrites).toBe(1);
    const pending = writer.pendingBytes;
    expect(pending).toBeGreaterThan(0);
    socket.acceptMax = 1 << 20;
    writer.flush(); // what drain does
    expect(writer.pendingBytes).toBe(0);
    expect(framesOf(socket.accepted)).toEqual(["000001", "000002", "000003", "000004", "000005"]);
  });

  test("drain with nothing pending writes nothing", () => {
    const socket = new StingySocket();
    const writer = new LinkWriter(socket, { framing: "length2", frameBytesMax: 8192, bufferBytesMax: 1 << 20 });
    writer.flush();
    writer.flush();
    expect(socket.writes).toBe(0);
  });

  test("bytes keep their order across compaction and growth while the socket accepts a trickle", () => {
    const socket = new StingySocket();
    socket.acceptMax = 37;
    const writer = new LinkWriter(socket, { framing: "length2", frameBytesMax: 8192, bufferBytesMax: 1 << 20 });
    const expected: string[] = [];
    for (let stan = 1; stan <= 3000; stan++) {
      expect(writer.enqueue(message(stan))).toBe("queued");
      expected.push(String(stan).padStart(6, "0"));
      if (stan % 7 === 0) writer.flush();
    }
    socket.acceptMax = 1 << 30;
    writer.flush();
    expect(framesOf(socket.accepted)).toEqual(expected);
  });

  test("the buffer is bounded: at writeBufferBytesMax the writer reports overflow instead of growing", () => {
    const socket = new StingySocket();
    socket.acceptMax = 0;
    const bufferBytesMax = 8192 + 2 + 100;
    const writer = new LinkWriter(socket, { framing: "length2", frameBytesMax: 8192, bufferBytesMax });
    let queued = 0;
    while (writer.enqueue(message(queued + 1)) === "queued") queued++;
    expect(queued).toBeGreaterThan(0);
    expect(writer.pendingBytes + 8192 + 2).toBeGreaterThan(bufferBytesMax);
    expect(writer.enqueue(message(1))).toBe("overflow");
  });

  test("a message larger than frameBytesMax is refused, not sent", () => {
    const writer = new LinkWriter(new StingySocket(), { framing: "length2", frameBytesMax: 100, bufferBytesMax: 1 << 16 });
    expect(writer.enqueue(new MessageBuilder(profile).reset(110).set(48, "x".repeat(200)))).toBe("too_large");
    expect(writer.pendingBytes).toBe(0);
  });

  test("a closed socket: pending bytes are dropped and counted, waiters released", async () => {
    const socket = new StingySocket();
    socket.acceptMax = 0;
    const writer = new LinkWriter(socket, { framing: "length2", frameBytesMax: 8192, bufferBytesMax: 1 << 16 });
    writer.enqueue(message(1));
    writer.flush();
    const flushed = writer.whenFlushed();
    const unsent = writer.close();
    expect(unsent.bytes).toBeGreaterThan(0);
    expect(unsent.frames.length).toBe(1);
    await flushed;
    expect(writer.enqueue(message(2))).toBe("closed");
    expect(writer.close().frames.length).toBe(0); // reported once
  });

  test("close() returns every frame not wholly accepted — the one cut in the middle too — and nothing sent", () => {
    const socket = new StingySocket();
    const writer = new LinkWriter(socket, { framing: "length2", frameBytesMax: 8192, bufferBytesMax: 1 << 16 });
    for (let stan = 1; stan <= 3; stan++) writer.enqueue(message(stan));
    const firstFrameBytes = writer.pendingBytes / 3;
    socket.acceptMax = firstFrameBytes + 5; // frame 1 whole, 5 bytes of frame 2
    writer.flush();
    expect(writer.pendingFrames).toBe(2);
    const unsent = writer.close();
    expect(unsent.bytes).toBe(2 * firstFrameBytes - 5);
    const view = new MessageView(profile);
    expect(unsent.frames.map((frame) => view.decode(frame).string(11))).toEqual(["000002", "000003"]);
  });

  test("frames are tracked exactly across partial writes, compaction and growth", () => {
    const socket = new StingySocket();
    socket.acceptMax = 53;
    const writer = new LinkWriter(socket, { framing: "length2-vap", frameBytesMax: 8192, bufferBytesMax: 1 << 20 });
    for (let stan = 1; stan <= 2000; stan++) {
      writer.enqueue(message(stan));
      if (stan % 5 === 0) writer.flush();
    }
    const sent = framesOfVap(socket.accepted);
    expect(writer.pendingFrames).toBe(2000 - sent.length);
    const view = new MessageView(profile);
    const unsent = writer.close().frames.map((frame) => view.decode(frame).string(11));
    expect([...sent, ...unsent]).toEqual(Array.from({ length: 2000 }, (_, i) => String(i + 1).padStart(6, "0")));
  });

  test("a write the socket refuses keeps the frames for close(); later enqueues say closed", async () => {
    const socket = new StingySocket();
    socket.closed = true;
    const writer = new LinkWriter(socket, { framing: "length2", frameBytesMax: 8192, bufferBytesMax: 1 << 16 });
    writer.enqueue(message(1));
    writer.enqueue(message(2));
    writer.flush();
    await writer.whenFlushed(); // does not wait for a socket that is gone
    expect(writer.enqueue(message(3))).toBe("closed");
    expect(writer.close().frames.length).toBe(2);
  });
});

/** STANs of the whole frames in a length2-vap byte stream. */
function framesOfVap(bytes: number[]): string[] {
  const stans: string[] = [];
  const view = new MessageView(profile);
  new Framer({ framing: "length2-vap", frameBytesMax: 8192 }).push(Uint8Array.from(bytes), (frame) => {
    view.decode(frame);
    stans.push(view.string(11));
  });
  return stans;
}
