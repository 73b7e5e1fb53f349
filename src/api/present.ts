import type { z } from "zod";
import { RESPONSE_CODES, type ResponseCode } from "../domain/response-codes.ts";
import type { AccountBalances, Card, TopUp, TransactionRecord, User } from "../ledger/ledger.ts";
import { maskText } from "../ops/mask.ts";
import { currencyAlpha } from "../domain/currency.ts";
import type * as schemas from "./schemas.ts";
import { splitMerchant } from "../ledger/views.ts";

/**
 * Ledger records as the API's snake_case JSON. Pure functions; the only place that knows both shapes.
 * Free text from the network (merchant names) goes through maskText: an acquirer may put anything there.
 */
export function userJson(user: User, balances: AccountBalances): z.output<typeof schemas.User> {
  return {
    id: user.id,
    external_id: user.externalId,
    name: user.name,
    created_at: user.createdAt,
    account: {
      id: balances.accountId,
      currency: currencyAlpha(balances.currency),
      ledger_balance: balances.ledgerBalance,
      available_balance: balances.availableBalance,
      held_amount: balances.heldAmount,
    },
  };
}

export function cardJson(card: Card): z.output<typeof schemas.Card> {
  return {
    id: card.id,
    user_id: card.userId,
    pan_masked: card.panMasked,
    last4: card.last4,
    expiry: card.expiry,
    status: card.status,
    limits: {
      per_transaction_max: card.limits.perTransactionMax,
      per_day_amount_max: card.limits.perDayAmountMax,
      per_day_count_max: card.limits.perDayCountMax,
    },
    created_at: card.createdAt,
    updated_at: card.updatedAt,
  };
}

export function topUpJson(topUp: TopUp): z.output<typeof schemas.TopUp> {
  return {
    id: topUp.id,
    transaction_id: topUp.transactionId,
    user_id: topUp.userId,
    amount: topUp.amount,
    currency: currencyAlpha(topUp.currency),
    created_at: topUp.createdAt,
  };
}

export function transactionJson(record: TransactionRecord): z.output<typeof schemas.Transaction> {
  const merchant = splitMerchant(record.merchantNameLocation);
  return {
    id: record.id,
    type: record.kind,
    topup_id: record.topUpId,
    status: record.status,
    amount: record.amount,
    approved_amount: record.approvedAmount ?? null,
    currency: currencyAlpha(record.currency),
    card_id: record.cardId,
    pan_masked: record.panMasked === null ? null : maskText(record.panMasked),
    response_code: record.responseCode,
    approval_code: record.approvalCode,
    reason: record.reason ?? (record.status === "declined" ? declineReason(record.responseCode) : null),
    merchant_name: merchant.name,
    merchant_location: merchant.location,
    merchant_category: record.merchantCategory,
    created_at: record.createdAt,
  };
}

/** The API's reason for a declined transaction that stored none of its own (the response-code table's). */
export function declineReason(code: ResponseCode | null): string | null {
  return code === null ? null : (RESPONSE_CODES[code]?.declineReason ?? `response_code_${code}`);
}
