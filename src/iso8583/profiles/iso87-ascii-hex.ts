import type { ProfileDefinition } from "../spec.ts";
import { iso87AsciiFields } from "./iso87-fields.ts";

/** ISO 8583:1987 in ASCII with the bitmap as 16 hex characters (jPOS ISO87APackager, moov-io Spec87ASCII). */
export const iso87AsciiHex: ProfileDefinition = {
  name: "iso87-ascii-hex",
  description: "ISO 8583:1987, ASCII fields, bitmap as 16 ASCII hex characters, 2-byte length framing",
  framing: "length2",
  header: "none",
  mti: "ascii",
  bitmap: "hex",
  fields: iso87AsciiFields(),
};
