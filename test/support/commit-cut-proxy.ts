import type { Socket, TCPSocketListener } from "bun";

/**
 * A TCP proxy in front of the test PostgreSQL server that cuts one ledger transaction at a chosen point of
 * its two round trips (BEGIN and its reads, then its writes and COMMIT). It follows the protocol's frames
 * in both directions: the client's COMMIT (a Parse or simple Query of it, or a Bind of the statement
 * prepared for it) and the server's CommandComplete tags.
 *
 * - "beforeCommit": the answers to BEGIN's round trip are dropped, every connection is cut and new ones
 *   are refused until `up()` — the client never sends COMMIT, and its retries fail.
 * - "commitLost": the writes and COMMIT reach the server and commit; the answer is dropped and the
 *   connection cut — the client cannot know that it committed.
 * - "commitSwallowed": the client's COMMIT, and all it sends after, is dropped and the client side cut,
 *   while the server side stays open — the server's backend, its writes done, waits in the transaction, as
 *   behind a network that lost the packets.
 *
 * A plan applies once, to the first connection that reaches its point. `arm(plan, { stallAfter: true })`
 * also stalls the proxy once the cut is made: every connection, old or new, forwards nothing from then on
 * (the database out of reach for whoever asks next). Plain-text protocol only (no TLS).
 */
export type CutPlan = "beforeCommit" | "commitLost" | "commitSwallowed";

interface Side {
  socket: Socket<Pipe> | null;
  pending: Uint8Array[];
}

interface Pipe {
  client: Side;
  upstream: Side;
  closed: boolean;
  fromClient: Frames;
  fromServer: Frames;
  /** Names of the statements the client prepared for COMMIT on this connection. */
  commitStatements: Set<string>;
  /** What the client sends is dropped (commitSwallowed), and the server side kept open when it goes. */
  swallowing: boolean;
}

interface Message {
  readonly type: number;
  readonly body: Uint8Array;
  readonly raw: Uint8Array;
}

/** Splits a byte stream into protocol messages: type byte and int32 length (the first, startup, untyped). */
class Frames {
  private buffer = new Uint8Array(0);
  constructor(private untyped: number) {}

  /** Adds a chunk; returns the messages it completed: type byte (0 when untyped), body and raw bytes. */
  push(chunk: Uint8Array): Message[] {
    const joined = new Uint8Array(this.buffer.length + chunk.length);
    joined.set(this.buffer);
    joined.set(chunk, this.buffer.length);
    const messages: Message[] = [];
    let at = 0;
    for (;;) {
      const typed = this.untyped === 0 ? 1 : 0;
      if (joined.length - at < typed + 4) break;
      const length = new DataView(joined.buffer, joined.byteOffset + at + typed, 4).getInt32(0);
      if (joined.length - at < typed + length) break;
      const body = joined.subarray(at + typed + 4, at + typed + length);
      messages.push({ type: typed === 1 ? joined[at]! : 0, body, raw: joined.subarray(at, at + typed + length) });
      // An SSLRequest (code 80877103) is followed by the startup message, untyped too.
      if (this.untyped > 0) this.untyped = body.length >= 4 && new DataView(body.buffer, body.byteOffset, 4).getInt32(0) === 80877103 ? 1 : 0;
      at += typed + length;
    }
    this.buffer = joined.slice(at);
    return messages;
  }
}

const PARSE = 0x50; // P: statement name, query
const BIND = 0x42; // B: portal name, statement name
const QUERY = 0x51; // Q: query
const COMMAND_COMPLETE = 0x43; // C: tag
const decoder = new TextDecoder();

/** The NUL-terminated strings at the start of a message body. */
function stringsOf(body: Uint8Array, count: number): string[] {
  const strings: string[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const end = body.indexOf(0, at);
    if (end < 0) break;
    strings.push(decoder.decode(body.subarray(at, end)));
    at = end + 1;
  }
  return strings;
}

/** The message sends COMMIT, and notes statements prepared for it. */
function isCommit(pipe: Pipe, message: Message): boolean {
  if (message.type === QUERY) return /^\s*COMMIT\s*;?\s*$/i.test(stringsOf(message.body, 1)[0] ?? "");
  if (message.type === PARSE) {
    const [name, query] = stringsOf(message.body, 2);
    const commit = /^\s*COMMIT\s*;?\s*$/i.test(query ?? "");
    if (commit && name !== undefined) pipe.commitStatements.add(name);
    return commit;
  }
  if (message.type === BIND) return pipe.commitStatements.has(stringsOf(message.body, 2)[1] ?? "\u0000");
  return false;
}

export class CommitCutProxy {
  private listener: TCPSocketListener<Pipe> | null = null;
  private readonly pipes = new Set<Pipe>();
  private plan: CutPlan | null = null;
  private refusing = false;
  private stalled = false;
  private stallAfter = false;
  /** Plans carried out so far. */
  cuts = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  get port(): number {
    if (this.listener === null) throw new Error("proxy not listening");
    return this.listener.port;
  }

  start(): this {
    this.listener = Bun.listen<Pipe>({
      hostname: "127.0.0.1",
      port: 0,
      data: undefined as unknown as Pipe,
      socket: {
        binaryType: "uint8array",
        open: (client) => this.accept(client),
        data: (client, chunk) => this.fromClient(client.data, chunk),
        drain: (client) => flush(client.data.client),
        close: (client) => this.clientClosed(client.data),
        error: () => {},
      },
    });
    return this;
  }

  /** Cuts the next transaction that reaches the plan's point. */
  arm(plan: CutPlan, options: { stallAfter?: boolean } = {}): void {
    this.plan = plan;
    this.stallAfter = options.stallAfter ?? false;
  }

  down(): void {
    this.refusing = true;
  }

  up(): void {
    this.refusing = false;
  }

  stop(): void {
    for (const pipe of [...this.pipes]) this.close(pipe);
    this.listener?.stop(true);
    this.listener = null;
  }

  private accept(client: Socket<Pipe>): void {
    const pipe: Pipe = {
      client: { socket: client, pending: [] },
      upstream: { socket: null, pending: [] },
      closed: false,
      fromClient: new Frames(1),
      fromServer: new Frames(0),
      commitStatements: new Set(),
      swallowing: false,
    };
    client.data = pipe;
    if (this.refusing || this.stalled) {
      pipe.closed = true;
      client.end();
      return;
    }
    this.pipes.add(pipe);
    Bun.connect<Pipe>({
      hostname: this.target.host,
      port: this.target.port,
      data: pipe,
      socket: {
        binaryType: "uint8array",
        open: (upstream) => {
          if (pipe.closed) return void upstream.end();
          pipe.upstream.socket = upstream;
          flush(pipe.upstream);
        },
        data: (upstream, chunk) => this.fromServer(upstream.data, chunk),
        drain: (upstream) => flush(upstream.data.upstream),
        close: (upstream) => this.close(upstream.data),
        error: () => {},
      },
    }).catch(() => this.close(pipe));
  }

  private fromClient(pipe: Pipe, chunk: Uint8Array): void {
    if (pipe.closed || this.stalled) return;
    for (const message of pipe.fromClient.push(chunk)) {
      if (!pipe.swallowing && isCommit(pipe, message) && this.plan === "commitSwallowed") {
        this.carriedOut(this.plan);
        pipe.swallowing = true;
        if (this.stallAfter) this.stalled = true;
        // Once what came before has gone out; the server side stays open (clientClosed).
        setImmediate(() => pipe.client.socket?.end());
      }
      if (!pipe.swallowing) send(pipe.upstream, message.raw.slice());
    }
  }

  private fromServer(pipe: Pipe, chunk: Uint8Array): void {
    if (pipe.closed || this.stalled) return;
    const plan = this.plan;
    for (const message of pipe.fromServer.push(chunk)) {
      if (message.type !== COMMAND_COMPLETE) continue;
      const tag = stringsOf(message.body, 1)[0];
      if (plan === "commitLost" && tag === "COMMIT") {
        this.carriedOut(plan);
        return this.close(pipe);
      }
      if (plan === "beforeCommit" && tag === "BEGIN") {
        this.carriedOut(plan);
        this.refusing = true;
        for (const open of [...this.pipes]) this.close(open);
        return;
      }
    }
    send(pipe.client, chunk);
  }

  /** The plan is done; a swallowing pipe stalls the proxy only once it has dropped the client's COMMIT. */
  private carriedOut(plan: CutPlan): void {
    this.plan = null;
    this.cuts += 1;
    if (this.stallAfter && plan !== "commitSwallowed") this.stalled = true;
  }

  /** The client went away: a swallowing pipe keeps the server side open (the backend stays in its transaction). */
  private clientClosed(pipe: Pipe): void {
    if (pipe.swallowing) return;
    this.close(pipe);
  }

  private close(pipe: Pipe): void {
    if (pipe.closed) return;
    pipe.closed = true;
    this.pipes.delete(pipe);
    pipe.client.socket?.end();
    pipe.upstream.socket?.end();
  }
}

function send(to: Side, chunk: Uint8Array): void {
  to.pending.push(chunk);
  flush(to);
}

/** Writes what is pending on one side, keeping what the socket did not take for its next drain. */
function flush(side: Side): void {
  const socket = side.socket;
  if (socket === null) return;
  while (side.pending.length > 0) {
    const chunk = side.pending[0]!;
    const written = socket.write(chunk);
    if (written < 0) return;
    if (written < chunk.length) {
      side.pending[0] = chunk.subarray(written);
      return;
    }
    side.pending.shift();
  }
}
