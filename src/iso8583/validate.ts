import type { MessageView } from "./message-view.ts";

/**
 * Content rules above the wire format: a frame can decode cleanly and still be no valid request (a month
 * 13, a reversal without the fields that identify the original). The rules are data — per message class,
 * the fields that must be there, the fields that must not, and a format for the date fields — and a
 * failure names the field, never its value. The engine answers such a request with 30 (format error).
 */
export type ValidationCode = "missing_field" | "unexpected_field" | "invalid_date" | "invalid_track";

export interface ValidationIssue {
  readonly code: ValidationCode;
  readonly field: number;
  readonly message: string;
}

interface ClassRule {
  /** Every one of these must be present. */
  readonly required: readonly number[];
  /** At least one of these must be present (how the card is identified). */
  readonly oneOf: readonly number[];
  /** None of these may be present. */
  readonly forbidden: readonly number[];
}

const CARD_IDENTIFIED = [2, 35];
/** Card-authentication data has no place in a reversal: the original already carried it. */
const CARD_AUTHENTICATION = [14, 35, 45, 52];

const AUTHORIZATION: ClassRule = { required: [3, 4, 7, 11, 32], oneOf: CARD_IDENTIFIED, forbidden: [] };
const REVERSAL: ClassRule = { required: [2, 3, 4, 7, 11, 32], oneOf: [], forbidden: CARD_AUTHENTICATION };
const NETWORK_MANAGEMENT: ClassRule = { required: [7, 11, 70], oneOf: [], forbidden: [] };

/** Rules for the requests we answer, by MTI. */
const RULES = new Map<number, ClassRule>([
  [100, AUTHORIZATION],
  [101, AUTHORIZATION],
  [120, AUTHORIZATION],
  [121, AUTHORIZATION],
  [200, AUTHORIZATION],
  [400, REVERSAL],
  [401, REVERSAL],
  [420, REVERSAL],
  [421, REVERSAL],
  [800, NETWORK_MANAGEMENT],
]);

type DateFormat = "MMDDhhmmss" | "hhmmss" | "MMDD" | "YYMM" | "YYMMDD";

const DATE_FIELDS: ReadonlyArray<readonly [number, DateFormat]> = [
  [7, "MMDDhhmmss"],
  [12, "hhmmss"],
  [13, "MMDD"],
  [14, "YYMM"],
  [15, "MMDD"],
  [16, "MMDD"],
  [17, "MMDD"],
  [73, "YYMMDD"],
];

export function validateMessage(view: MessageView): ValidationIssue | null {
  const rule = RULES.get(view.mti);
  if (rule !== undefined) {
    for (const field of rule.required) {
      if (!view.has(field)) return issue("missing_field", field, `field ${field} is required in ${view.mtiString()}`);
    }
    if (rule.oneOf.length > 0 && !rule.oneOf.some((field) => view.has(field))) {
      return issue("missing_field", rule.oneOf[0]!, `one of fields ${rule.oneOf.join(", ")} is required`);
    }
    for (const field of rule.forbidden) {
      if (view.has(field)) return issue("unexpected_field", field, `field ${field} is not allowed in ${view.mtiString()}`);
    }
  }
  for (const [field, format] of DATE_FIELDS) {
    if (view.has(field) && !isValidDate(view.string(field), format)) {
      return issue("invalid_date", field, `field ${field} is not a valid ${format}`);
    }
  }
  if (view.has(35) && !isTrack2(view.string(35))) {
    return issue("invalid_track", 35, "field 35 is not track 2 data (digits, separator, digits)");
  }
  return null;
}

function issue(code: ValidationCode, field: number, message: string): ValidationIssue {
  return { code, field, message };
}

const DATE_PARTS: Record<DateFormat, ReadonlyArray<"YY" | "MM" | "DD" | "hh" | "mm" | "ss">> = {
  MMDDhhmmss: ["MM", "DD", "hh", "mm", "ss"],
  hhmmss: ["hh", "mm", "ss"],
  MMDD: ["MM", "DD"],
  YYMM: ["YY", "MM"],
  YYMMDD: ["YY", "MM", "DD"],
};

const PART_RANGE = { YY: [0, 99], MM: [1, 12], DD: [1, 31], hh: [0, 23], mm: [0, 59], ss: [0, 59] } as const;

function isValidDate(value: string, format: DateFormat): boolean {
  const parts = DATE_PARTS[format];
  if (value.length !== parts.length * 2) return false;
  return parts.every((part, i) => {
    const n = Number(value.slice(2 * i, 2 * i + 2));
    const [low, high] = PART_RANGE[part];
    return Number.isInteger(n) && n >= low && n <= high;
  });
}

/** Track 2: PAN digits, the separator (= or D), then expiry, service code and discretionary digits. */
function isTrack2(value: string): boolean {
  return /^\d{1,19}[=D]\d*F?$/.test(value);
}

/** The PAN a request identifies the card by: DE 2, or the digits before the separator in DE 35. */
export function requestPan(view: MessageView): string | null {
  if (view.has(2)) return view.string(2);
  if (view.has(35)) {
    const match = /^(\d{1,19})[=D]/.exec(view.string(35));
    return match ? match[1]! : null;
  }
  return null;
}
