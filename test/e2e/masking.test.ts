import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MessageBuilder } from "../../src/iso8583/message-builder.ts";
import { loadProfile } from "../../src/iso8583/profiles/index.ts";
import { runCli } from "../support/cli.ts";
import { E2E_PAN_KEY, E2E_TOKEN, startProcessorProcess, type ProcessorProcess } from "../support/processor-process.ts";
import { TestNetwork, type NetworkConnection } from "../support/test-network.ts";
import { WebhookReceiver } from "../support/webhook-receiver.ts";
import { concatBytes } from "../support/wire-requests.ts";

/**
 * Issue #8's masking test: `sekisho run` with known secrets (API token, PAN key, webhook secret), cards whose
 * PANs we know from their creation, load over real links with those PANs — approvals, track data in DE 35,
 * PIN blocks in DE 52, a PAN in the merchant name, wrong expiry, unknown cards, format errors, undecodable
 * frames, an oversize frame — API calls built to get card data or secrets echoed back, a webhook receiver
 * that fails some deliveries, a debug log level, start-up failures with a PAN in a flag and a path. Then no
 * secret and no full PAN may appear in stdout, stderr, the metrics, any API response but the card's
 * creation, any webhook body, or what the CLI prints.
 */
const profile = loadProfile("iso87-ascii");
const WEBHOOK_SECRET = "whsec-masking-test-5f0c9a7e31d4b2";
const PIN_BLOCK = "A1B2C3D4E5F60718";
const FAKE_PAN = "4111111111111111";

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function luhnComplete(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let digit = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return body + String((10 - (sum % 10)) % 10);
}
const UNKNOWN_PAN = luhnComplete("490000987654321");

/** Every API exchange as text (status, headers, body), to search afterwards. */
interface Exchange {
  what: string;
  text: string;
}

function apiClient(processor: ProcessorProcess, exchanges: Exchange[]) {
  return async (
    method: string,
    path: string,
    options: { body?: unknown; raw?: string; token?: string | null; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; json: any; text: string }> => {
    const token = options.token === undefined ? E2E_TOKEN : options.token;
    const response = await fetch(`${processor.apiUrl}${path}`, {
      method,
      headers: {
        "content-type": "application/json",
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...options.headers,
      },
      body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
    });
    const body = await response.text();
    const text = `${response.status} ${[...response.headers].map(([k, v]) => `${k}: ${v}`).join("\n")}\n${body}`;
    exchanges.push({ what: `${method} ${path}`, text });
    let json: any = null;
    try {
      json = JSON.parse(body);
    } catch {
      // Prometheus text, or an empty body
    }
    return { status: response.status, json, text };
  };
}

interface Card {
  userId: string;
  cardId: string;
  pan: string;
  expiry: string;
}

/** The requests of one burst: every kind of traffic that carries card data, with unique STANs. */
function burst(cards: Card[], acquirer: string, stanStart: number, count: number): Uint8Array[] {
  const builder = new MessageBuilder(profile);
  const frames: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const stan = stanStart + i;
    const card = cards[stan % cards.length]!;
    const request = builder
      .reset(stan % 7 === 0 ? 200 : 100)
      .set(3, stan % 11 === 0 ? "310000" : "000000")
      .setInteger(4, 100 + (stan % 90))
      .set(7, "1126101010")
      .set(11, String(stan).padStart(6, "0"))
      .set(32, acquirer)
      .set(37, String(stan).padStart(12, "0"))
      .set(41, "TERM0001")
      .set(49, "392");
    switch (stan % 6) {
      case 0: // the card by its track 2 data only (no DE 2, no DE 14), with a PIN block
        request.set(35, `${card.pan}=${card.expiry}1011234500000`).set(52, PIN_BLOCK);
        break;
      case 1: // wrong expiry: 54
        request.set(2, card.pan).set(14, "2001");
        break;
      case 2: // unknown card: 14
        request.set(2, UNKNOWN_PAN).set(14, "3012").set(52, PIN_BLOCK.toLowerCase());
        break;
      case 3: // a PAN in the merchant's name (free text from the acquirer)
        request.set(2, card.pan).set(14, card.expiry).set(43, `SHOP ${card.pan} TOKYO`.padEnd(40).slice(0, 40));
        break;
      case 4: // track data that is not track data: a format error (30)
        request.set(2, card.pan).set(14, card.expiry).set(35, `=${card.pan}${card.expiry}`);
        break;
      default:
        request.set(2, card.pan).set(14, card.expiry);
    }
    frames.push(request.encode());
  }
  return frames;
}

/** Frames the processor cannot decode or must refuse, each with card data inside. */
function badFrames(cards: Card[], acquirer: string, stanStart: number): Uint8Array[] {
  const text = (s: string) => new TextEncoder().encode(s);
  const pan = cards[0]!.pan;
  const builder = new MessageBuilder(profile);
  const reversalWithTrack = builder
    .reset(400)
    .set(2, pan)
    .set(3, "000000")
    .setInteger(4, 100)
    .set(7, "1126101010")
    .set(11, String(stanStart).padStart(6, "0"))
    .set(32, acquirer)
    .set(35, `${pan}=${cards[0]!.expiry}101`)
    .encode();
  const valid = builder
    .reset(100)
    .set(2, pan)
    .set(3, "000000")
    .setInteger(4, 100)
    .set(7, "1126101010")
    .set(11, String(stanStart + 1).padStart(6, "0"))
    .set(14, cards[0]!.expiry)
    .set(32, acquirer)
    .encode();
  const truncated = valid.subarray(0, 30); // cut inside DE 2's digits
  const letters = text(`0100${"\u00f0".repeat(8)}16${pan.slice(0, 8)}ABCDEFGH`); // a bitmap of junk, letters as digits
  const garbage = text(`GARBAGE ${pan} track=${pan}=3112 pin_block=${PIN_BLOCK} cvv=123`);
  return [reversalWithTrack, truncated, letters, garbage];
}

function answered(connection: NetworkConnection): number {
  return connection.responses().length;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "sekisho-masking-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("no full PAN, track data, PIN block, API token, PAN key or webhook secret reaches any output", async () => {
  const dir = tempDir();
  const receiver = new WebhookReceiver(WEBHOOK_SECRET);
  cleanups.push(() => receiver.stop());
  receiver.failNext = 8; // the first deliveries fail: retries and their log lines
  const network = new TestNetwork({ profile }).listen();
  cleanups.push(() => network.close());
  const processor = startProcessorProcess({
    networkPort: network.port,
    db: join(dir, "ledger.db"),
    links: 2,
    args: [
      "--log-level",
      "debug",
      "--frame-bytes-max",
      "1024",
      "--webhook-poll-ms",
      "20",
      "--webhook-retry-delay-min-ms",
      "20",
      "--webhook-retry-delay-max-ms",
      "100",
    ],
    env: { SEKISHO_WEBHOOK_URL: receiver.url, SEKISHO_WEBHOOK_SECRET: WEBHOOK_SECRET },
  });
  cleanups.push(() => {
    if (processor.child.exitCode === null) processor.child.kill("SIGKILL");
  });
  await processor.waitReady();
  const exchanges: Exchange[] = [];
  const api = apiClient(processor, exchanges);

  // Cards: the creation responses are the only place their PANs may be shown.
  const creations = new Set<string>();
  const cards: Card[] = [];
  for (let i = 0; i < 4; i++) {
    const user = await api("POST", "/v1/users", { body: { name: `masking ${i}` } });
    const card = await api("POST", `/v1/users/${user.json.id}/cards`, { body: {} });
    expect(card.status).toBe(201);
    creations.add(card.text);
    await api("POST", `/v1/users/${user.json.id}/topups`, { body: { amount: 1_000_000 }, headers: { "idempotency-key": `seed-${i}` } });
    cards.push({ userId: user.json.id, cardId: card.json.id, pan: card.json.pan, expiry: card.json.expiry });
  }
  await network.until(() => network.signedOnConnections().length === 2, 10_000, "2 links");

  // Load over both links, in bursts, then the frames it must refuse.
  const [first, second] = network.signedOnConnections() as [NetworkConnection, NetworkConnection];
  let expected = 0;
  for (let round = 0; round < 6; round++) {
    for (const [n, connection] of [first, second].entries()) {
      const frames = burst(cards, String(30000000 + n), 1 + round * 100, 100);
      await network.write(connection, concatBytes(frames.map((frame) => network.framed(frame))));
      expected += frames.length;
    }
  }
  await network.write(first, concatBytes(badFrames(cards, "30000000", 900).map((frame) => network.framed(frame))));
  await network.until(() => answered(first) + answered(second) >= expected + 1, 10_000, "answers to the load");

  // The API, pushed to echo card data or secrets back.
  const [card] = cards as [Card];
  await api("PATCH", `/v1/cards/${cards[3]!.cardId}`, { body: { status: "lost" } });
  await api("GET", `/v1/cards/${card.cardId}`);
  await api("GET", `/v1/users/${card.userId}`);
  await api("GET", `/v1/users/${card.userId}/transactions?limit=200`);
  await api("GET", `/v1/cards/${card.pan}`);
  await api("GET", `/v1/cards/${FAKE_PAN}`, { token: FAKE_PAN }); // a wrong token that is a PAN, a PAN in the path
  await api("GET", `/v1/users/${card.pan}/transactions`, { token: `${E2E_TOKEN}x` });
  await api("GET", `/v1/${card.pan}`, { token: null });
  await api("GET", `/v1/users/${E2E_TOKEN}`);
  await api("GET", `/v1/users/${E2E_PAN_KEY}`);
  await api("GET", `/v1/cards/${WEBHOOK_SECRET}`);
  await api("PATCH", `/v1/cards/${card.cardId}`, { body: { status: card.pan } });
  await api("PATCH", `/v1/cards/${card.cardId}`, { body: { pan: card.pan, cvv: "123", pin_block: PIN_BLOCK } });
  await api("PATCH", `/v1/cards/${card.cardId}`, { body: { status: E2E_TOKEN, limits: { per_transaction_max: E2E_PAN_KEY } } });
  await api("POST", "/v1/users", { raw: `{"name": ${card.pan}, "track": "${card.pan}=3112101"` });
  await api("POST", "/v1/users", { body: { external_id: Number(card.pan) } });
  await api("GET", `/v1/users/${card.userId}/transactions?cursor=${card.pan}`);
  await api("GET", `/v1/users/${card.userId}/transactions?limit=${card.pan}`);
  await api("POST", `/v1/users/${card.userId}/topups`, { body: { amount: 1 }, headers: { "idempotency-key": card.pan } });
  await api("POST", `/v1/users/${card.userId}/topups`, { body: { amount: 2 }, headers: { "idempotency-key": card.pan } });
  await api("POST", `/v1/users/${card.userId}/topups`, { body: { amount: 3, currency: WEBHOOK_SECRET }, headers: { "idempotency-key": "k-3" } });

  // Webhooks: the failures were retried and the events delivered.
  await receiver.until(() => receiver.failNext === 0 && receiver.unique().length >= 40, 10_000, "webhook deliveries");
  const metrics = await api("GET", "/metrics", { token: null });
  await api("GET", "/readyz", { token: null });
  await api("GET", "/openapi.json", { token: null });

  // An oversize frame (card data inside) loses framing: the link is closed and re-dialled.
  const oversize = new Uint8Array(2 + 2000);
  new DataView(oversize.buffer).setUint16(0, 2000);
  oversize.set(new TextEncoder().encode(`0100 ${card.pan} ${card.pan}=3112101 ${PIN_BLOCK}`), 2);
  await network.write(second, oversize);
  await processor.waitForLog("link.framing_lost");

  processor.child.kill("SIGTERM");
  expect(await processor.exited).toBe(0);

  // Start-up failures with card data in a flag value and in a path: one line on stderr, a log line.
  const env = {
    SEKISHO_API_TOKEN: E2E_TOKEN,
    SEKISHO_PAN_KEY: E2E_PAN_KEY,
    SEKISHO_WEBHOOK_URL: receiver.url,
    SEKISHO_WEBHOOK_SECRET: WEBHOOK_SECRET,
  };
  const badBin = await runCli(["run", "--card-bin", card.pan, "--network", `${card.pan}:1`, "--log-format", "json"], undefined, env);
  expect(badBin.exitCode).toBe(2);
  const badDb = await runCli(
    ["run", "--db", join(dir, card.pan, E2E_TOKEN, "ledger.db"), "--api", "127.0.0.1:0", "--log-format", "json"],
    undefined,
    env,
  );
  expect(badDb.exitCode).toBe(3);
  const decoded = await runCli(["decode", "--hex"], Buffer.from(burst(cards, "1", 6, 1)[0]!).toString("hex"), env);
  expect(decoded.exitCode).toBe(0);

  // What was exercised: every path below printed something.
  const stdout = processor.lines.join("\n");
  for (const event of [
    "dispatch.format_error",
    "dispatch.decode_error",
    "link.framing_lost",
    "notify.delivery_failed",
    "api.request",
    "shutdown.done",
  ]) {
    expect(stdout.includes(`"event":"${event}"`) ? event : `no ${event} line`).toBe(event);
  }
  for (const code of ["00", "14", "30", "54"]) expect(metrics.text).toContain(`response_code="${code}"`);
  const bodies = receiver.rawBodies.join("\n");
  // (booleans, so that a failure does not print every body)
  expect(/"pan_masked":"490000\*{6}\d{4}"/.test(bodies)).toBe(true);
  expect(bodies.includes("SHOP 490000******")).toBe(true);
  expect(badBin.stderr).toContain("cardBin");
  expect(badDb.stdout.length + badDb.stderr.length).toBeGreaterThan(0);

  const outputs: Array<[string, string]> = [
    ["processor stdout", stdout],
    ["processor stderr", processor.stderr.join("\n")],
    ["metrics", metrics.text],
    ["webhook bodies", bodies],
    ...exchanges.filter((e) => !creations.has(e.text)).map((e): [string, string] => [`API ${e.what}`, e.text]),
    ["run --card-bin", badBin.stdoutText + badBin.stderr],
    ["run --db", badDb.stdoutText + badDb.stderr],
    ["decode", decoded.stdoutText + decoded.stderr],
  ];
  const forbidden: Array<[string, string]> = [
    ...cards.map((c, i): [string, string] => [`PAN ${i}`, c.pan]),
    ...cards.map((c, i): [string, string] => [`track 2 of card ${i}`, `${c.pan}=${c.expiry}`]),
    ["unknown card's PAN", UNKNOWN_PAN],
    ["fake PAN", FAKE_PAN],
    ["PIN block", PIN_BLOCK],
    ["PIN block (lower case)", PIN_BLOCK.toLowerCase()],
    ["API token", E2E_TOKEN],
    ["PAN key", E2E_PAN_KEY],
    ["PAN key (upper case)", E2E_PAN_KEY.toUpperCase()],
    ["webhook secret", WEBHOOK_SECRET],
  ];
  const leaks: string[] = [];
  for (const [where, text] of outputs) {
    for (const [what, secret] of forbidden) if (text.includes(secret)) leaks.push(`${what} in ${where}`);
  }
  expect(leaks).toEqual([]);
  expect(exchanges.length - creations.size).toBeGreaterThan(30);
}, 30_000);
