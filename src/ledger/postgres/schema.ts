import { AUTHORIZED_MTIS } from "../../domain/message-kinds.ts";
import { TRANSACTION_COLUMNS } from "../decision/records.ts";
import { AssertionFailure } from "../../ops/assert.ts";

/**
 * The PostgreSQL schema as versioned migrations, the same model as the SQLite ledger's (users, accounts,
 * cards, transactions carrying their holds, journal lines, top-ups, early reversals, outbox) in
 * PostgreSQL's types. schema_migrations records what was applied; a migration is never edited once
 * released: a change is a new entry at the end.
 *
 * What differs, because several instances write the same tables:
 * - A transaction key is unique per message kind (unique index): a duplicate that two instances decide
 *   at the same moment cannot be stored twice; the second transaction fails and is decided again.
 * - Row sequences come from sequences in blocks of SEQUENCE_BLOCK: a transaction takes one block after
 *   it has locked its accounts, so each account's rows and events are numbered in commit order.
 * - Each account row keeps its held amount and history head (SQLite derives them at start-up): a batch
 *   on another instance must see them. The program's system accounts (funding, settlement) are touched
 *   by every top-up and every 0200: a stored balance there would make every instance wait on one row, so
 *   their balance is the sum of their journal lines and their stored balance stays 0.
 * - Pending holds have an index by age, which expiry walks (sequences are not in time order across
 *   instances). Accounts and cards are updated in place on every batch: a lower fillfactor keeps those
 *   updates on the same page (HOT), so their indexes are not touched.
 * - The outbox keeps delivered events until pruning deletes them past the retention (version 2); the
 *   rows still to deliver (`queued`) have a partial index, the delivery queue that claims walk.
 * - An event stores its account's ledger and available balances as they were right after its change
 *   (version 4), so the webhook body shows what that change left.
 */
export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

/** Largest number of rows (or events) one ledger transaction may add; the engine's batch is at most 4096. */
export const SEQUENCE_BLOCK = 4096;

/**
 * The MTIs whose records are unique per key and kind (resolvePrior's message kinds): the message-kind
 * table's, as the SQL list that reads records by key. The unique index transactions_key has the same list
 * in its predicate, so that those reads use it: the newest migration that creates the index spells it out
 * (a released migration never changes), and test/domain/schema-tables.test.ts checks the two agree.
 */
export const KEYED_MTIS = `(${[...AUTHORIZED_MTIS].join(", ")})`;

export type ColumnType = "bigint" | "integer" | "text";

/** PostgreSQL type of each transactions column (the column list itself is shared with SQLite). */
export const TRANSACTION_COLUMN_TYPES: Readonly<Record<string, ColumnType>> = {
  seq: "bigint",
  kind: "text",
  mti: "integer",
  key: "text",
  card_seq: "bigint",
  account_seq: "bigint",
  prev_seq: "bigint",
  request_amount_minor: "bigint",
  request_currency: "integer",
  billing_amount_minor: "bigint",
  billing_currency: "integer",
  amount_minor: "bigint",
  approved_amount_minor: "bigint",
  account_currency: "integer",
  response_code: "text",
  approval_code: "text",
  available_balance_minor: "bigint",
  status: "text",
  reason: "text",
  network_response_code: "text",
  network_approval_code: "text",
  original_key: "text",
  replacement_amount_minor: "bigint",
  related_seq: "bigint",
  reversed_amount_minor: "bigint",
  hold_amount_minor: "bigint",
  hold_state: "text",
  hold_resolved_at_ms: "bigint",
  usage_day: "integer",
  processing_code: "text",
  retrieval_reference: "text",
  merchant_category: "text",
  terminal_id: "text",
  merchant_id: "text",
  merchant_name_location: "text",
  received_at_ms: "bigint",
  created_at_ms: "bigint",
};

function transactionsTable(): string {
  const columns = TRANSACTION_COLUMNS.map(([column]) => {
    const type = TRANSACTION_COLUMN_TYPES[column];
    if (type === undefined) throw new AssertionFailure(`no PostgreSQL type for transactions.${column}`);
    const constraint = column === "seq" ? " PRIMARY KEY" : ["kind", "status", "created_at_ms"].includes(column) ? " NOT NULL" : "";
    const fallback = column === "reversed_amount_minor" ? " NOT NULL DEFAULT 0" : "";
    return `  ${column} ${type}${constraint}${fallback}`;
  });
  return `CREATE TABLE transactions (\n${columns.join(",\n")}\n)`;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "users, accounts, cards, transactions with their holds, journal, top-ups, early reversals, outbox",
    sql: `
CREATE TABLE meta (
  name text PRIMARY KEY,
  value text NOT NULL
);

CREATE TABLE users (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text NOT NULL UNIQUE,
  external_id text UNIQUE,
  name text,
  created_at_ms bigint NOT NULL
);

CREATE TABLE accounts (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text NOT NULL UNIQUE,
  kind text NOT NULL CHECK (kind IN ('cardholder', 'funding', 'settlement')),
  user_seq bigint UNIQUE REFERENCES users (seq),
  currency integer NOT NULL CHECK (currency BETWEEN 1 AND 999),
  ledger_balance_minor bigint NOT NULL DEFAULT 0,
  held_minor bigint NOT NULL DEFAULT 0,
  history_head_seq bigint,
  created_at_ms bigint NOT NULL,
  CHECK ((kind = 'cardholder') = (user_seq IS NOT NULL))
) WITH (fillfactor = 70);
CREATE UNIQUE INDEX accounts_system ON accounts (kind, currency) WHERE user_seq IS NULL;

CREATE TABLE cards (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text NOT NULL UNIQUE,
  user_seq bigint NOT NULL REFERENCES users (seq),
  account_seq bigint NOT NULL REFERENCES accounts (seq),
  pan_index text NOT NULL UNIQUE,
  pan_sealed bytea NOT NULL,
  pan_masked text NOT NULL,
  last4 text NOT NULL,
  expiry text NOT NULL,
  status text NOT NULL CHECK (status IN ('active', 'suspended', 'lost', 'stolen', 'closed')),
  per_transaction_max_minor bigint,
  per_day_amount_max_minor bigint,
  per_day_count_max integer,
  usage_day integer NOT NULL DEFAULT 0,
  usage_amount_minor bigint NOT NULL DEFAULT 0,
  usage_count integer NOT NULL DEFAULT 0,
  created_at_ms bigint NOT NULL,
  updated_at_ms bigint NOT NULL
) WITH (fillfactor = 70);
CREATE INDEX cards_user ON cards (user_seq);

CREATE SEQUENCE transaction_blocks INCREMENT BY ${SEQUENCE_BLOCK};
CREATE SEQUENCE outbox_blocks INCREMENT BY ${SEQUENCE_BLOCK};

${transactionsTable()};
CREATE UNIQUE INDEX transactions_key ON transactions (key, kind) WHERE mti IN (100, 101, 120, 121, 200, 400, 401, 420, 421);
CREATE INDEX transactions_pending_holds ON transactions (created_at_ms) WHERE hold_state = 'pending';

CREATE TABLE journal_lines (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  txn_seq bigint NOT NULL,
  account_seq bigint NOT NULL,
  amount_minor bigint NOT NULL
);

CREATE TABLE topups (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text NOT NULL UNIQUE,
  user_seq bigint NOT NULL REFERENCES users (seq),
  idempotency_key text NOT NULL,
  fingerprint text NOT NULL,
  amount_minor bigint NOT NULL,
  currency integer NOT NULL,
  txn_seq bigint NOT NULL,
  created_at_ms bigint NOT NULL,
  UNIQUE (user_seq, idempotency_key)
);

CREATE TABLE early_reversals (
  original_key text PRIMARY KEY,
  remaining_minor bigint NOT NULL,
  reversal_seq bigint NOT NULL,
  created_at_ms bigint NOT NULL
);

CREATE TABLE outbox (
  seq bigint PRIMARY KEY,
  type text NOT NULL,
  account_seq bigint NOT NULL,
  txn_seq bigint,
  data text,
  created_at_ms bigint NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  lease_owner text,
  lease_until_ms bigint,
  next_attempt_at_ms bigint NOT NULL DEFAULT 0,
  last_error text
);
`,
  },
  {
    version: 2,
    description: "delivered events stay in the outbox (queued false) until pruned; a partial index is the delivery queue",
    // Event sequences come from outbox_blocks, which never hands a value out twice: nothing to carry over.
    sql: `
ALTER TABLE outbox ADD COLUMN queued boolean NOT NULL DEFAULT true, ADD COLUMN delivered_at_ms bigint;
CREATE INDEX outbox_queued ON outbox (seq) WHERE queued;
`,
  },
  {
    version: 3,
    description: "0201 (the repeat of an 0200) is keyed like 0200: transactions_key covers it",
    // Before, an 0201 was declined 12 as an unknown message and stored as an 'authorization' row for every
    // arrival; such rows were never a prior for anything. Their key is cleared so that they stay so and two
    // of them for one key do not stop the unique index.
    sql: `
UPDATE transactions SET key = NULL WHERE mti = 201 AND kind <> 'financial';
DROP INDEX transactions_key;
CREATE UNIQUE INDEX transactions_key ON transactions (key, kind) WHERE mti IN (100, 101, 120, 121, 200, 201, 400, 401, 420, 421);
`,
  },
  {
    version: 4,
    description: "an event keeps its account's balances right after its change; top-ups are found by their transaction",
    // Events written before have no balances (null). Adding nullable columns rewrites nothing.
    sql: `
ALTER TABLE outbox ADD COLUMN ledger_balance_minor bigint, ADD COLUMN available_balance_minor bigint;
CREATE INDEX topups_txn ON topups (txn_seq);
`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
