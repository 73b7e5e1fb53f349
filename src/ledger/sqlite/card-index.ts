import { PAN_INDEX_BYTES } from "../pan-vault.ts";

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
    if (card.panIndexBytes.length !== PAN_INDEX_BYTES) throw new Error("assertion: a PAN index is 32 bytes");
    const prefix = prefixOf(card.panIndexBytes);
    const found = this.byPrefix.get(prefix);
    if (found === undefined) this.byPrefix.set(prefix, card);
    else if (Array.isArray(found)) found.push(card);
    else this.byPrefix.set(prefix, [found, card]);
  }

  find(index: Uint8Array): T | null {
    const found = this.byPrefix.get(prefixOf(index));
    if (found === undefined) return null;
    if (!Array.isArray(found)) return sameBytes(found.panIndexBytes, index) ? found : null;
    return found.find((card) => sameBytes(card.panIndexBytes, index)) ?? null;
  }
}

function prefixOf(bytes: Uint8Array): number {
  return (bytes[0]! * 0x100 + bytes[1]!) * 0x1_0000_0000 + ((bytes[2]! << 24) | (bytes[3]! << 16) | (bytes[4]! << 8) | bytes[5]!) >>> 0;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < PAN_INDEX_BYTES; i++) if (a[i] !== b[i]) return false;
  return true;
}
