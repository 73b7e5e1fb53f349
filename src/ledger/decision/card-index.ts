import { PAN_INDEX_BYTES } from "../pan-vault.ts";
import { AssertionFailure } from "../../ops/assert.ts";

/**
 * Cards by PAN index, looked up from the index's bytes: the first six bytes, read as a number, key a Map
 * (number keys hash without touching a string), and the full 32 bytes are compared to confirm. Two cards
 * whose indexes share six bytes both stay findable.
 */
export interface IndexedCard {
  readonly panIndexBytes: Uint8Array;
}

export class CardIndex<T extends IndexedCard> {
  private readonly byPrefix = new Map<number, T | T[]>();

  add(card: T): void {
    if (card.panIndexBytes.length !== PAN_INDEX_BYTES) throw new AssertionFailure("a PAN index is 32 bytes");
    const prefix = prefixOf(card.panIndexBytes);
    const found = this.byPrefix.get(prefix);
    if (found === undefined) this.byPrefix.set(prefix, card);
    else if (Array.isArray(found)) found.push(card);
    else this.byPrefix.set(prefix, [found, card]);
  }

  /** The card whose index is the 32 bytes of `bytes` from `offset`. */
  find(bytes: Uint8Array, offset = 0): T | null {
    const found = this.byPrefix.get(prefixOf(bytes, offset));
    if (found === undefined) return null;
    if (!Array.isArray(found)) return sameBytes(found.panIndexBytes, bytes, offset) ? found : null;
    return found.find((card) => sameBytes(card.panIndexBytes, bytes, offset)) ?? null;
  }
}

function prefixOf(bytes: Uint8Array, at = 0): number {
  const high = bytes[at]! * 0x100 + bytes[at + 1]!;
  const low = ((bytes[at + 2]! << 24) | (bytes[at + 3]! << 16) | (bytes[at + 4]! << 8) | bytes[at + 5]!) >>> 0;
  return high * 0x1_0000_0000 + low;
}

function sameBytes(index: Uint8Array, bytes: Uint8Array, offset: number): boolean {
  for (let i = 0; i < PAN_INDEX_BYTES; i++) if (index[i] !== bytes[offset + i]) return false;
  return true;
}
