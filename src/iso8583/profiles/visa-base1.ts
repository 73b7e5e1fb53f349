import { reconciliationFields } from "./reconciliation-fields.ts";
import { fixed, llvar, lllvar, type FieldSpec, type ProfileDefinition } from "../spec.ts";

/**
 * Visa BASE I as the public jPOS Base1Packager lays it out: numerics in BCD (odd lengths left-padded with a
 * zero nibble), text in EBCDIC (code page 1047), LL prefixes as one binary byte counting digits for numerics
 * and bytes otherwise, amounts 28–31 and 97 as a sign character followed by BCD digits. Frames carry a
 * 4-byte VAP length header and the 22-byte BASE I header before the MTI.
 */
function base1Fields(): Array<readonly [number, FieldSpec]> {
  const n = (name: string, max: number) => fixed(name, "n", max, "bcd");
  const e = (name: string, max: number) => fixed(name, "ans", max, "ebcdic");
  const llNum = (name: string, max: number, sensitive?: "pan") =>
    llvar(name, "n", max, "bcd", "binary", sensitive ? { sensitive } : {});
  const llEbcdic = (name: string, max: number) => llvar(name, "ans", max, "ebcdic", "binary");
  const llAscii = (name: string, max: number) => llvar(name, "ans", max, "ascii", "binary");
  const llBinary = (name: string, max: number) => llvar(name, "b", max, "binary", "binary");
  const bin = (name: string, bytes: number) => fixed(name, "b", bytes, "binary");
  const fields: Array<readonly [number, FieldSpec]> = [
    [2, llNum("Primary account number", 19, "pan")],
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
    [22, n("Point of service entry mode", 4)],
    [23, n("Card sequence number", 3)],
    [24, n("Network international identifier", 3)],
    [25, n("Point of service condition code", 2)],
    [26, n("Point of service PIN capture code", 2)],
    [27, n("Authorization identification response length", 1)],
    [28, fixed("Amount, transaction fee", "xn", 8, "bcd")],
    [29, fixed("Amount, settlement fee", "xn", 8, "bcd")],
    [30, fixed("Amount, transaction processing fee", "xn", 8, "bcd")],
    [31, fixed("Amount, settlement processing fee", "xn", 8, "bcd")],
    [32, llNum("Acquiring institution identification code", 11)],
    [33, llNum("Forwarding institution identification code", 11)],
    [34, llNum("Primary account number, extended", 28, "pan")],
    [35, llvar("Track 2 data", "z", 37, "bcd", "binary", { sensitive: "track" })],
    [36, lllvar("Track 3 data", "z", 104, "bcd", "bcd", { sensitive: "track" })],
    [37, e("Retrieval reference number", 12)],
    [38, e("Authorization identification response", 6)],
    [39, e("Response code", 2)],
    [40, e("Service restriction code", 3)],
    [41, e("Card acceptor terminal identification", 8)],
    [42, e("Card acceptor identification code", 15)],
    [43, e("Card acceptor name/location", 40)],
    [44, llEbcdic("Additional response data", 25)],
    [45, llvar("Track 1 data", "ans", 76, "ebcdic", "binary", { sensitive: "track" })],
    [46, llAscii("Additional data - ISO", 99)],
    [47, llAscii("Additional data - national", 99)],
    [48, llBinary("Additional data - private", 99)],
    [49, n("Currency code, transaction", 3)],
    [50, n("Currency code, settlement", 3)],
    [51, n("Currency code, cardholder billing", 3)],
    [52, fixed("PIN data", "b", 8, "binary", { sensitive: "pin" })],
    [53, n("Security related control information", 16)],
    [54, llEbcdic("Additional amounts", 120)],
    [55, llBinary("ICC data", 255)],
    [56, llAscii("Reserved ISO", 99)],
    [57, llAscii("Reserved national", 99)],
    [58, llAscii("Reserved national", 99)],
    [59, llEbcdic("National POS geographic data", 14)],
    [60, llBinary("Additional POS information", 6)],
    [61, llNum("Other amounts", 36)],
    [62, llBinary("Custom payment service fields", 59)],
    [63, llBinary("SMS private-use fields", 255)],
    [64, bin("Message authentication code", 8)],
    [65, bin("Bitmap, extended", 1)],
  ];
  fields.push(...reconciliationFields(n));
  fields.push(
    [91, e("File update code", 1)],
    [92, e("File security code", 2)],
    [93, e("Response indicator", 5)],
    [94, e("Service indicator", 7)],
    [95, e("Replacement amounts", 42)],
    [96, bin("Message security code", 8)],
    [97, fixed("Amount, net settlement", "xn", 16, "bcd")],
    [98, e("Payee", 25)],
    [99, llNum("Settlement institution identification code", 11)],
    [100, llNum("Receiving institution identification code", 11)],
    [101, llEbcdic("File name", 17)],
    [102, llAscii("Account identification 1", 28)],
    [103, llAscii("Account identification 2", 28)],
  );
  for (let field = 104; field <= 125; field++) {
    if (field === 115) fields.push([field, llAscii("Additional trace data", 24)]);
    else if (field === 118 || field === 124) fields.push([field, llBinary(`Private data (${field})`, 99)]);
    else if (field === 120) fields.push([field, llNum("Reserved private", 4)]);
    else if (field === 121) fields.push([field, llAscii("Issuing institution identification code", 11)]);
    else if (field === 122) fields.push([field, llAscii("Remaining open-to-use", 13)]);
    else if (field === 123) fields.push([field, llEbcdic("Address verification data", 29)]);
    else fields.push([field, llAscii(`Reserved (${field})`, 99)]);
  }
  fields.push(
    [126, llBinary("Private use fields", 255)],
    [127, llBinary("File record action and data", 255)],
    [128, bin("Message authentication code 2", 8)],
  );
  return fields;
}

export const visaBase1: ProfileDefinition = {
  name: "visa-base1",
  description: "Visa BASE I: BCD numerics, EBCDIC text, binary bitmap, 22-byte header, 4-byte VAP framing",
  framing: "length2-vap",
  header: "base1",
  mti: "bcd",
  bitmap: "binary",
  fields: base1Fields(),
};
