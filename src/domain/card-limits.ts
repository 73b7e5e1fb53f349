/** A card's spending limits, minor units of the account's currency. */
export interface CardLimits {
  /** Largest single authorization, minor units. */
  readonly perTransactionMax: number;
  /** Sum of approved authorizations per (UTC) day, minor units. */
  readonly perDayAmountMax: number;
  /** Number of approved authorizations per (UTC) day. */
  readonly perDayCountMax: number;
}
