import { compileProfile, type CompiledProfile } from "../spec.ts";
import { iso87AsciiHex } from "./iso87-ascii-hex.ts";
import { iso87Ascii } from "./iso87-ascii.ts";
import { visaBase1 } from "./visa-base1.ts";

export const PROFILE_NAMES = ["iso87-ascii", "iso87-ascii-hex", "visa-base1"] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

const definitions = { "iso87-ascii": iso87Ascii, "iso87-ascii-hex": iso87AsciiHex, "visa-base1": visaBase1 };
const compiled = new Map<ProfileName, CompiledProfile>();

export function isProfileName(name: string): name is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(name);
}

/** The compiled profile by name; each table is validated the first time it is asked for. */
export function loadProfile(name: ProfileName): CompiledProfile {
  let profile = compiled.get(name);
  if (profile === undefined) {
    profile = compileProfile(definitions[name]);
    compiled.set(name, profile);
  }
  return profile;
}
