import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MessageBuilder } from "../../src/iso8583/message-builder.ts";
import { MessageView } from "../../src/iso8583/message-view.ts";
import { loadProfile } from "../../src/iso8583/profiles/index.ts";
import { beginResponse } from "../../src/iso8583/response.ts";
import type { Ledger, TransactionRecord } from "../../src/ledger/ledger.ts";
import { openLedger } from "../../src/ledger/open.ts";
import { E2E_PAN_KEY, seedCard, startProcessorProcess, type ProcessorProcess } from "../support/processor-process.ts";
import { TestNetwork, type NetworkConnection } from "../support/test-network.ts";
import { authorizationRequest, concatBytes } from "../support/wire-requests.ts";

const profile = loadProfile("iso87-ascii");
const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), "sekisho-e2e-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, "ledger.db");
}

interface Sent {
  stan: number;
  acquirer: string;
}

/**
 * Sends 0100s on `connection` in bursts until `stop()` or until the connection closes; each request has
 * a unique key (acquirer per connection, STAN counting up) and a card picked round-robin.
 */
function driveLoad(network: TestNetwork, connection: NetworkConnection, cards: Array<{ pan: string; expiry: string }>) {
  const acquirer = String(20000000 + connection.id);
  const sent: Sent[] = [];
  let stopped = false;
  const done = (async () => {
    let stan = 0;
    while (!stopped && !connection.closed) {
      const frames: Uint8Array[] = [];
      for (let i = 0; i < 40; i++) {
        stan++;
        const card = cards[stan % cards.length]!;
        frames.push(network.framed(authorizationRequest(profile, stan, { pan: card.pan, expiry: card.expiry, acquirer, amount: 100 + (stan % 50) })));
        sent.push({ stan, acquirer });
      }
      if (connection.socket.write(concatBytes(frames)) < 0) break;
      await Bun.sleep(5);
    }
  })();
  return { sent, stop: () => (stopped = true), done };
}

async function approvedRecords(ledger: Ledger, userIds: string[]): Promise<TransactionRecord[]> {
  const records: TransactionRecord[] = [];
  for (const userId of userIds) {
    let cursor: string | null = null;
    do {
      const page: { items: TransactionRecord[]; nextCursor: string | null } = await ledger.listTransactions(userId, { limit: 200, cursor });
      records.push(...page.items.filter((r) => r.kind === "authorization" && r.status === "approved"));
      cursor = page.nextCursor;
    } while (cursor !== null);
  }
  return records;
}

async function startWithCards(links: number, db: string, cardCount: number) {
  const network = new TestNetwork({ profile }).listen();
  cleanups.push(() => network.close());
  const processor = startProcessorProcess({ networkPort: network.port, db, links });
  cleanups.push(() => {
    if (processor.child.exitCode === null) processor.child.kill("SIGKILL");
  });
  await processor.waitReady();
  const cards = [];
  for (let i = 0; i < cardCount; i++) cards.push(await seedCard(processor, 10_000_000));
  await network.until(() => network.signedOnConnections().length === links, 10_000, `${links} links`);
  return { network, processor, cards };
}

function answers(connection: NetworkConnection) {
  return connection.responses().filter((r) => r.mti === "0110");
}

describe("sekisho run end to end", () => {
  test("SIGTERM under load: every request read is answered, every 00 is a hold and every hold a 00, sign-off sent, exit 0", async () => {
    const db = tempDb();
    const { network, processor, cards } = await startWithCards(2, db, 20);
    const connections = network.signedOnConnections();
    const drivers = connections.map((connection) => driveLoad(network, connection, cards));
    await network.until(() => connections.every((c) => answers(c).length > 200), 10_000, "load flowing");
    processor.child.kill("SIGTERM");
    const exitCode = await processor.exited;
    for (const driver of drivers) driver.stop();
    await Promise.all(drivers.map((d) => d.done));
    expect(exitCode).toBe(0);
    expect(processor.lines.some((line) => line.includes('"event":"shutdown.done"'))).toBe(true);

    const approvalCodes = new Set<string>();
    for (const connection of connections) {
      expect(connection.signedOff).toBe(true);
      expect(connection.closed).toBe(true);
      const byStan = new Map<string, number>();
      for (const response of answers(connection)) {
        const stan = response.fields.get(11)!;
        byStan.set(stan, (byStan.get(stan) ?? 0) + 1);
        expect(["00", "91"]).toContain(response.fields.get(39)!);
        if (response.fields.get(39) === "00") approvalCodes.add(response.fields.get(38)!);
      }
      expect([...byStan.values()].every((count) => count === 1)).toBe(true); // nothing answered twice
      // The processor reads in order: everything it answered is a prefix of what was sent, with no gap.
      const answered = [...byStan.keys()].map(Number).sort((a, b) => a - b);
      expect(answered[answered.length - 1]).toBe(answered.length);
    }
    const ledger = await openLedger({
      db,
      sqliteSynchronous: "full",
      sqliteBusyTimeoutMs: 1000,
      holdTimeoutSeconds: 7 * 86400,
      currency: 392,
      panKey: E2E_PAN_KEY,
    });
    cleanups.push(() => ledger.close());
    const records = await approvedRecords(ledger, cards.map((c) => c.userId));
    expect(records.length).toBe(approvalCodes.size);
    expect(new Set(records.map((r) => r.approvalCode))).toEqual(approvalCodes);
    expect((await ledger.checkConsistency()).consistent).toBe(true);
  }, 60_000);

  test("SIGTERM: what the network sends after our sign-off and before its 0810 is authorized by the ledger, not declined", async () => {
    const db = tempDb();
    const network = new TestNetwork({ profile }).listen();
    cleanups.push(() => network.close());
    network.answerSignOff = false; // the test answers the sign-off itself, after sending more requests
    const processor = startProcessorProcess({ networkPort: network.port, db, links: 1, args: ["--sign-off-timeout-ms", "8000"] });
    cleanups.push(() => {
      if (processor.child.exitCode === null) processor.child.kill("SIGKILL");
    });
    await processor.waitReady();
    const cards = [await seedCard(processor, 10_000_000), await seedCard(processor, 10_000_000)];
    await network.until(() => network.signedOnConnections().length === 1, 10_000, "signed on");
    const connection = network.signedOnConnections()[0]!;
    const request = (stan: number) => {
      const card = cards[stan % cards.length]!;
      return network.framed(authorizationRequest(profile, stan, { pan: card.pan, expiry: card.expiry, amount: 100 + stan }));
    };
    processor.child.kill("SIGTERM");
    await network.until(() => connection.signedOff, 10_000, "the sign-off 0800");
    const late = Array.from({ length: 50 }, (_, i) => i + 1);
    await network.write(connection, concatBytes(late.map(request)));
    const signOff = connection.received.find((r) => r.mti === "0800" && r.fields.get(70) === "002")!;
    const view = new MessageView(profile).decode(signOff.frame);
    await network.write(connection, network.framed(beginResponse(new MessageBuilder(profile), view).set(39, "00").encode()));
    expect(await processor.exited).toBe(0);
    const codes = new Map(answers(connection).map((r) => [Number(r.fields.get(11)), r.fields.get(39)!] as const));
    expect(late.map((stan) => `${stan} ${codes.get(stan)}`)).toEqual(late.map((stan) => `${stan} 00`));
    expect(answers(connection).length).toBe(late.length);
    const ledger = await openLedger({
      db,
      sqliteSynchronous: "full",
      sqliteBusyTimeoutMs: 1000,
      holdTimeoutSeconds: 7 * 86400,
      currency: 392,
      panKey: E2E_PAN_KEY,
    });
    cleanups.push(() => ledger.close());
    const records = await approvedRecords(ledger, cards.map((c) => c.userId));
    expect(new Set(records.map((r) => r.approvalCode))).toEqual(new Set(answers(connection).map((r) => r.fields.get(38)!)));
  }, 60_000);

  test("SIGKILL under load, restart on the same ledger: no answered approval is missing, none is doubled", async () => {
    const db = tempDb();
    const first = await startWithCards(1, db, 10);
    const connection = first.network.signedOnConnections()[0]!;
    const driver = driveLoad(first.network, connection, first.cards);
    await first.network.until(() => answers(connection).length > 500, 10_000, "load flowing");
    first.processor.child.kill("SIGKILL");
    await first.processor.exited;
    driver.stop();
    await driver.done;
    const answeredBefore = answers(connection).filter((r) => r.fields.get(39) === "00");
    expect(answeredBefore.length).toBeGreaterThan(0);

    const second = startProcessorProcess({ networkPort: first.network.port, db, links: 1 });
    cleanups.push(() => {
      if (second.child.exitCode === null) second.child.kill("SIGKILL");
    });
    await second.waitReady();
    const history = async () => {
      const codes: string[] = [];
      for (const card of first.cards) {
        let cursor: string | null = null;
        do {
          const page = await second.api("GET", `/v1/users/${card.userId}/transactions?limit=200${cursor ? `&cursor=${cursor}` : ""}`);
          for (const item of page.json.data) if (item.type === "authorization" && item.status === "approved") codes.push(item.approval_code);
          cursor = page.json.next_cursor;
        } while (cursor !== null);
      }
      return codes;
    };
    const before = await history();
    expect(new Set(before).size).toBe(before.length); // no approval recorded twice
    const recorded = new Set(before);
    for (const answer of answeredBefore) expect(recorded.has(answer.fields.get(38)!)).toBe(true);

    // The network resends everything it never got an answer for, and some it did: duplicates get the first
    // answer back and nothing is held twice.
    const next = first.network.signedOnConnections().find((c) => c !== connection)!;
    const resend = driver.sent.slice(0, Math.min(driver.sent.length, 2000));
    const frames = resend.map(({ stan, acquirer }) => {
      const card = first.cards[stan % first.cards.length]!;
      return first.network.framed(authorizationRequest(profile, stan, { pan: card.pan, expiry: card.expiry, acquirer, amount: 100 + (stan % 50) }));
    });
    await first.network.write(next, concatBytes(frames));
    await first.network.until(() => answers(next).length === resend.length, 20_000, "answers to the resend");
    const firstAnswer = new Map(answeredBefore.map((r) => [r.fields.get(11)!, r.fields.get(38)!]));
    for (const response of answers(next)) {
      const original = firstAnswer.get(response.fields.get(11)!);
      if (original !== undefined) {
        expect(response.fields.get(39)).toBe("00");
        expect(response.fields.get(38)).toBe(original);
      }
    }
    const after = await history();
    expect(new Set(after).size).toBe(after.length);
    const approvedNow = answers(next).filter((r) => r.fields.get(39) === "00").map((r) => r.fields.get(38)!);
    expect(new Set(after)).toEqual(new Set([...before, ...approvedNow]));
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  }, 90_000);
});
