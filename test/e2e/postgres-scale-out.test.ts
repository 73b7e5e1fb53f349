import { afterEach, describe, expect, test } from "bun:test";
import { SQL } from "bun";
import { transactionKey } from "../../src/authorize/transaction-key.ts";
import { loadProfile } from "../../src/iso8583/profiles/index.ts";
import type { Ledger } from "../../src/ledger/ledger.ts";
import { openLedger } from "../../src/ledger/open.ts";
import { createTestDatabase, cutConnections, TEST_POSTGRES_URL, type TestDatabase } from "../support/postgres.ts";
import { E2E_PAN_KEY, seedCard, startProcessorProcess, type ProcessorProcess } from "../support/processor-process.ts";
import { TcpProxy } from "../support/tcp-proxy.ts";
import { TestNetwork, type NetworkConnection, type ReceivedFrame } from "../support/test-network.ts";
import { WebhookReceiver } from "../support/webhook-receiver.ts";
import { authorizationRequest, concatBytes } from "../support/wire-requests.ts";

/**
 * Scale-out end to end: two `sekisho run` processes on one PostgreSQL database, each holding its own link
 * to one test network, driven over real sockets — the same card on both links, the same request on both
 * links, both notifiers delivering the same outbox, and the database's connections cut under load.
 */
const profile = loadProfile("iso87-ascii");
const WEBHOOK_SECRET = "whsec-scale-out-0123456789";
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Cluster {
  db: TestDatabase;
  network: TestNetwork;
  processors: [ProcessorProcess, ProcessorProcess];
  links: [NetworkConnection, NetworkConnection];
}

async function startCluster(options: { webhook?: WebhookReceiver } = {}): Promise<Cluster> {
  const db = await createTestDatabase();
  cleanups.push(() => db.drop());
  const network = new TestNetwork({ profile }).listen();
  cleanups.push(() => network.close());
  const env: Record<string, string> = options.webhook ? { SEKISHO_WEBHOOK_URL: options.webhook.url, SEKISHO_WEBHOOK_SECRET: WEBHOOK_SECRET } : {};
  const args = ["--webhook-poll-ms", "20", "--webhook-retry-delay-min-ms", "20", "--postgres-statement-timeout-ms", "2000"];
  const start = () => {
    const processor = startProcessorProcess({ networkPort: network.port, db: db.url, links: 1, env, args });
    cleanups.push(async () => {
      if (processor.child.exitCode === null) {
        processor.child.kill("SIGTERM");
        await Promise.race([processor.exited, Bun.sleep(10_000)]);
        if (processor.child.exitCode === null) processor.child.kill("SIGKILL");
      }
    });
    return processor;
  };
  // One after the other: the second finds the schema the first created.
  const first = start();
  await first.waitReady();
  const second = start();
  await second.waitReady();
  await network.until(() => network.signedOnConnections().length === 2, 10_000, "both links signed on");
  const [a, b] = network.signedOnConnections();
  return { db, network, processors: [first, second], links: [a!, b!] };
}

function answers(connection: NetworkConnection): ReceivedFrame[] {
  return connection.responses().filter((r) => r.mti === "0110");
}

async function ledgerOn(db: TestDatabase): Promise<Ledger> {
  const ledger = await openLedger({ db: db.url, sqliteSynchronous: "full", sqliteBusyTimeoutMs: 1000, holdTimeoutSeconds: 7 * 86_400, currency: 392, panKey: E2E_PAN_KEY });
  cleanups.push(() => ledger.close());
  return ledger;
}

type Card = Awaited<ReturnType<typeof seedCard>>;

function purchases(card: Card, acquirer: string, stans: readonly number[], amount: (stan: number) => number): Uint8Array[] {
  return stans.map((stan) => authorizationRequest(profile, stan, { pan: card.pan, expiry: card.expiry, acquirer, amount: amount(stan) }));
}

describe("sekisho run on PostgreSQL: start-up", () => {
  test("a missing database or nothing listening: exit 3 at once, one clear line, no password", async () => {
    const network = new TestNetwork({ profile }).listen();
    cleanups.push(() => network.close());
    const missing = new URL(TEST_POSTGRES_URL);
    missing.pathname = "/sekisho_no_such_database";
    missing.password = "pw-s3cret";
    for (const [db, says] of [
      [missing.toString(), 'database "sekisho_no_such_database" does not exist'],
      ["postgres://sekisho:pw-s3cret@127.0.0.1:1/sekisho", "ERR_POSTGRES_CONNECTION_REFUSED"],
    ] as const) {
      const started = performance.now();
      const processor = startProcessorProcess({ networkPort: network.port, db });
      expect(await processor.exited).toBe(3);
      expect(performance.now() - started).toBeLessThan(10_000);
      const line = processor.stderr.join("\n");
      expect(line).toContain("sekisho run: cannot open the ledger");
      expect(line).toContain(says);
      expect(line.includes("pw-s3cret") || processor.lines.join("\n").includes("pw-s3cret")).toBe(false);
    }
  }, 30_000);
});

describe("two sekisho run processes on one PostgreSQL database", () => {
  test("the same card over both links at once: never more approved than its balance", async () => {
    const { network, processors, links, db } = await startCluster();
    const card = await seedCard(processors[0], 5_000);
    const stans = Array.from({ length: 150 }, (_, i) => i + 1);
    // Rounds of ten on each link, written at the same moment, so that both instances decide on the card.
    for (let round = 0; round < 15; round++) {
      const slice = stans.slice(round * 10, round * 10 + 10);
      await Promise.all(
        links.map((link, i) => network.write(link, concatBytes(purchases(card, String(30_000_000 + i), slice, () => 100).map((f) => network.framed(f))))),
      );
      await network.until(() => links.every((link) => answers(link).length === slice.at(-1)), 20_000, `round ${round} answered`);
    }
    const codes = links.flatMap((link) => answers(link).map((r) => r.fields.get(39)!));
    expect(codes.filter((code) => code === "00")).toHaveLength(50); // 5,000 / 100, and not one more
    expect(codes.filter((code) => code === "51")).toHaveLength(250);
    expect(links.every((link) => answers(link).some((r) => r.fields.get(39) === "00"))).toBe(true); // both decided some
    const user = await processors[1].api("GET", `/v1/users/${card.userId}`);
    expect(user.json.account).toMatchObject({ ledger_balance: 5_000, held_amount: 5_000, available_balance: 0 });
    expect(await (await ledgerOn(db)).checkConsistency()).toMatchObject({ consistent: true });
  }, 60_000);

  test("a request sent on both links at once gets the first answer on both; one hold", async () => {
    const { network, processors, links, db } = await startCluster();
    const cards = [await seedCard(processors[0], 5_000), await seedCard(processors[1], 5_000)];
    const unknown = { ...cards[0]!, pan: "4999999999999999" };
    const stans = Array.from({ length: 120 }, (_, i) => i + 1);
    const frames = stans.map((stan) => {
      const card = stan % 6 === 0 ? unknown : cards[stan % 2]!;
      return network.framed(authorizationRequest(profile, stan, { pan: card.pan, expiry: card.expiry, acquirer: "40000000", amount: 150 + stan }));
    });
    // The same frames — same acquirer, STAN and DE 7, so the same transaction keys — on both links.
    await Promise.all(links.map((link) => network.write(link, concatBytes(frames))));
    await network.until(() => links.every((link) => answers(link).length === stans.length), 20_000, "every request answered");
    const byStan = (link: NetworkConnection) => new Map(answers(link).map((r) => [r.fields.get(11)!, r]));
    const [onA, onB] = links.map(byStan);
    let approvedAmount = 0;
    for (const stan of stans) {
      const key = String(stan).padStart(6, "0");
      const [x, y] = [onA!.get(key)!, onB!.get(key)!];
      expect({ code: y.fields.get(39), approval: y.fields.get(38) }).toEqual({ code: x.fields.get(39), approval: x.fields.get(38) });
      if (x.fields.get(39) === "00") approvedAmount += 150 + stan;
    }
    expect([...onA!.values()].filter((r) => r.fields.get(39) === "14")).toHaveLength(20);
    const held = await Promise.all(cards.map(async (card) => (await processors[0].api("GET", `/v1/users/${card.userId}`)).json.account.held_amount as number));
    expect(held[0]! + held[1]!).toBe(approvedAmount);
    expect(await (await ledgerOn(db)).checkConsistency()).toMatchObject({ consistent: true, keysWithSeveralHolds: 0 });
  }, 60_000);

  test("both notifiers deliver the one outbox: every event exactly once, each account's in order", async () => {
    const receiver = new WebhookReceiver(WEBHOOK_SECRET);
    cleanups.push(() => receiver.stop());
    const { network, processors, links, db } = await startCluster({ webhook: receiver });
    const cards: Card[] = [];
    for (let i = 0; i < 6; i++) cards.push(await seedCard(processors[i % 2]!, 50_000));
    const stans = Array.from({ length: 60 }, (_, i) => i + 1);
    await Promise.all(
      links.map((link, i) => {
        const frames = stans.map((stan) => {
          const card = cards[stan % cards.length]!;
          return network.framed(authorizationRequest(profile, stan, { pan: card.pan, expiry: card.expiry, acquirer: String(50_000_000 + i), amount: 500 }));
        });
        return network.write(link, concatBytes(frames));
      }),
    );
    await network.until(() => links.every((link) => answers(link).length === stans.length), 20_000, "every request answered");
    const sql = new SQL(db.url, { max: 1 });
    cleanups.push(() => sql.close());
    const [{ expected }] = await sql`SELECT (SELECT count(*) FROM transactions WHERE account_seq IS NOT NULL) + (SELECT count(*) FROM cards) AS expected`;
    await receiver.until(() => receiver.accepted.length >= Number(expected), 20_000, `${expected} events delivered`);
    await Bun.sleep(300); // time for a second delivery of anything, if there were one
    const ids = receiver.accepted.map((event) => event.id);
    expect(ids).toHaveLength(Number(expected));
    expect(new Set(ids).size).toBe(ids.length);
    expect(receiver.attempts).toHaveLength(ids.length);
    for (const card of cards) {
      const ofAccount = receiver.accepted.filter((event) => event.data.user_id === card.userId).map((event) => event.id);
      expect(ofAccount).toEqual([...ofAccount].sort());
    }
    expect(await (await ledgerOn(db)).outboxBacklog()).toBe(0);
  }, 60_000);

  test("database connections cut under load: then answers again; every 00 is stored, no 91 left anything stored; consistent", async () => {
    const { network, processors, links, db } = await startCluster();
    const cards: Card[] = [];
    for (let i = 0; i < 8; i++) {
      const card = await seedCard(processors[0], 10_000_000);
      expect((await processors[1].api("PATCH", `/v1/cards/${card.cardId}`, { limits: { per_day_count_max: 100_000 } })).status).toBe(200);
      cards.push(card);
    }
    let stopped = false;
    const drive = async (link: NetworkConnection, acquirer: string) => {
      for (let stan = 1; !stopped && stan < 900_000; stan += 20) {
        const frames = Array.from({ length: 20 }, (_, i) => {
          const card = cards[(stan + i) % cards.length]!;
          return network.framed(authorizationRequest(profile, stan + i, { pan: card.pan, expiry: card.expiry, acquirer, amount: 100 }));
        });
        if (link.closed) return;
        await network.write(link, concatBytes(frames)).catch(() => {});
        await Bun.sleep(5);
      }
    };
    const drivers = links.map((link, i) => drive(link, String(60_000_000 + i)));
    await network.until(() => links.every((link) => answers(link).length > 300), 20_000, "load flowing");
    for (let cut = 0; cut < 3; cut++) {
      expect(await cutConnections(db.name)).toBeGreaterThan(0);
      await Bun.sleep(250);
    }
    const afterCuts = links.map((link) => answers(link).length);
    await network.until(() => links.every((link, i) => answers(link).slice(afterCuts[i]! + 100).some((r) => r.fields.get(39) === "00")), 20_000, "approvals again");
    stopped = true;
    await Promise.all(drivers);
    for (const processor of processors) processor.child.kill("SIGTERM");
    expect(await Promise.all(processors.map((p) => p.exited))).toEqual([0, 0]);
    const all = links.flatMap(answers);
    const codes = new Set(all.map((r) => r.fields.get(39)));
    expect([...codes].every((code) => code === "00" || code === "91")).toBe(true);
    // A batch cut before COMMIT was sent runs again on a fresh connection; one cut after is looked up
    // before anyone is answered: what committed is answered as committed, and only what did not is 91.
    // So no request answered 91 left a record (and a hold) behind.
    const keysAnswered = (code: string) =>
      links.flatMap((link, i) =>
        answers(link)
          .filter((r) => r.fields.get(39) === code)
          .map((r) => transactionKey({ mti: 100, acquirer: String(60_000_000 + i), stan: r.fields.get(11)!, transmissionDateTime: "1126101010" })),
      );
    const sql = new SQL(db.url, { max: 1 });
    cleanups.push(() => sql.close());
    const storedOf = (keys: string[]) => sql`SELECT key, response_code, hold_state FROM transactions WHERE key = ANY(${keys}::text[])`;
    expect(await storedOf(keysAnswered("91"))).toEqual([]);
    const keysAnswered00 = keysAnswered("00");
    expect((await storedOf(keysAnswered00)).length).toBe(keysAnswered00.length); // keys made as the ledger makes them
    const ledger = await ledgerOn(db);
    expect(await ledger.checkConsistency()).toMatchObject({ consistent: true });
    const stored = new Set<string>();
    for (const card of cards) {
      for (let cursor: string | null = null; ; ) {
        const page: Awaited<ReturnType<Ledger["listTransactions"]>> = await ledger.listTransactions(card.userId, { limit: 500, cursor });
        for (const item of page.items) if (item.approvalCode !== null) stored.add(item.approvalCode);
        cursor = page.nextCursor;
        if (cursor === null) break;
      }
    }
    const approved = all.filter((r) => r.fields.get(39) === "00").map((r) => r.fields.get(38)!);
    expect(approved.length).toBeGreaterThan(600);
    expect(approved.filter((code) => !stored.has(code))).toEqual([]);
  }, 90_000);
});

describe("sekisho run on PostgreSQL: the database away", () => {
  test("the database down for a while under load: 91 while it is gone, approvals again when it is back", async () => {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    const target = new URL(db.url);
    const proxy = new TcpProxy({ host: target.hostname, port: Number(target.port || 5432) }).start();
    cleanups.push(() => proxy.stop());
    target.hostname = "127.0.0.1";
    target.port = String(proxy.port);
    const network = new TestNetwork({ profile }).listen();
    cleanups.push(() => network.close());
    const args = ["--postgres-connect-timeout-ms", "500", "--postgres-statement-timeout-ms", "1000"];
    const processor = startProcessorProcess({ networkPort: network.port, db: target.toString(), links: 1, args });
    cleanups.push(() => processor.child.exitCode === null && processor.child.kill("SIGKILL"));
    await processor.waitReady();
    await network.until(() => network.signedOnConnections().length === 1, 10_000, "link signed on");
    const link = network.signedOnConnections()[0]!;
    const card = await seedCard(processor, 10_000_000);
    let stan = 0;
    const burst = async () => {
      const frames = Array.from({ length: 20 }, () => network.framed(authorizationRequest(profile, ++stan, { pan: card.pan, expiry: card.expiry, amount: 10 })));
      await network.write(link, concatBytes(frames));
      await network.until(() => answers(link).length === stan, 15_000, `answers up to ${stan}`);
      return answers(link).slice(-20).map((r) => r.fields.get(39)!);
    };
    expect(await burst()).toEqual(Array(20).fill("00"));
    proxy.down();
    expect(await burst()).toEqual(Array(20).fill("91"));
    proxy.up();
    let codes: string[] = [];
    for (let tries = 0; tries < 20 && !codes.includes("00"); tries++) codes = await burst();
    expect(codes).toEqual(Array(20).fill("00"));
    processor.child.kill("SIGTERM");
    expect(await processor.exited).toBe(0);
    const ledger = await ledgerOn(db);
    expect(await ledger.checkConsistency()).toMatchObject({ consistent: true });
    const approved = answers(link).filter((r) => r.fields.get(39) === "00").length;
    expect((await ledger.getUser(card.userId))!.balances.heldAmount).toBe(approved * 10);
  }, 60_000);
});
