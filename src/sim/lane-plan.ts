import type { CompiledProfile } from "../iso8583/spec.ts";
import type { CardBook } from "./card-book.ts";
import { LANES_MAX, Lane } from "./lane.ts";
import { SeededRandom } from "./random.ts";

/** DE 32 of lane i is ACQUIRER_BASE + i: an answer missing DE 11 still finds its lane. */
export const ACQUIRER_BASE = 40_000_000;

/**
 * Lanes over the active cards: lane i sends on slot i mod links and owns every card whose position among
 * the normal/thin cards (or among the limit cards) is i mod lanes. At most windowMax lanes per link and
 * never more lanes than normal/thin cards, so that every lane has one.
 */
export function buildLanes(
  config: { links: number; windowMax: number; seed: number; profile: CompiledProfile },
  book: CardBook,
): Lane[] {
  const ordinary = book.ownedCards.filter((card) => card.role !== "limit_amount" && card.role !== "limit_count");
  const limited = book.ownedCards.filter((card) => card.role === "limit_amount" || card.role === "limit_count");
  const count = Math.min(config.links * config.windowMax, ordinary.length, LANES_MAX);
  if (count < config.links) {
    throw new RangeError(`${ordinary.length} active cards with ordinary limits cannot feed ${config.links} links: add cards`);
  }
  const seeds = new SeededRandom(config.seed);
  const lanes: Lane[] = [];
  for (let i = 0; i < count; i++) {
    lanes.push(new Lane(i, i % config.links, String(ACQUIRER_BASE + i), seeds.nextUint32(), config.profile));
  }
  ordinary.forEach((card, i) => lanes[i % count]!.cards.push(card));
  limited.forEach((card, i) => lanes[i % count]!.limitCards.push(card));
  return lanes;
}

/** The replay digest: each lane's first requests, lane by lane. */
export function sequenceDigest(lanes: readonly Lane[]): string {
  const hasher = new Bun.CryptoHasher("sha256");
  const word = new Uint8Array(8);
  const view = new DataView(word.buffer);
  for (const lane of lanes) {
    view.setUint32(0, lane.digest);
    view.setUint32(4, lane.digestCount);
    hasher.update(word);
  }
  return hasher.digest("hex").slice(0, 16);
}
