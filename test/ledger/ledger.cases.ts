import { apiCases } from "./cases/api-cases.ts";
import { appDeveloperCases } from "./cases/app-developer-cases.ts";
import { authorizationCases } from "./cases/authorization-cases.ts";
import { lifecycleCases } from "./cases/lifecycle-cases.ts";
import { eventRetentionCases, outboxCases } from "./cases/outbox-cases.ts";
import { reversalAndAdviceCases } from "./cases/reversal-advice-cases.ts";
import type { OpenHarness } from "./harness.ts";
import { propertyCases } from "./ledger.property.ts";

/**
 * The behaviour every Ledger implementation must show, written once. An implementation's test file calls
 * ledgerCases with a way to open a fresh, empty ledger (see harness.ts); nothing here knows which one.
 */
export function ledgerCases(name: string, open: OpenHarness): void {
  apiCases(name, open);
  appDeveloperCases(name, open);
  authorizationCases(name, open);
  reversalAndAdviceCases(name, open);
  lifecycleCases(name, open);
  outboxCases(name, open);
  eventRetentionCases(name, open);
  propertyCases(name, open);
}
