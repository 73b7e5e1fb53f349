/**
 * The short dates of clearing files, made whole against the file's processing date: BASE II gives the
 * purchase date as MMDD and the central processing date as YDDD (last digit of the year, day of the year).
 * A date that would fall after the processing date belongs to the year (or decade) before, as SmartVista
 * reads them. Dates are ISO strings, YYYY-MM-DD, in UTC.
 */

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** The ISO date for year, month (1-12) and day, or null when no such day exists. */
export function isoDate(year: number, month: number, day: number): string | null {
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return date.toISOString().slice(0, 10);
}

export function isIsoDate(value: string): boolean {
  const match = ISO_DATE.exec(value);
  return match !== null && isoDate(Number(match[1]), Number(match[2]), Number(match[3])) === value;
}

function parts(iso: string): { year: number; month: number; day: number } {
  const match = ISO_DATE.exec(iso);
  if (match === null) throw new RangeError("not an ISO date");
  return { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
}

function dayOfYear(iso: string): number {
  const { year } = parts(iso);
  return Math.round((Date.parse(iso) - Date.UTC(year, 0, 1)) / DAY_MS) + 1;
}

function fromDayOfYear(year: number, day: number): string | null {
  if (day < 1 || day > 366) return null;
  const date = new Date(Date.UTC(year, 0, day));
  return date.getUTCFullYear() === year ? date.toISOString().slice(0, 10) : null;
}

/** YYDDD (a header's processing date) → ISO, years 2000-2099; null when not a day. */
export function fromYyddd(yyddd: string): string | null {
  if (!/^\d{5}$/.test(yyddd)) return null;
  return fromDayOfYear(2000 + Number(yyddd.slice(0, 2)), Number(yyddd.slice(2)));
}

export function toYyddd(iso: string): string {
  return String(parts(iso).year % 100).padStart(2, "0") + String(dayOfYear(iso)).padStart(3, "0");
}

/** YDDD → ISO in the decade of `reference`, or the decade before when it would fall after it. */
export function fromYddd(yddd: string, reference: string): string | null {
  if (!/^\d{4}$/.test(yddd)) return null;
  const { year } = parts(reference);
  const candidate = year - (year % 10) + Number(yddd[0]);
  const day = Number(yddd.slice(1));
  const date = fromDayOfYear(candidate, day);
  if (date !== null && date <= reference) return date;
  return fromDayOfYear(candidate - 10, day);
}

export function toYddd(iso: string): string {
  return String(parts(iso).year % 10) + String(dayOfYear(iso)).padStart(3, "0");
}

/** MMDD → ISO in the year of `reference`, or the year before when it would fall after it. */
export function fromMmdd(mmdd: string, reference: string): string | null {
  if (!/^\d{4}$/.test(mmdd)) return null;
  const { year } = parts(reference);
  const month = Number(mmdd.slice(0, 2));
  const day = Number(mmdd.slice(2));
  const date = isoDate(year, month, day);
  if (date !== null && date <= reference) return date;
  return isoDate(year - 1, month, day);
}

export function toMmdd(iso: string): string {
  const { month, day } = parts(iso);
  return String(month).padStart(2, "0") + String(day).padStart(2, "0");
}
