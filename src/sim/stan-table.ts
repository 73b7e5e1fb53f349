/**
 * Which outstanding request owns each system trace audit number (DE 11, 000001–999999). Every new request
 * takes the next free STAN from one counter shared by all lanes, so an answer finds its request by DE 11
 * alone; DE 32 (one acquirer per lane) is the second way in when DE 11 is missing. A STAN still owned when
 * the counter comes round again (a request unanswered for a whole cycle) is skipped.
 */
import { LANES_MAX } from "./lane.ts";

export const STAN_MAX = 999_999;
/**
 * How many owned STANs in a row `allocate` may skip: only lanes (one request each) and links (one echo
 * each) own STANs, so a longer run of owned STANs is a programmer error.
 */
const SKIP_MAX = LANES_MAX + 1024;

export class StanTable {
  /** Owner per STAN: 0 free; > 0 lane index + 1; < 0 link id − 1 (the network's own echo). */
  private readonly owner = new Int32Array(STAN_MAX + 1);
  private next: number;

  constructor(first = 1) {
    this.next = first;
  }

  /** The next free STAN, now owned by `owner`. */
  allocate(owner: number): number {
    for (let i = 0; i < SKIP_MAX; i++) {
      const stan = this.next;
      this.next = stan === STAN_MAX ? 1 : stan + 1;
      if (this.owner[stan] === 0) {
        this.owner[stan] = owner;
        return stan;
      }
    }
    throw new Error(`no free STAN within ${SKIP_MAX} of ${this.next}: more requests outstanding than STANs`);
  }

  /** Takes a specific STAN (a duplicate reuses its original's); false when someone else holds it. */
  claim(stan: number, owner: number): boolean {
    if (this.owner[stan] !== 0) return false;
    this.owner[stan] = owner;
    return true;
  }

  ownerOf(stan: number): number {
    return stan >= 1 && stan <= STAN_MAX ? this.owner[stan]! : 0;
  }

  release(stan: number, owner: number): void {
    if (this.owner[stan] === owner) this.owner[stan] = 0;
  }
}

export function laneOwner(laneIndex: number): number {
  return laneIndex + 1;
}

export function linkOwner(linkId: number): number {
  return -linkId - 1;
}
