import { MESSAGE_TYPES, type ValidationRuleKey } from "../domain/message-kinds.ts";
import type { MessageView } from "./message-view.ts";

/**
 * Content rules above the wire format: a frame can decode cleanly and still be no valid request (a month
 * 13, a reversal without the fields that identify the original). The rules are data — per message class,
 * the fields that must be there, the fields the class reads, and what happens to the others — plus a format
 * for the date fields and track 2. A failure names the field, never its value. The engine answers such a
 * request with 30 (format error).
 */
export type ValidationCode = "missing_field" | "invalid_date" | "invalid_track";

export interface ValidationIssue {
  readonly code: ValidationCode;
  readonly field: number;
  readonly message: string;
}

/**
 * What a class does with a field it reads nothing from.
 * - "checked": a request (0100, 0200 and their repeats) asks us to move money. Every field present must pass its content
 *   rule, used or not: a malformed field hints at a garbled message, and refusing it (30) costs nothing —
 *   nothing is held, and the acquirer can send it again corrected.
 * - "ignored": a reversal or an advice reports what already happened. Refusing it for a field we have no
 *   use for (an 0400 with the card's expiry, DE 14, as acquirers may send it) would keep the cardholder's
 *   money held, so such a field is skipped, content and all (the dispatcher logs it at debug). 30 stays for
 *   what truly cannot be acted on: a field the class needs, missing or malformed.
 */
export type ExtraFields = "checked" | "ignored";

export interface ClassRule {
  /** Every one of these must be present. */
  readonly required: readonly number[];
  /** How the card is identified: at least one must be present; the first present is the one read. */
  readonly card: readonly number[];
  /** Fields the class reads besides `required` and the card (their content rules always apply). */
  readonly used: readonly number[];
  readonly extra: ExtraFields;
}

const CARD_IDENTIFIED = [2, 35];
/** What the request mapping (src/authorize/request.ts) reads from every message it decides. */
const MAPPED = [6, 18, 37, 41, 42, 43, 49, 51];

const REQUEST: ClassRule = { required: [3, 4, 7, 11, 32], card: CARD_IDENTIFIED, used: [...MAPPED, 14, 60], extra: "checked" };
const ADVICE: ClassRule = { required: [3, 4, 7, 11, 32], card: CARD_IDENTIFIED, used: [...MAPPED, 38, 39], extra: "ignored" };
const REVERSAL: ClassRule = { required: [2, 3, 4, 7, 11, 32], card: [], used: [...MAPPED, 90, 95], extra: "ignored" };
const NETWORK_MANAGEMENT: ClassRule = { required: [7, 11, 70], card: [], used: [], extra: "checked" };

const RULES_BY_KEY: Record<ValidationRuleKey, ClassRule> = { request: REQUEST, advice: ADVICE, reversal: REVERSAL };
const MTI_NETWORK_MANAGEMENT = 800;

/** The rule for each MTI we answer: the message-kind table's rule key for each MTI we authorize, and 0800. */
export const CLASS_RULES: ReadonlyMap<number, ClassRule> = new Map<number, ClassRule>([
  ...[...MESSAGE_TYPES].map(([mti, type]): [number, ClassRule] => [mti, RULES_BY_KEY[type.validation]]),
  [MTI_NETWORK_MANAGEMENT, NETWORK_MANAGEMENT],
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
const TRACK_2 = 35;

export function validateMessage(view: MessageView): ValidationIssue | null {
  const rule = CLASS_RULES.get(view.mti);
  if (rule !== undefined) {
    for (const field of rule.required) {
      if (!view.has(field)) return issue("missing_field", field, `field ${field} is required in ${view.mtiString()}`);
    }
    if (rule.card.length > 0 && cardField(view, rule) === 0) {
      return issue("missing_field", rule.card[0]!, `one of fields ${rule.card.join(", ")} is required`);
    }
  }
  for (const [field, format] of DATE_FIELDS) {
    if (view.has(field) && isChecked(view, rule, field) && !isValidDate(view.string(field), format)) {
      return issue("invalid_date", field, `field ${field} is not a valid ${format}`);
    }
  }
  if (view.has(TRACK_2) && isChecked(view, rule, TRACK_2) && !isTrack2(view.string(TRACK_2))) {
    return issue("invalid_track", TRACK_2, "field 35 is not track 2 data (digits, separator, digits)");
  }
  return null;
}

/**
 * The present fields a reversal or advice has no use for (empty for the classes that check every field):
 * what the dispatcher logs at debug. Field numbers only, never values.
 */
export function ignoredFields(view: MessageView): number[] {
  const rule = CLASS_RULES.get(view.mti);
  const ignored: number[] = [];
  if (rule === undefined || rule.extra === "checked") return ignored;
  for (let i = 0; i < view.presentCount; i++) {
    const field = view.presentFields[i]!;
    if (!isUsed(view, rule, field)) ignored.push(field);
  }
  return ignored;
}

/** Whether a present field's content rule applies: always without a rule or for "checked" classes. */
function isChecked(view: MessageView, rule: ClassRule | undefined, field: number): boolean {
  return rule === undefined || rule.extra === "checked" || isUsed(view, rule, field);
}

/** A field the class reads; echoed fields count only if read (an echo is a byte copy, whatever it holds). */
function isUsed(view: MessageView, rule: ClassRule, field: number): boolean {
  return rule.required.includes(field) || rule.used.includes(field) || field === cardField(view, rule);
}

/** The field the card is read from: the first of the rule's card fields present, 0 when none is. */
function cardField(view: MessageView, rule: ClassRule): number {
  for (const field of rule.card) if (view.has(field)) return field;
  return 0;
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
