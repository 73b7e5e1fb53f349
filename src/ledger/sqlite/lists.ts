import { decodeCursor, encodeCursor } from "../ids.ts";
import type { AccountBalances, Card, User } from "../ledger.ts";
import { balancesOf, cardOf, checkPageLimit, userOf, type UserRow } from "../views.ts";
import { requireUser } from "./cardholders.ts";
import type { SqliteContext } from "./context.ts";
import { AssertionFailure } from "../../ops/assert.ts";

/**
 * Lists of users and of a user's cards, newest first. A cursor is the next row's sequence: rows are only
 * ever added, so pages stay stable while new ones arrive. One row more than the page says whether more
 * follow. Balances, card status and limits come from the ledger's state, which is what GET of one shows.
 */
export function listUsers(
  ctx: SqliteContext,
  page: { limit: number; cursor?: string | null; externalId?: string | null },
): { items: Array<{ user: User; balances: AccountBalances }>; nextCursor: string | null } {
  checkPageLimit(page.limit);
  const from = page.cursor ? decodeCursor(page.cursor) : Number.MAX_SAFE_INTEGER;
  const rows = (
    page.externalId != null
      ? ctx.db.query("SELECT * FROM users WHERE external_id = ? AND seq <= ? ORDER BY seq DESC LIMIT ?").all(page.externalId, from, page.limit + 1)
      : ctx.db.query("SELECT * FROM users WHERE seq <= ? ORDER BY seq DESC LIMIT ?").all(from, page.limit + 1)
  ) as UserRow[];
  const next = rows.length > page.limit ? rows.pop()! : null;
  const items = rows.map((row) => {
    const account = ctx.state.accountsByUser.get(row.seq);
    if (account === undefined) throw new AssertionFailure(`user ${row.seq} has no account`);
    return { user: userOf(row), balances: balancesOf(account) };
  });
  return { items, nextCursor: next === null ? null : encodeCursor(next.seq) };
}

export function listCards(
  ctx: SqliteContext,
  userId: string,
  page: { limit: number; cursor?: string | null },
): { items: Card[]; nextCursor: string | null } {
  checkPageLimit(page.limit);
  const { row: user } = requireUser(ctx, userId);
  const from = page.cursor ? decodeCursor(page.cursor) : Number.MAX_SAFE_INTEGER;
  const seqs = ctx.db
    .query("SELECT seq FROM cards WHERE user_seq = ? AND seq <= ? ORDER BY seq DESC LIMIT ?")
    .values(user.seq, from, page.limit + 1) as Array<[number]>;
  const next = seqs.length > page.limit ? seqs.pop()! : null;
  const items = seqs.map(([seq]) => {
    const card = ctx.state.cards.get(seq);
    if (card === undefined) throw new AssertionFailure(`card ${seq} is not in the ledger's state`);
    return cardOf(card, user.id);
  });
  return { items, nextCursor: next === null ? null : encodeCursor(next[0]) };
}
