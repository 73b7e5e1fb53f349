/**
 * The schema as versioned migrations, applied in order at start-up; PRAGMA user_version records the last
 * one applied. A migration is never edited once released: a change is a new entry at the end.
 *
 * Layout choices that keep an authorization cheap to write (see sqlite-ledger.ts for the whole picture):
 * - transactions is the authorization log and the account history in one table, keyed by a sequence the
 *   ledger assigns, and appended to in that order. It has no secondary index: the network key is found
 *   through transaction_keys plus the keys of the newest rows held in memory (key-index.ts), merged to
 *   disk in sorted runs (version 2; version 1 had an index on transactions(key), whose inserts at one place
 *   per acquirer in flight dominated each commit). An account's history is a chain through prev_seq
 *   (newest first) instead of an (account, time) index, whose random inserts would dominate each commit.
 * - A hold is the pending entry of the transaction that placed it, kept in that row's hold_* columns
 *   (state pending → posted / voided / expired, amount lowered by partial releases): one row written per
 *   authorization instead of two. Since version 3 a later change to a row (its status, reversed amount
 *   or hold) is a row of transaction_changes with the same sequence, and reads go through the view
 *   transactions_now: a reversal or an advice no longer writes its original's old page again. Holds expire in the order they were placed, which is sequence order, so
 *   expiry walks the table from the oldest pending hold (remembered in meta) and needs no index.
 * - journal_lines holds posted money only; each transaction's lines sum to zero.
 * - The transactions table has no CHECK constraints: on a row written per authorization they cost about
 *   a microsecond each. Its values come from typed code that asserts them (kind, status, hold state),
 *   and checkConsistency() verifies the holds.
 * - The outbox keeps every event, delivered or not, until pruning deletes it past the retention (version
 *   4): `queued` = 1 while a webhook delivery is due, and a partial index on those rows is the delivery
 *   queue, so claiming never walks the delivered ones. Event sequences are never reused (meta remembers
 *   the highest one pruned).
 * - An event stores its account's ledger and available balances as they were right after its change
 *   (version 5), so the webhook body shows what that change left.
 * - Derived per-card and per-account values (daily usage, history head) are checkpointed, not written on
 *   every batch: at start-up the ledger reads the checkpoint and replays the transactions after it.
 */
export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "users, accounts, cards, transactions with their holds, journal, top-ups, early reversals, outbox",
    sql: `
CREATE TABLE meta (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE users (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  external_id TEXT UNIQUE,
  name TEXT,
  created_at_ms INTEGER NOT NULL
);

CREATE TABLE accounts (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('cardholder', 'funding', 'settlement')),
  user_seq INTEGER UNIQUE REFERENCES users (seq),
  currency INTEGER NOT NULL CHECK (currency BETWEEN 1 AND 999),
  ledger_balance_minor INTEGER NOT NULL DEFAULT 0,
  history_head_seq INTEGER,
  created_at_ms INTEGER NOT NULL,
  CHECK ((kind = 'cardholder') = (user_seq IS NOT NULL))
);
CREATE UNIQUE INDEX accounts_system ON accounts (kind, currency) WHERE user_seq IS NULL;

CREATE TABLE cards (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  user_seq INTEGER NOT NULL REFERENCES users (seq),
  account_seq INTEGER NOT NULL REFERENCES accounts (seq),
  pan_index TEXT NOT NULL UNIQUE,
  pan_sealed BLOB NOT NULL,
  pan_masked TEXT NOT NULL,
  last4 TEXT NOT NULL,
  expiry TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'lost', 'stolen', 'closed')),
  per_transaction_max_minor INTEGER,
  per_day_amount_max_minor INTEGER,
  per_day_count_max INTEGER,
  usage_day INTEGER NOT NULL DEFAULT 0,
  usage_amount_minor INTEGER NOT NULL DEFAULT 0,
  usage_count INTEGER NOT NULL DEFAULT 0,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL
);
CREATE INDEX cards_user ON cards (user_seq);

CREATE TABLE transactions (
  seq INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  mti INTEGER,
  key TEXT,
  card_seq INTEGER,
  account_seq INTEGER,
  prev_seq INTEGER,
  request_amount_minor INTEGER,
  request_currency INTEGER,
  billing_amount_minor INTEGER,
  billing_currency INTEGER,
  amount_minor INTEGER,
  approved_amount_minor INTEGER,
  account_currency INTEGER,
  response_code TEXT,
  approval_code TEXT,
  available_balance_minor INTEGER,
  status TEXT NOT NULL,
  reason TEXT,
  network_response_code TEXT,
  network_approval_code TEXT,
  original_key TEXT,
  replacement_amount_minor INTEGER,
  related_seq INTEGER,
  reversed_amount_minor INTEGER NOT NULL DEFAULT 0,
  hold_amount_minor INTEGER,
  hold_state TEXT,
  hold_resolved_at_ms INTEGER,
  usage_day INTEGER,
  processing_code TEXT,
  retrieval_reference TEXT,
  merchant_category TEXT,
  terminal_id TEXT,
  merchant_id TEXT,
  merchant_name_location TEXT,
  received_at_ms INTEGER,
  created_at_ms INTEGER NOT NULL
);
CREATE INDEX transactions_key ON transactions (key) WHERE key IS NOT NULL;

CREATE TABLE journal_lines (
  seq INTEGER PRIMARY KEY,
  txn_seq INTEGER NOT NULL,
  account_seq INTEGER NOT NULL,
  amount_minor INTEGER NOT NULL
);

CREATE TABLE topups (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  user_seq INTEGER NOT NULL REFERENCES users (seq),
  idempotency_key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  amount_minor INTEGER NOT NULL,
  currency INTEGER NOT NULL,
  txn_seq INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  UNIQUE (user_seq, idempotency_key)
);

CREATE TABLE early_reversals (
  original_key TEXT PRIMARY KEY,
  remaining_minor INTEGER NOT NULL,
  reversal_seq INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE outbox (
  seq INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  account_seq INTEGER NOT NULL,
  txn_seq INTEGER,
  data TEXT,
  created_at_ms INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  lease_owner TEXT,
  lease_until_ms INTEGER,
  next_attempt_at_ms INTEGER NOT NULL DEFAULT 0,
  last_error TEXT
);
`,
  },
  {
    version: 2,
    description: "the network key index moves from transactions(key) to transaction_keys, ordered by DE 7 first, merged in runs",
    // The key with its last part (DE 7) moved to the front, as keyTimeFirst() computes it; written out here
    // because a released migration never changes.
    sql: `
CREATE TABLE transaction_keys (
  key_time_first TEXT NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (key_time_first, seq)
) WITHOUT ROWID;

INSERT INTO transaction_keys (key_time_first, seq)
SELECT CASE WHEN instr(key, ':') = 0 THEN key
    ELSE substr(key, length(rtrim(key, replace(key, ':', ''))) + 1) || ':' || substr(key, 1, length(rtrim(key, replace(key, ':', ''))) - 1) END,
  seq
FROM transactions WHERE key IS NOT NULL ORDER BY 1, 2;

INSERT INTO meta (name, value) SELECT 'keys_merged_through_seq', CAST(COALESCE(MAX(seq), 0) AS TEXT) FROM transactions;

DROP INDEX transactions_key;
`,
  },
  {
    version: 3,
    description: "a change to a stored transaction (status, reversed amount, hold) is a row of transaction_changes, read through transactions_now",
    // A reversal or an advice changes a transaction from a few thousand rows back: updating that row wrote
    // its whole page again, which had long left the commits' hot pages. Its change is a row keyed by the
    // same sequence instead, near the right edge of a small table, and every read of the changeable
    // columns goes through transactions_now (same columns, same order as transactions).
    sql: `
CREATE TABLE transaction_changes (
  seq INTEGER PRIMARY KEY,
  status TEXT NOT NULL,
  reversed_amount_minor INTEGER NOT NULL,
  hold_amount_minor INTEGER,
  hold_state TEXT,
  hold_resolved_at_ms INTEGER
);

CREATE VIEW transactions_now AS SELECT
  t.seq,
  t.kind,
  t.mti,
  t.key,
  t.card_seq,
  t.account_seq,
  t.prev_seq,
  t.request_amount_minor,
  t.request_currency,
  t.billing_amount_minor,
  t.billing_currency,
  t.amount_minor,
  t.approved_amount_minor,
  t.account_currency,
  t.response_code,
  t.approval_code,
  t.available_balance_minor,
  CASE WHEN c.seq IS NULL THEN t.status ELSE c.status END AS status,
  t.reason,
  t.network_response_code,
  t.network_approval_code,
  t.original_key,
  t.replacement_amount_minor,
  t.related_seq,
  CASE WHEN c.seq IS NULL THEN t.reversed_amount_minor ELSE c.reversed_amount_minor END AS reversed_amount_minor,
  CASE WHEN c.seq IS NULL THEN t.hold_amount_minor ELSE c.hold_amount_minor END AS hold_amount_minor,
  CASE WHEN c.seq IS NULL THEN t.hold_state ELSE c.hold_state END AS hold_state,
  CASE WHEN c.seq IS NULL THEN t.hold_resolved_at_ms ELSE c.hold_resolved_at_ms END AS hold_resolved_at_ms,
  t.usage_day,
  t.processing_code,
  t.retrieval_reference,
  t.merchant_category,
  t.terminal_id,
  t.merchant_id,
  t.merchant_name_location,
  t.received_at_ms,
  t.created_at_ms
FROM transactions t LEFT JOIN transaction_changes c ON c.seq = t.seq;
`,
  },
  {
    version: 4,
    description: "delivered events stay in the outbox (queued = 0) until pruned; event sequences are never reused",
    // Until now a delivered event's row was deleted and the next sequence came from the highest row left,
    // so a drained outbox numbered its events from 1 again after a restart. Rows now leave only by pruning,
    // which records the highest sequence it deleted in meta (outbox_used_through_seq); numbering continues
    // above both. How many events an upgraded file numbered before is unknown: at most one per transaction
    // row plus one per card change, which nothing counts — so it continues 2^32 past its largest
    // transaction, more card changes than any file has had. Ids stay unique and in creation order.
    sql: `
ALTER TABLE outbox ADD COLUMN queued INTEGER NOT NULL DEFAULT 1;
ALTER TABLE outbox ADD COLUMN delivered_at_ms INTEGER;
CREATE INDEX outbox_queued ON outbox (seq) WHERE queued = 1;

INSERT INTO meta (name, value) SELECT 'outbox_used_through_seq', CAST(MAX(
    COALESCE((SELECT MAX(seq) FROM outbox), 0),
    CASE WHEN EXISTS (SELECT 1 FROM transactions) OR EXISTS (SELECT 1 FROM cards)
      THEN COALESCE((SELECT MAX(seq) FROM transactions), 0) + 4294967296 ELSE 0 END) AS TEXT);
`,
  },
  {
    version: 5,
    description: "an event keeps its account's balances right after its change; top-ups are found by their transaction",
    // A webhook body shows the balance the change left, not the one at delivery: the writer stores it with
    // the event, in the same transaction. Events written before have none (null). History and events name
    // a top-up by its own id, found through topups(txn_seq).
    sql: `
ALTER TABLE outbox ADD COLUMN ledger_balance_minor INTEGER;
ALTER TABLE outbox ADD COLUMN available_balance_minor INTEGER;
CREATE INDEX topups_txn ON topups (txn_seq);
`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
