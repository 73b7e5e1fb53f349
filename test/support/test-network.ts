import type { Socket, TCPSocketListener } from "bun";
import { originatingBase1Header, type Base1Header } from "../../src/iso8583/base1-header.ts";
import { CodecError } from "../../src/iso8583/errors.ts";
import { MessageBuilder } from "../../src/iso8583/message-builder.ts";
import { MessageView } from "../../src/iso8583/message-view.ts";
import { beginResponse } from "../../src/iso8583/response.ts";
import type { CompiledProfile } from "../../src/iso8583/spec.ts";
import { frameBytes, Framer } from "../../src/iso8583/framing.ts";

/**
 * A scriptable stand-in for the card network, for the link and engine tests: it accepts the processor's
 * connections, answers its 0800s as told, sends whatever a test asks (whole frames, split frames, raw
 * garbage) and records every frame it receives, per connection.
 */
export interface ReceivedFrame {
  frame: Uint8Array;
  mti: string;
  fields: Map<number, string>;
}

export class NetworkConnection {
  readonly received: ReceivedFrame[] = [];
  readonly framer: Framer;
  closed = false;
  signedOn = false;
  signedOff = false;
  echoesReceived = 0;

  constructor(
    readonly id: number,
    readonly socket: Socket<{ connection: NetworkConnection | null }>,
    profile: CompiledProfile,
  ) {
    this.framer = new Framer({ framing: profile.framing, frameBytesMax: 65535 });
  }

  /** Received frames that are not network management. */
  responses(): ReceivedFrame[] {
    return this.received.filter((r) => !r.mti.startsWith("08"));
  }
}

export interface TestNetworkOptions {
  profile: CompiledProfile;
  /** DE 39 we answer a sign-on with; null = never answer. */
  signOnCode?: string | null;
  answerEcho?: boolean;
  answerSignOff?: boolean;
}

export const TEST_HEADER: Base1Header = originatingBase1Header({ destination: "000001", source: "000002" });

export class TestNetwork {
  readonly connections: NetworkConnection[] = [];
  private listener: TCPSocketListener<{ connection: NetworkConnection | null }> | null = null;
  private readonly builder: MessageBuilder;
  private readonly view: MessageView;
  private waiters: Array<() => void> = [];
  signOnCode: string | null;
  answerEcho: boolean;
  answerSignOff: boolean;

  constructor(readonly options: TestNetworkOptions) {
    this.builder = new MessageBuilder(options.profile);
    this.view = new MessageView(options.profile);
    this.signOnCode = options.signOnCode === undefined ? "00" : options.signOnCode;
    this.answerEcho = options.answerEcho ?? true;
    this.answerSignOff = options.answerSignOff ?? true;
  }

  get port(): number {
    if (this.listener === null) throw new Error("not listening");
    return this.listener.port;
  }

  listen(port = 0): this {
    this.listener = Bun.listen<{ connection: NetworkConnection | null }>({
      hostname: "127.0.0.1",
      port,
      data: { connection: null },
      socket: {
        binaryType: "uint8array",
        open: (socket) => {
          const connection = new NetworkConnection(this.connections.length, socket, this.options.profile);
          socket.data = { connection };
          this.connections.push(connection);
          this.notify();
        },
        data: (socket, chunk) => this.onData(socket.data.connection!, chunk),
        close: (socket) => {
          if (socket.data.connection) socket.data.connection.closed = true;
          this.notify();
        },
        error: () => {},
      },
    });
    return this;
  }

  private onData(connection: NetworkConnection, chunk: Uint8Array): void {
    connection.framer.push(chunk, (frame) => {
      const copy = frame.slice();
      const view = this.decodeOrLocate(copy);
      const fields = new Map<number, string>();
      for (let i = 0; i < view.presentCount; i++) fields.set(view.presentFields[i]!, view.string(view.presentFields[i]!));
      connection.received.push({ frame: copy, mti: view.mtiString(), fields });
      if (view.mti === 800) this.onNetworkManagement(connection, view, fields.get(70) ?? "");
    });
    this.notify();
  }

  /**
   * A frame the processor sent that does not decode (a 30 echoing a broken DE 32 as received) is recorded
   * with the fields that do: `fields` holds those, and `frame` has the rest as it came.
   */
  private decodeOrLocate(frame: Uint8Array): MessageView {
    try {
      return this.view.decode(frame);
    } catch (error) {
      if (!(error instanceof CodecError)) throw error;
      return this.view.locate(frame);
    }
  }

  private onNetworkManagement(connection: NetworkConnection, view: MessageView, code: string): void {
    let answer: string | null = null;
    if (code === "001") {
      answer = this.signOnCode;
      if (answer === "00") connection.signedOn = true;
    } else if (code === "301") {
      connection.echoesReceived++;
      answer = this.answerEcho ? "00" : null;
    } else if (code === "002") {
      connection.signedOff = true;
      answer = this.answerSignOff ? "00" : null;
    }
    if (answer === null) return;
    beginResponse(this.builder, view).set(39, answer);
    connection.socket.write(frameBytes(this.options.profile.framing, this.builder.encode()));
  }

  /** A frame (without prefix) wrapped in its length prefix. */
  framed(body: Uint8Array): Uint8Array {
    return frameBytes(this.options.profile.framing, body);
  }

  /** Writes raw bytes, all of them (retrying on a short write). */
  async write(connection: NetworkConnection, bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) {
      const written = connection.socket.write(bytes.subarray(offset));
      if (written < 0) throw new Error("connection closed");
      offset += written;
      if (offset < bytes.length) await Bun.sleep(1);
    }
  }

  /** Resolves when `predicate` holds, re-checked on every event; rejects after `timeoutMs`. */
  async until(predicate: () => boolean, timeoutMs = 10_000, what = "condition"): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!predicate()) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  signedOnConnections(): NetworkConnection[] {
    return this.connections.filter((c) => c.signedOn && !c.closed);
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  close(): void {
    for (const connection of this.connections) if (!connection.closed) connection.socket.end();
    this.listener?.stop(true);
    this.listener = null;
  }
}
