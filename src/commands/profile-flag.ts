import { isProfileName, loadProfile, PROFILE_NAMES } from "../iso8583/profiles/index.ts";
import type { CompiledProfile } from "../iso8583/spec.ts";
import { UsageError } from "./cli.ts";

export const PROFILE_DEFAULT = "iso87-ascii";

export function profileFromFlag(value: string | undefined): CompiledProfile {
  const name = value ?? PROFILE_DEFAULT;
  if (!isProfileName(name)) throw new UsageError(`unknown profile "${name}"; choose one of ${PROFILE_NAMES.join(", ")}`);
  return loadProfile(name);
}
