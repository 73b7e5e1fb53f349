import { afterEach, describe, expect, test } from "bun:test";
import { loadProfile } from "../../src/iso8583/profiles/index.ts";
import { startHarness, type Harness } from "../support/processor-harness.ts";
import { testPan } from "../support/requests.ts";
import { openTestLedger, type TestLedger } from "../support/test-ledger.ts";
import { authorizationRequest } from "../support/wire-requests.ts";

let harness: Harness | null = null;
let store: TestLedger | null = null;
afterEach(async () => {
  await harness?.stop();
  await store?.cleanup();
  harness = null;
  store = null;
});

const profile = loadProfile("iso87-ascii");

describe("an 0201 (the repeat of an 0200), end to end through the SQLite ledger", () => {
  test("gets the 0200's answer again, and the account is debited once", async () => {
    store = await openTestLedger();
    const ledger = store.ledger;
    const pan = testPan(8201);
    const user = await ledger.createUser({ name: "Financial Repeat", currency: 392 });
    await ledger.topUp(user.id, { amount: 5000, currency: 392, idempotencyKey: crypto.randomUUID(), fingerprint: crypto.randomUUID() });
    await ledger.issueCard(user.id, { pan, expiry: "3012" });

    harness = startHarness({ ledger });
    await harness.network.until(() => harness!.processor.ready, 5000, "ready");
    const connection = harness.network.signedOnConnections()[0]!;

    const purchase = { pan, amount: 1200 };
    await harness.network.write(connection, harness.network.framed(authorizationRequest(profile, 801, { mti: 200, ...purchase })));
    await harness.network.until(() => connection.responses().length === 1, 5000, "the 0210");
    await harness.network.write(connection, harness.network.framed(authorizationRequest(profile, 801, { mti: 201, ...purchase })));
    await harness.network.until(() => connection.responses().length === 2, 5000, "the answer to the 0201");

    const [first, repeat] = connection.responses();
    expect(first!.mti).toBe("0210");
    expect(first!.fields.get(39)).toBe("00");
    expect(repeat!.mti).toBe("0210");
    expect(repeat!.fields.get(39)).toBe("00");
    expect(repeat!.fields.get(38)).toBe(first!.fields.get(38)!);
    expect(repeat!.fields.get(11)).toBe("000801");

    const balances = (await ledger.getUser(user.id))!.balances;
    expect(balances.ledgerBalance).toBe(3800);
    expect(balances.availableBalance).toBe(3800);
    expect(balances.heldAmount).toBe(0);
    const history = (await ledger.listTransactions(user.id, { limit: 10 })).items.filter((item) => item.kind !== "topup");
    expect(history.map((item) => [item.kind, item.status, item.amount])).toEqual([["financial", "posted", 1200]]);
    expect(harness.registry.render()).not.toMatch(/^sekisho_format_errors_total\{.*\} [1-9]/m);
  });

  test("arriving first (its 0200 lost), it is validated, decided and recorded as a financial", async () => {
    store = await openTestLedger();
    const ledger = store.ledger;
    const pan = testPan(8202);
    const user = await ledger.createUser({ name: "Financial Repeat First", currency: 392 });
    await ledger.topUp(user.id, { amount: 5000, currency: 392, idempotencyKey: crypto.randomUUID(), fingerprint: crypto.randomUUID() });
    await ledger.issueCard(user.id, { pan, expiry: "3012" });

    harness = startHarness({ ledger });
    await harness.network.until(() => harness!.processor.ready, 5000, "ready");
    const connection = harness.network.signedOnConnections()[0]!;

    await harness.network.write(connection, harness.network.framed(authorizationRequest(profile, 802, { mti: 201, pan, amount: 700, expiry: "3013" })));
    await harness.network.until(() => connection.responses().length === 1, 5000, "the answer to a malformed 0201");
    expect(connection.responses()[0]!.fields.get(39)).toBe("30"); // DE 14 month 13: the request rule applies

    await harness.network.write(connection, harness.network.framed(authorizationRequest(profile, 803, { mti: 201, pan, amount: 700 })));
    await harness.network.write(connection, harness.network.framed(authorizationRequest(profile, 803, { mti: 200, pan, amount: 700 })));
    await harness.network.until(() => connection.responses().length === 3, 5000, "the answers to the 0201 and its late 0200");
    const [, repeat, original] = connection.responses();
    expect(repeat!.fields.get(39)).toBe("00");
    expect(original!.fields.get(39)).toBe("00");
    expect(original!.fields.get(38)).toBe(repeat!.fields.get(38)!);
    expect((await ledger.getUser(user.id))!.balances.ledgerBalance).toBe(4300);
    const history = (await ledger.listTransactions(user.id, { limit: 10 })).items.filter((item) => item.kind !== "topup");
    expect(history.map((item) => [item.kind, item.status, item.amount])).toEqual([["financial", "posted", 700]]);
  });
});
