import type { MessageView } from "../iso8583/message-view.ts";
import type { LinkSession } from "../link/session.ts";
import { assert } from "../ops/assert.ts";

/**
 * The bounded queue between the links and the authorization tasks. Its capacity (a power of two) is fixed
 * at start-up and never grows: `push` answers "full" and the caller decides (answer 91, pause the links);
 * `pushAssumeCapacity` is for callers that checked. Entries are decoded views, moved in and out without
 * copying; the batch a task pops into is allocated once per task.
 */
export class RequestBatch {
  readonly views: Array<MessageView | null>;
  readonly sessions: Array<LinkSession | null>;
  readonly receivedAtMs: Float64Array;
  count = 0;

  constructor(readonly sizeMax: number) {
    this.views = new Array(sizeMax).fill(null);
    this.sessions = new Array(sizeMax).fill(null);
    this.receivedAtMs = new Float64Array(sizeMax);
  }

  clear(): void {
    for (let i = 0; i < this.count; i++) {
      this.views[i] = null;
      this.sessions[i] = null;
    }
    this.count = 0;
  }
}

export class RequestRing {
  readonly capacity: number;
  private readonly mask: number;
  private readonly views: Array<MessageView | null>;
  private readonly sessions: Array<LinkSession | null>;
  private readonly receivedAtMs: Float64Array;
  /** Monotonic counters: entries live at [head, tail), indexed modulo capacity. */
  private head = 0;
  private tail = 0;
  private waiters: Array<() => void> = [];

  constructor(capacity: number) {
    assert(Number.isInteger(capacity) && capacity >= 2 && (capacity & (capacity - 1)) === 0, "capacity: power of two ≥ 2");
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.views = new Array(capacity).fill(null);
    this.sessions = new Array(capacity).fill(null);
    this.receivedAtMs = new Float64Array(capacity);
  }

  get length(): number {
    return this.tail - this.head;
  }

  push(view: MessageView, session: LinkSession, receivedAtMs: number): "ok" | "full" {
    if (this.tail - this.head === this.capacity) return "full";
    this.pushAssumeCapacity(view, session, receivedAtMs);
    return "ok";
  }

  pushAssumeCapacity(view: MessageView, session: LinkSession, receivedAtMs: number): void {
    assert(this.tail - this.head < this.capacity, "ring overflow");
    const index = this.tail & this.mask;
    this.views[index] = view;
    this.sessions[index] = session;
    this.receivedAtMs[index] = receivedAtMs;
    this.tail++;
    if (this.waiters.length > 0) this.wake();
  }

  /** Moves up to `batch.sizeMax` entries, oldest first, into `batch`; returns how many. */
  popInto(batch: RequestBatch): number {
    assert(batch.count === 0, "batch not cleared");
    const count = Math.min(this.tail - this.head, batch.sizeMax);
    for (let i = 0; i < count; i++) {
      const index = (this.head + i) & this.mask;
      batch.views[i] = this.views[index]!;
      batch.sessions[i] = this.sessions[index]!;
      batch.receivedAtMs[i] = this.receivedAtMs[index]!;
      this.views[index] = null;
      this.sessions[index] = null;
    }
    this.head += count;
    batch.count = count;
    assert(this.head <= this.tail, "ring head passed tail");
    return count;
  }

  /** Resolves at the next push (or at once if something is queued, or when `wakeAll` is called). */
  whenNonEmpty(): Promise<void> {
    if (this.tail > this.head) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Wakes every waiting task (shutdown: they re-check and exit). */
  wakeAll(): void {
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}

/**
 * Decoding views, allocated once: enough for a full ring, every task's batch in flight, and one scratch per
 * link. Taking from an empty pool is a programmer error (the sizes were checked at start-up).
 */
export class ViewPool {
  private readonly free: MessageView[] = [];
  readonly size: number;

  constructor(size: number, create: () => MessageView) {
    this.size = size;
    for (let i = 0; i < size; i++) this.free.push(create());
  }

  get available(): number {
    return this.free.length;
  }

  take(): MessageView {
    const view = this.free.pop();
    assert(view !== undefined, "view pool exhausted");
    return view;
  }

  give(view: MessageView): void {
    assert(this.free.length < this.size, "view returned twice");
    this.free.push(view);
  }
}
