import type { TCPSocketListener } from "bun";
import type { LinkConnection } from "./link-connection.ts";
import type { Simulator } from "./simulator.ts";

/**
 * The network's listening port. The processor dials in; a connection beyond the simulator's maximum is
 * closed at once, as a real network refuses an issuer's extra links. Handlers stay synchronous: a `data`
 * call runs frame → decode → match → check → next requests → one write, and returns.
 */
export interface SimListener {
  readonly hostname: string;
  readonly port: number;
  /** Stops accepting and closes every link (queued bytes are flushed first where the socket takes them). */
  close(): void;
}

export function listen(simulator: Simulator, options: { hostname: string; port: number }): SimListener {
  const server: TCPSocketListener<LinkConnection | null> = Bun.listen<LinkConnection | null>({
    hostname: options.hostname,
    port: options.port,
    socket: {
      binaryType: "uint8array",
      open(socket) {
        const conn = simulator.open(socket);
        socket.data = conn;
        if (conn === null) socket.end();
      },
      data(socket, chunk) {
        if (socket.data !== null) simulator.data(socket.data, chunk);
      },
      drain(socket) {
        if (socket.data !== null) simulator.drain(socket.data);
      },
      close(socket) {
        if (socket.data !== null) simulator.close(socket.data);
      },
      error(socket) {
        if (socket.data !== null) simulator.close(socket.data);
      },
    },
  });
  let closed = false;
  return {
    hostname: server.hostname,
    port: server.port,
    close() {
      if (closed) return;
      closed = true;
      for (const conn of [...simulator.connections]) {
        conn.flush();
        simulator.close(conn);
        conn.socket.end();
      }
      server.stop(true);
    },
  };
}
