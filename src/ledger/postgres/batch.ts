import type { ApprovalCodeSource } from "../../authorize/approval-code.ts";
import { Authorizer, keysOf } from "../decision/authorizer.ts";
import { LedgerState } from "../decision/state.ts";
import type { NetworkRecord, RecordSource, RecordsByKey } from "../decision/records.ts";
import type { AuthorizationDecision, AuthorizationRequest } from "../../domain/authorization.ts";
import type { CardLimits } from "../../domain/card-limits.ts";
import { PAN_INDEX_BYTES } from "../pan-vault.ts";
import type { Directory } from "./directory.ts";
import { int, TRANSACTION_SELECT, transactionRowOf } from "./rows.ts";
import { KEYED_MTIS } from "./schema.ts";
import { ACCOUNT_SELECT, CARD_SELECT, stateOf, type Row } from "./state-rows.ts";
import { ensureSystemAccounts } from "./system-accounts.ts";
import type { Session, Transactions } from "./transaction.ts";
import { PostgresTransactionWriter } from "./transaction-writer.ts";
import { AssertionFailure } from "../../ops/assert.ts";

/**
 * One batch of authorizations as one PostgreSQL transaction, safe against other instances deciding on the
 * same accounts at the same moment:
 *
 * 1. The batch's PANs are hashed and mapped to cards and their accounts (remembered, else one query).
 * 2. BEGIN, and in the same round trip: lock the batch's accounts (SELECT … FOR UPDATE, in account order,
 *    so two instances never wait on each other in a cycle), then — each statement seeing everything
 *    committed before the locks were granted — read the cards, the stored records of every key the batch
 *    names, the early reversals under those keys, and take blocks of row and event sequences.
 * 3. A record may name an account or a card not yet locked (a reversal whose PAN differs from its
 *    original's): the transaction starts over with those added, at most EXPANSIONS_MAX times.
 * 4. The shared Authorizer decides the batch in memory against that state — the same rules and the same
 *    glue as SQLite — and the writer's statements go out with COMMIT in one round trip.
 * 5. Should the answer to COMMIT be lost, run() returns only once the server has said what became of the
 *    transaction (transaction.ts, commit-check.ts): the decisions when it committed — exactly what it
 *    wrote — else a rejection. Nothing of a batch outlives it in memory either way: the directory
 *    remembers only rows read as committed (cards, system accounts), and the next batch rebuilds its
 *    state from fresh reads.
 *
 * Every writer of an account's rows holds its lock, so what step 2 reads is complete: a duplicate
 * decided on another instance is found and replayed. A key whose records have no account (no such card)
 * is guarded by the unique index instead: the slower transaction fails there and runs again, and then
 * finds the first answer.
 *
 * The messages of one network transaction meet through the account their PAN names. A reversal or an
 * advice carrying another PAN than its original, arriving at the very moment the original is decided on
 * another instance, takes other locks and may miss it (the hold then waits for expiry); once either has
 * committed, step 3 finds it.
 */
export const EXPANSIONS_MAX = 3;

export interface BatchOptions {
  readonly transactions: Transactions;
  readonly directory: Directory;
  readonly panIndexInto: (pan: string, out: Uint8Array) => void;
  readonly approvalCodes: () => ApprovalCodeSource;
  readonly limitDefaults: CardLimits;
  readonly clock: () => number;
  /** Events are written queued for webhook delivery, or only kept (no webhook configured). */
  readonly queueEvents: boolean;
}

/** Records read for the batch's keys, handed to the Authorizer as its RecordSource. */
class ReadRecords implements RecordSource {
  records: NetworkRecord[] = [];
  read(_keys: readonly string[], into: RecordsByKey): void {
    for (const record of this.records) into.add(record);
  }
}

/**
 * An Authorizer with its writer and record source; one per batch in flight, reused. The worker owns the
 * state of its transaction under way (built from the rows just locked): the Authorizer and the writer
 * read it from here.
 */
interface Worker {
  state: LedgerState;
  readonly authorizer: Authorizer;
  readonly writer: PostgresTransactionWriter;
  readonly reader: ReadRecords;
}

export class BatchAuthorizer {
  private readonly idle: Worker[] = [];

  constructor(private readonly options: BatchOptions) {}

  async run(requests: readonly AuthorizationRequest[]): Promise<AuthorizationDecision[]> {
    const worker = this.idle.pop() ?? this.newWorker();
    try {
      worker.authorizer.prepare(requests);
      const keys = keysOf(requests);
      return await this.options.transactions.run("authorization batch", (session) => this.decide(session, worker, requests, keys));
    } finally {
      this.idle.push(worker);
    }
  }

  private newWorker(): Worker {
    const reader = new ReadRecords();
    const state = () => worker.state;
    const writer = new PostgresTransactionWriter(state, { queueEvents: this.options.queueEvents });
    const authorizer = new Authorizer({ state, reader, writer, panIndexInto: this.options.panIndexInto, approvalCodes: this.options.approvalCodes() });
    const worker: Worker = { state: new LedgerState(), authorizer, writer, reader };
    return worker;
  }

  private async decide(session: Session<AuthorizationDecision[]>, worker: Worker, requests: readonly AuthorizationRequest[], keys: string[]): Promise<AuthorizationDecision[]> {
    const { accountSeqs, cardSeqs } = await this.cardsOf(session, worker, requests.length);
    for (let expansion = 0; ; expansion++) {
      const sortedAccounts = [...accountSeqs].sort((a, b) => a - b);
      const [accounts, cards, records, earlyReversals, blocks] = await session.begin([
        session.sql.unsafe<Row[]>(`SELECT ${ACCOUNT_SELECT} FROM accounts WHERE seq = ANY($1::bigint[]) ORDER BY seq FOR UPDATE`, [sortedAccounts]),
        session.sql.unsafe<Row[]>(`SELECT ${CARD_SELECT} FROM cards WHERE seq = ANY($1::bigint[])`, [[...cardSeqs]]),
        session.sql.unsafe<Row[]>(`SELECT ${TRANSACTION_SELECT} FROM transactions WHERE key = ANY($1::text[]) AND mti IN ${KEYED_MTIS}`, [keys]),
        session.sql.unsafe<Row[]>("SELECT original_key, remaining_minor, reversal_seq, created_at_ms FROM early_reversals WHERE original_key = ANY($1::text[])", [keys]),
        session.sql<Row[]>`SELECT nextval('transaction_blocks') AS txn, nextval('outbox_blocks') AS outbox`,
      ]);
      worker.reader.records = records.map(storedRecordOf);
      const missing = missingFrom(worker.reader.records, cards, accountSeqs, cardSeqs);
      if (missing) {
        if (expansion >= EXPANSIONS_MAX) throw new AssertionFailure("the batch's records keep naming accounts it has not locked");
        await session.sql`ROLLBACK`;
        continue;
      }
      await ensureSystemAccounts(session.sql, this.options.directory, accounts);
      const block = blocks[0]!;
      worker.state = stateOf(
        { accounts: accounts, cards: cards, earlyReversals: earlyReversals, txnBlockStart: int(block.txn), limitDefaults: this.options.limitDefaults },
        this.options.directory,
      );
      worker.writer.begin(int(block.outbox));
      const decisions = worker.authorizer.decidePrepared(requests, this.options.clock());
      // Should the answer to COMMIT be lost, these are returned if and only if the server committed them.
      return await session.commitWith(worker.writer.statements(session.sql), decisions);
    }
  }

  /** The cards the batch's PANs name and their accounts; PANs not remembered are looked up (one query). */
  private async cardsOf(session: Session, worker: Worker, count: number): Promise<{ accountSeqs: Set<number>; cardSeqs: Set<number> }> {
    const { bytes, has } = worker.authorizer.preparedIndexes();
    const directory = this.options.directory;
    const unknown = new Set<string>();
    for (let i = 0; i < count; i++) {
      if (has[i] && directory.card(bytes, i * PAN_INDEX_BYTES) === null) {
        unknown.add(Buffer.from(bytes.buffer, bytes.byteOffset + i * PAN_INDEX_BYTES, PAN_INDEX_BYTES).toString("base64"));
      }
    }
    if (unknown.size > 0) {
      const rows = await session.sql`SELECT seq, account_seq, pan_index FROM cards WHERE pan_index = ANY(${[...unknown]}::text[])`;
      for (const row of rows as Array<{ seq: unknown; account_seq: unknown; pan_index: string }>) directory.rememberCard(row);
    }
    const accountSeqs = new Set<number>();
    const cardSeqs = new Set<number>();
    for (let i = 0; i < count; i++) {
      const ref = has[i] ? directory.card(bytes, i * PAN_INDEX_BYTES) : null;
      if (ref === null) continue;
      accountSeqs.add(ref.accountSeq);
      cardSeqs.add(ref.seq);
    }
    return { accountSeqs, cardSeqs };
  }
}

function storedRecordOf(row: Row): NetworkRecord {
  const record = transactionRowOf(row) as NetworkRecord;
  record.stored = true;
  return record;
}

/**
 * Adds to the sets what the records and cards name but the transaction has not locked or read; true when
 * anything was missing (the transaction must start over).
 */
function missingFrom(records: readonly NetworkRecord[], cards: readonly Row[], accountSeqs: Set<number>, cardSeqs: Set<number>): boolean {
  let missing = false;
  const want = (set: Set<number>, seq: number | null) => {
    if (seq === null || set.has(seq)) return;
    set.add(seq);
    missing = true;
  };
  for (const record of records) {
    want(accountSeqs, record.accountSeq);
    want(cardSeqs, record.cardSeq);
  }
  for (const card of cards) want(accountSeqs, int(card.account_seq));
  return missing;
}
