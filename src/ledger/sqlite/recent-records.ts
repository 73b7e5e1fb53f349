import type { NetworkRecord } from "../decision/records.ts";
import { AssertionFailure } from "../../ops/assert.ts";

/**
 * The newest network records by sequence, as the batches left them: a reversal, an advice or a repeat
 * mostly names a transaction from the last few seconds, and finding it here spares the read of its row.
 *
 * Coherence: a record here is the very object that batches change in place and write back, so it always
 * matches its row once the transaction commits. Everything else that changes transaction rows must change
 * the object found here instead of a copy (hold expiry does). The cache belongs to the SQLite ledger's
 * state, so a failed transaction, which rebuilds the state from the file, forgets it with the rest.
 *
 * Bound: `recordsMax` slots (0: none), a record in slot seq mod recordsMax. Sequences grow, so a new row
 * takes the slot of the row recordsMax transactions older; a row read from the file takes its slot only
 * from an older one. A direct-mapped array costs nothing per add beyond the store, where a map in
 * insertion order paid an iterator and a delete for each eviction.
 */
export const RECENT_RECORDS_MAX = 8_192;

export class RecentRecords {
  private readonly slots: Array<NetworkRecord | undefined>;
  private filled = 0;

  constructor(readonly recordsMax: number) {
    if (!(Number.isInteger(recordsMax) && recordsMax >= 0)) throw new AssertionFailure("recordsMax must be a non-negative integer");
    this.slots = new Array<NetworkRecord | undefined>(recordsMax).fill(undefined);
  }

  /** Records held (at most recordsMax). */
  get size(): number {
    return this.filled;
  }

  get(seq: number): NetworkRecord | undefined {
    if (this.recordsMax === 0) return undefined;
    const found = this.slots[seq % this.recordsMax];
    return found !== undefined && found.seq === seq ? found : undefined;
  }

  add(record: NetworkRecord): void {
    if (this.recordsMax === 0) return;
    const slot = record.seq % this.recordsMax;
    const held = this.slots[slot];
    if (held === undefined) this.filled += 1;
    else if (held.seq >= record.seq) return; // the newer record keeps the slot, the same one stays as it is
    this.slots[slot] = record;
  }
}
