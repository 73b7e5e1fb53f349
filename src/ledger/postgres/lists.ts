import { decodeCursor, encodeCursor } from "../ids.ts";
import { LedgerError, type AccountBalances, type Card, type User } from "../ledger.ts";
import { balancesOf, cardOf, checkPageLimit, userOf } from "../views.ts";
import type { PostgresContext } from "./context.ts";
import { int } from "./rows.ts";
import { ACCOUNT_SELECT, CARD_SELECT, accountStateOf, cardStateOf, type Row } from "./state-rows.ts";

/**
 * Lists of users and of a user's cards, newest first. A cursor is the next row's sequence (identity
 * columns only grow), so pages stay stable while new rows arrive; one row more than the page says whether
 * more follow. Read without locks: each row is as some committed transaction left it.
 */
const BIGINT_MAX = "9223372036854775807";

function columns(select: string, alias: string): string {
  return select.split(", ").map((column) => `${alias}.${column}`).join(", ");
}

export async function listUsers(
  ctx: PostgresContext,
  page: { limit: number; cursor?: string | null; externalId?: string | null },
): Promise<{ items: Array<{ user: User; balances: AccountBalances }>; nextCursor: string | null }> {
  checkPageLimit(page.limit);
  const from = page.cursor ? String(decodeCursor(page.cursor)) : BIGINT_MAX;
  const externalId = page.externalId ?? null;
  const rows = await ctx.transactions.statement(
    "list users",
    (sql) => sql<Row[]>`SELECT u.seq AS user_seq_, u.id AS user_id, u.external_id, u.name, u.created_at_ms AS user_created_at_ms,
      ${sql.unsafe(columns(ACCOUNT_SELECT, "a"))} FROM users u JOIN accounts a ON a.user_seq = u.seq
      WHERE u.seq <= ${from}::bigint AND (${externalId}::text IS NULL OR u.external_id = ${externalId}::text)
      ORDER BY u.seq DESC LIMIT ${page.limit + 1}`,
  );
  const next = rows.length > page.limit ? rows.pop()! : null;
  const items = rows.map((row) => ({
    user: userOf({
      seq: int(row.user_seq_),
      id: row.user_id as string,
      external_id: row.external_id as string | null,
      name: row.name as string | null,
      created_at_ms: int(row.user_created_at_ms),
    }),
    balances: balancesOf(accountStateOf(row)),
  }));
  return { items, nextCursor: next === null ? null : encodeCursor(int(next.user_seq_)) };
}

export async function listCards(
  ctx: PostgresContext,
  userId: string,
  page: { limit: number; cursor?: string | null },
): Promise<{ items: Card[]; nextCursor: string | null }> {
  checkPageLimit(page.limit);
  const from = page.cursor ? String(decodeCursor(page.cursor)) : BIGINT_MAX;
  const [users, rows] = await Promise.all([
    ctx.transactions.statement("list cards", (sql) => sql<Row[]>`SELECT seq FROM users WHERE id = ${userId}`),
    ctx.transactions.statement(
      "list cards",
      (sql) => sql<Row[]>`SELECT ${sql.unsafe(columns(CARD_SELECT, "c"))} FROM cards c JOIN users u ON u.seq = c.user_seq
        WHERE u.id = ${userId} AND c.seq <= ${from}::bigint ORDER BY c.seq DESC LIMIT ${page.limit + 1}`,
    ),
  ]);
  if (users.length === 0) throw new LedgerError("not_found", "no such user");
  const next = rows.length > page.limit ? rows.pop()! : null;
  const items = rows.map((row) => cardOf(cardStateOf(row, ctx.limitDefaults), userId));
  return { items, nextCursor: next === null ? null : encodeCursor(int(next.seq)) };
}
