import { MS_PER_DAY, utcDayNumber, yymmNumber } from "./expectations.ts";

/**
 * The date and time fields a request carries, formatted once per second rather than once per message:
 * DE 7 (MMDDhhmmss, UTC), DE 12 (hhmmss), DE 13 (MMDD) and the first half of DE 37 (YDDDhh).
 */
export class WireClock {
  nowMs = 0;
  private second = -1;
  de7 = "";
  de12 = "";
  de13 = "";
  rrnPrefix = "";
  dayNumber = 0;
  currentYymm = 0;
  /** Milliseconds to the nearest UTC midnight, before or after (per-day counters reset there). */
  msFromMidnight = 0;

  refresh(nowMs: number): this {
    this.nowMs = nowMs;
    const second = Math.floor(nowMs / 1000);
    if (second === this.second) return this;
    this.second = second;
    const date = new Date(second * 1000);
    const mm = pad2(date.getUTCMonth() + 1);
    const dd = pad2(date.getUTCDate());
    const time = pad2(date.getUTCHours()) + pad2(date.getUTCMinutes()) + pad2(date.getUTCSeconds());
    this.de13 = mm + dd;
    this.de12 = time;
    this.de7 = mm + dd + time;
    const startOfYear = Date.UTC(date.getUTCFullYear(), 0, 1);
    const julian = Math.floor((second * 1000 - startOfYear) / MS_PER_DAY) + 1;
    this.rrnPrefix = String(date.getUTCFullYear() % 10) + String(julian).padStart(3, "0") + pad2(date.getUTCHours());
    this.dayNumber = utcDayNumber(nowMs);
    this.currentYymm = yymmNumber(nowMs);
    const intoDay = nowMs - this.dayNumber * MS_PER_DAY;
    this.msFromMidnight = Math.min(intoDay, MS_PER_DAY - intoDay);
    return this;
  }
}

function pad2(n: number): string {
  return n < 10 ? "0" + n : String(n);
}
