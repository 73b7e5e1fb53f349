import type { Sensitivity } from "./spec.ts";

/**
 * Masking of card data for anything a person or a log can see. A PAN keeps at most its first 6 and last 4
 * digits (the PCI DSS display rule), and only when at least 3 digits stay hidden; track data, PIN blocks and
 * secrets keep nothing but their length.
 */
export function maskPan(pan: string): string {
  if (pan.length >= 13) return pan.slice(0, 6) + "*".repeat(pan.length - 10) + pan.slice(-4);
  if (pan.length > 7) return "*".repeat(pan.length - 4) + pan.slice(-4);
  return "*".repeat(pan.length);
}

export function maskValue(value: string, sensitivity: Sensitivity): string {
  return sensitivity === "pan" ? maskPan(value) : "*".repeat(value.length);
}
