import { reconciliationFields } from "./reconciliation-fields.ts";
import { fixed, llvar, lllvar, type FieldSpec } from "../spec.ts";

/**
 * The ISO 8583:1987 field table as jPOS's ISO87APackager and moov-io's 1987 spec lay it out in ASCII:
 * numerics as ASCII digits, LL/LLL prefixes as ASCII digits, binary fields as ASCII hex (two characters a
 * byte). Shared by the two iso87 profiles, which differ only in how the bitmap is written.
 */
export function iso87AsciiFields(): Array<readonly [number, FieldSpec]> {
  const n = (name: string, max: number) => fixed(name, "n", max, "ascii");
  const an = (name: string, max: number) => fixed(name, "an", max, "ascii");
  const ans = (name: string, max: number) => fixed(name, "ans", max, "ascii");
  const b = (name: string, bytes: number) => fixed(name, "b", bytes, "hex");
  const xn = (name: string, max: number) => fixed(name, "xn", max, "ascii");
  const fields: Array<readonly [number, FieldSpec]> = [
    [2, llvar("Primary account number", "n", 19, "ascii", "ascii", { sensitive: "pan" })],
    [3, n("Processing code", 6)],
    [4, n("Amount, transaction", 12)],
    [5, n("Amount, settlement", 12)],
    [6, n("Amount, cardholder billing", 12)],
    [7, n("Transmission date and time", 10)],
    [8, n("Amount, cardholder billing fee", 8)],
    [9, n("Conversion rate, settlement", 8)],
    [10, n("Conversion rate, cardholder billing", 8)],
    [11, n("System trace audit number", 6)],
    [12, n("Time, local transaction", 6)],
    [13, n("Date, local transaction", 4)],
    [14, n("Date, expiration", 4)],
    [15, n("Date, settlement", 4)],
    [16, n("Date, conversion", 4)],
    [17, n("Date, capture", 4)],
    [18, n("Merchant type", 4)],
    [19, n("Acquiring institution country code", 3)],
    [20, n("PAN extended, country code", 3)],
    [21, n("Forwarding institution country code", 3)],
    [22, n("Point of service entry mode", 3)],
    [23, n("Card sequence number", 3)],
    [24, n("Network international identifier", 3)],
    [25, n("Point of service condition code", 2)],
    [26, n("Point of service PIN capture code", 2)],
    [27, n("Authorization identification response length", 1)],
    [28, xn("Amount, transaction fee", 8)],
    [29, xn("Amount, settlement fee", 8)],
    [30, xn("Amount, transaction processing fee", 8)],
    [31, xn("Amount, settlement processing fee", 8)],
    [32, llvar("Acquiring institution identification code", "n", 11, "ascii", "ascii")],
    [33, llvar("Forwarding institution identification code", "n", 11, "ascii", "ascii")],
    [34, llvar("Primary account number, extended", "ans", 28, "ascii", "ascii", { sensitive: "pan" })],
    [35, llvar("Track 2 data", "z", 37, "ascii", "ascii", { sensitive: "track" })],
    [36, lllvar("Track 3 data", "z", 104, "ascii", "ascii", { sensitive: "track" })],
    [37, an("Retrieval reference number", 12)],
    [38, an("Authorization identification response", 6)],
    [39, an("Response code", 2)],
    [40, an("Service restriction code", 3)],
    [41, ans("Card acceptor terminal identification", 8)],
    [42, ans("Card acceptor identification code", 15)],
    [43, ans("Card acceptor name/location", 40)],
    [44, llvar("Additional response data", "an", 25, "ascii", "ascii")],
    [45, llvar("Track 1 data", "an", 76, "ascii", "ascii", { sensitive: "track" })],
    [46, lllvar("Additional data - ISO", "an", 999, "ascii", "ascii")],
    [47, lllvar("Additional data - national", "an", 999, "ascii", "ascii")],
    [48, lllvar("Additional data - private", "ans", 999, "ascii", "ascii")],
    [49, n("Currency code, transaction", 3)],
    [50, n("Currency code, settlement", 3)],
    [51, n("Currency code, cardholder billing", 3)],
    [52, fixed("PIN data", "b", 8, "hex", { sensitive: "pin" })],
    [53, n("Security related control information", 16)],
    [54, lllvar("Additional amounts", "an", 120, "ascii", "ascii")],
  ];
  for (let field = 55; field <= 63; field++) {
    fields.push([field, lllvar(`Reserved (${field})`, "ans", 999, "ascii", "ascii")]);
  }
  fields.push([64, b("Message authentication code", 8)], [65, b("Bitmap, extended", 1)], ...reconciliationFields(n));
  fields.push(
    [91, an("File update code", 1)],
    [92, an("File security code", 2)],
    [93, an("Response indicator", 5)],
    [94, an("Service indicator", 7)],
    [95, an("Replacement amounts", 42)],
    [96, b("Message security code", 8)],
    [97, xn("Amount, net settlement", 16)],
    [98, ans("Payee", 25)],
    [99, llvar("Settlement institution identification code", "n", 11, "ascii", "ascii")],
    [100, llvar("Receiving institution identification code", "n", 11, "ascii", "ascii")],
    [101, llvar("File name", "ans", 17, "ascii", "ascii")],
    [102, llvar("Account identification 1", "ans", 28, "ascii", "ascii")],
    [103, llvar("Account identification 2", "ans", 28, "ascii", "ascii")],
    [104, lllvar("Transaction description", "ans", 100, "ascii", "ascii")],
  );
  for (let field = 105; field <= 127; field++) {
    fields.push([field, lllvar(`Reserved (${field})`, "ans", 999, "ascii", "ascii")]);
  }
  fields.push([128, b("Message authentication code 2", 8)]);
  return fields;
}
