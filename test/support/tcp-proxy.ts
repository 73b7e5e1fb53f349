import type { Socket, TCPSocketListener } from "bun";

/**
 * A TCP proxy in front of the test PostgreSQL server, so that a test can take "the database" away from
 * one ledger without touching the server other tests use: `down()` cuts every connection and closes each
 * new one at once (as a stopped server would), `stall()` keeps connections open but forwards nothing (a
 * network that swallows packets), `up()` forwards again.
 */
type Mode = "up" | "down" | "stalled";

interface Side {
  socket: Socket<Pipe> | null;
  pending: Uint8Array[];
}

interface Pipe {
  client: Side;
  upstream: Side;
  closed: boolean;
}

export class TcpProxy {
  private listener: TCPSocketListener<Pipe> | null = null;
  private readonly pipes = new Set<Pipe>();
  private mode: Mode = "up";

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
        data: (client, chunk) => this.forward(client.data, client.data.upstream, chunk),
        drain: (client) => {
          if (this.mode === "up") flush(client.data.client);
        },
        close: (client) => this.close(client.data),
        error: () => {},
      },
    });
    return this;
  }

  up(): void {
    this.mode = "up";
    for (const pipe of this.pipes) {
      flush(pipe.upstream);
      flush(pipe.client);
    }
  }

  down(): void {
    this.mode = "down";
    for (const pipe of [...this.pipes]) this.close(pipe);
  }

  stall(): void {
    this.mode = "stalled";
  }

  get connections(): number {
    return this.pipes.size;
  }

  stop(): void {
    this.down();
    this.listener?.stop(true);
    this.listener = null;
  }

  private accept(client: Socket<Pipe>): void {
    const pipe: Pipe = { client: { socket: client, pending: [] }, upstream: { socket: null, pending: [] }, closed: false };
    client.data = pipe;
    if (this.mode === "down") {
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
          if (this.mode === "up") flush(pipe.upstream);
        },
        data: (upstream, chunk) => this.forward(upstream.data, upstream.data.client, chunk),
        drain: (upstream) => {
          if (this.mode === "up") flush(upstream.data.upstream);
        },
        close: (upstream) => this.close(upstream.data),
        error: () => {},
      },
    }).catch(() => this.close(pipe));
  }

  private forward(pipe: Pipe, to: Side, chunk: Uint8Array): void {
    if (pipe.closed) return;
    to.pending.push(chunk);
    if (this.mode === "up") flush(to);
  }

  private close(pipe: Pipe): void {
    if (pipe.closed) return;
    pipe.closed = true;
    this.pipes.delete(pipe);
    pipe.client.socket?.end();
    pipe.upstream.socket?.end();
  }
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
