import { LaneQueue } from "./lane.ts";
import type { LinkConnection } from "./link-connection.ts";

/**
 * The links traffic is driven over: `--links` slots, each with the lanes bound to it (its window) and the
 * signed-on connection currently serving it. A link that signs on takes a free slot or waits as standby;
 * one that signs off or drops leaves its slot to a standby link, and its lanes wait for the next one.
 */
export class LinkSlots {
  private readonly connections: Array<LinkConnection | null>;
  private readonly queues: LaneQueue[];
  private readonly boundList: LinkConnection[] = [];

  constructor(links: number, windowMax: number) {
    this.connections = new Array(links).fill(null);
    this.queues = Array.from({ length: links }, () => new LaneQueue(windowMax));
  }

  /** Idle lanes of a slot. */
  queue(slot: number): LaneQueue {
    return this.queues[slot]!;
  }

  boundCount(): number {
    return this.boundList.length;
  }

  /** Connections serving a slot: the live list, not to be iterated while binding or unbinding. */
  bound(): readonly LinkConnection[] {
    return this.boundList;
  }

  /** Gives `conn` a free slot; false when every slot is served (it stays standby). */
  bind(conn: LinkConnection): boolean {
    const slot = this.connections.indexOf(null);
    if (slot < 0) return false;
    this.connections[slot] = conn;
    conn.slot = slot;
    this.refresh();
    return true;
  }

  /** Takes `conn` off its slot and hands the slot to a standby link, which it returns (or null). */
  unbind(conn: LinkConnection, all: Iterable<LinkConnection>): LinkConnection | null {
    const slot = conn.slot;
    if (slot < 0) return null;
    this.connections[slot] = null;
    conn.slot = -1;
    this.refresh();
    for (const standby of all) {
      if (standby.signedOn && standby.slot < 0 && !standby.closed && this.bind(standby)) return standby;
    }
    return null;
  }

  private refresh(): void {
    this.boundList.length = 0;
    for (const conn of this.connections) if (conn !== null) this.boundList.push(conn);
  }
}
