import type { ProfileDefinition } from "../spec.ts";
import { iso87AsciiFields } from "./iso87-fields.ts";

/** ISO 8583:1987 in ASCII with a binary bitmap (jPOS ISO87APackagerBBitmap, the `iso_8583` npm package). */
export const iso87Ascii: ProfileDefinition = {
  name: "iso87-ascii",
  description: "ISO 8583:1987, ASCII fields, 8-byte binary bitmap, 2-byte length framing",
  framing: "length2",
  header: "none",
  mti: "ascii",
  bitmap: "binary",
  fields: iso87AsciiFields(),
};
