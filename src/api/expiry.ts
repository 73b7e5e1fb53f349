/**
 * Card expiry dates as YYMM (DE 14's form). A card is valid through the last day of its expiry month, so
 * the current month is still acceptable; years are 20YY. Months are counted in UTC, as the ledger's days are.
 */
export const EXPIRY_YEARS_AHEAD_MAX = 20;

function monthIndex(yymm: string): number {
  return (2000 + Number(yymm.slice(0, 2))) * 12 + (Number(yymm.slice(2, 4)) - 1);
}

function currentMonthIndex(nowMs: number): number {
  const now = new Date(nowMs);
  return now.getUTCFullYear() * 12 + now.getUTCMonth();
}

export function expiryYearsAhead(nowMs: number, years: number): string {
  const index = currentMonthIndex(nowMs) + years * 12;
  const year = Math.floor(index / 12) % 100;
  const month = (index % 12) + 1;
  return String(year).padStart(2, "0") + String(month).padStart(2, "0");
}

/** Why `yymm` cannot be a new card's expiry, or null when it can. */
export function expiryProblem(yymm: string, nowMs: number): string | null {
  if (!/^\d{2}(0[1-9]|1[0-2])$/.test(yymm)) return "must be YYMM with a month 01–12";
  const ahead = monthIndex(yymm) - currentMonthIndex(nowMs);
  if (ahead < 0) return "must not be in the past";
  if (ahead > EXPIRY_YEARS_AHEAD_MAX * 12) return `must be within ${EXPIRY_YEARS_AHEAD_MAX} years`;
  return null;
}
