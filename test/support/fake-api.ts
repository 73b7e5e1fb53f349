import { luhnCheckDigit } from "../../src/sim/card-plan.ts";
import type { FakeCard, FakeProcessor } from "./fake-processor.ts";

/**
 * Just enough of the Processor API for the simulator's seeding and cross-check, over the fake
 * processor's ledger: users with one account, cards, top-ups, status changes, balances.
 */
export interface FakeApi {
  readonly url: string;
  readonly calls: string[];
  /** Makes GET /v1/users/:id report `delta` more available balance than there is, for one user. */
  lieAbout(userId: string, delta: number): void;
  /**
   * The next `count` reads (GET) answer 503 unavailable, as a ledger cut off does: of histories only, or of
   * balances and histories alike.
   */
  failReads(count: number, which: "history" | "all"): void;
  /** Reads answered 503 so far. */
  readonly readsFailed: number;
  readonly userIds: string[];
  stop(): void;
}

export function startFakeApi(processor: FakeProcessor, token: string): FakeApi {
  const users = new Map<string, { id: string; card: FakeCard | null }>();
  const cardsById = new Map<string, FakeCard>();
  const topups = new Set<string>();
  const lies = new Map<string, number>();
  const calls: string[] = [];
  let readsToFail = 0;
  let failHistoryOnly = false;
  let readsFailed = 0;
  let next = 0;
  const json = (status: number, body: unknown) => Response.json(body, { status });
  const error = (status: number, code: string) => json(status, { error: { code, message: code } });
  const userJson = (user: { id: string; card: FakeCard | null }) => {
    const card = user.card;
    const available = (card?.available ?? 0) + (lies.get(user.id) ?? 0);
    const ledger = card?.ledger ?? 0;
    return {
      id: user.id,
      external_id: null,
      name: null,
      created_at: "2026-01-01T00:00:00Z",
      account: { id: `acc_${user.id}`, currency: "JPY", ledger_balance: ledger, available_balance: available, held_amount: ledger - available },
    };
  };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const url = new URL(request.url);
      calls.push(`${request.method} ${url.pathname.replace(/\/(usr|crd)_\d+/g, "/:id")}`);
      if (request.headers.get("authorization") !== `Bearer ${token}`) return error(401, "unauthorized");
      const body = request.method === "GET" ? {} : ((await request.json()) as Record<string, unknown>);
      const parts = url.pathname.split("/").filter(Boolean);
      if (request.method === "POST" && url.pathname === "/v1/users") {
        const user = { id: `usr_${++next}`, card: null };
        users.set(user.id, user);
        return json(201, userJson(user));
      }
      const user = parts[1] === "users" ? users.get(parts[2] ?? "") : undefined;
      if (request.method === "GET" && readsToFail > 0 && (!failHistoryOnly || parts[3] === "transactions")) {
        readsToFail--;
        readsFailed++;
        return json(503, { error: { code: "unavailable", message: "the ledger is unavailable; retry later" } });
      }
      if (request.method === "GET" && parts.length === 3 && user) return json(200, userJson(user));
      if (request.method === "GET" && parts[3] === "transactions" && user) {
        // One page holds everything: the simulator's runs are short.
        return json(200, { data: user.card === null ? [] : processor.history(user.card.pan), next_cursor: null });
      }
      if (request.method === "POST" && parts[3] === "cards" && user) {
        const body15 = String(900_000_000_000_000 + ++next).slice(0, 15);
        const limits = (body.limits ?? {}) as Record<string, number>;
        const card: FakeCard = {
          pan: body15 + luhnCheckDigit(body15),
          expiry: String(body.expiry),
          status: "active",
          limits: {
            perTransactionMax: limits.per_transaction_max ?? 1e9,
            perDayAmountMax: limits.per_day_amount_max ?? 1e12,
            perDayCountMax: limits.per_day_count_max ?? 1e6,
          },
          available: 0,
          ledger: 0,
          day: 0,
          dayAmount: 0,
          dayCount: 0,
        };
        processor.cards.set(card.pan, card);
        user.card = processor.cards.get(card.pan)!;
        const id = `crd_${next}`;
        cardsById.set(id, user.card);
        return json(201, { id, user_id: user.id, pan: card.pan, pan_masked: "x", last4: card.pan.slice(-4), expiry: card.expiry, status: "active", limits: body.limits });
      }
      if (request.method === "POST" && parts[3] === "topups" && user?.card) {
        const key = request.headers.get("idempotency-key") ?? "";
        if (!topups.has(key)) {
          topups.add(key);
          user.card.available += Number(body.amount);
          user.card.ledger += Number(body.amount);
        }
        return json(201, { id: `top_${next}`, user_id: user.id, amount: body.amount, currency: "JPY" });
      }
      if (request.method === "PATCH" && parts[1] === "cards") {
        const card = cardsById.get(parts[2] ?? "");
        if (!card) return error(404, "not_found");
        card.status = String(body.status ?? card.status);
        return json(200, { id: parts[2], status: card.status });
      }
      return error(404, "not_found");
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    calls,
    get userIds() {
      return [...users.keys()];
    },
    lieAbout: (userId, delta) => lies.set(userId, delta),
    failReads: (count, which) => {
      readsToFail = count;
      failHistoryOnly = which === "history";
    },
    get readsFailed() {
      return readsFailed;
    },
    stop: () => server.stop(true),
  };
}
