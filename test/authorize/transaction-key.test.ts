import { describe, expect, test } from "bun:test";
import { replayDecision, resolvePrior, type PriorRecord } from "../../src/authorize/prior.ts";
import { originalKeyFromDe90, transactionKey } from "../../src/authorize/transaction-key.ts";
import { messageKind } from "../../src/domain/message-kinds.ts";

const parts = { acquirer: "00012345678", stan: "123456", transmissionDateTime: "1126071245" };

describe("transaction keys", () => {
  test("message class + DE 32 without leading zeros + DE 11 + DE 7", () => {
    expect(transactionKey({ mti: 100, ...parts })).toBe("01:12345678:123456:1126071245");
  });

  test("an 0100, its 0101 repeat and its 0120/0121 advice share a key; financials and reversals have their own class", () => {
    const key = transactionKey({ mti: 100, ...parts });
    for (const mti of [101, 120, 121]) expect(transactionKey({ mti, ...parts })).toBe(key);
    expect(transactionKey({ mti: 200, ...parts })).toBe("02:12345678:123456:1126071245");
    expect(transactionKey({ mti: 201, ...parts })).toBe(transactionKey({ mti: 200, ...parts }));
    for (const mti of [400, 401, 420, 421]) expect(transactionKey({ mti, ...parts })).toBe("04:12345678:123456:1126071245");
  });

  test("an all-zero acquirer keeps one zero", () => {
    expect(transactionKey({ mti: 100, ...parts, acquirer: "0000" })).toBe("01:0:123456:1126071245");
  });

  test("DE 90 names the original's key: MTI, STAN, DE 7, zero-padded acquirer; the forwarding id is ignored", () => {
    const de90 = "0100" + "123456" + "1126071245" + "00012345678" + "00000000042";
    expect(originalKeyFromDe90(de90)).toBe(transactionKey({ mti: 100, ...parts }));
    expect(originalKeyFromDe90("0200" + de90.slice(4))).toBe(transactionKey({ mti: 200, ...parts }));
  });

  test("a DE 90 of the wrong length or with non-digits names nothing", () => {
    expect(originalKeyFromDe90("0100123456")).toBeNull();
    expect(originalKeyFromDe90("0100123456112607124500012345678000000000A2")).toBeNull();
  });

  test("message kinds of the MTIs the ledger decides", () => {
    expect([100, 101, 120, 121, 200, 201, 400, 401, 420, 421, 800, 110].map(messageKind)).toEqual([
      "authorization", "authorization", "advice", "advice", "financial", "financial", "reversal", "reversal", "reversal", "reversal", null, null,
    ]);
  });
});

describe("earlier records for a key", () => {
  const record = (mti: number, fields: Partial<PriorRecord> = {}): PriorRecord => ({
    mti,
    responseCode: "00",
    approvalCode: "ABC123",
    approvedAmount: 700,
    availableBalance: null,
    accountCurrency: 392,
    networkResponseCode: null,
    networkApprovalCode: null,
    ...fields,
  });

  test("the same kind again is a replay; an advice after our authorization reconciles", () => {
    expect(resolvePrior("authorization", [record(100)]).type).toBe("replay");
    expect(resolvePrior("authorization", [record(101)]).type).toBe("replay");
    expect(resolvePrior("advice", [record(100)]).type).toBe("reconcile");
    expect(resolvePrior("advice", [record(100), record(120)]).type).toBe("replay");
    expect(resolvePrior("reversal", [record(400)]).type).toBe("replay");
    expect(resolvePrior("financial", []).type).toBe("new");
  });

  test("a replay returns the first answer unchanged, marked replayed", () => {
    const first = record(100, { responseCode: "10", approvalCode: "Q1W2E3" });
    expect(replayDecision(first, "authorization")).toEqual({
      responseCode: "10",
      approvalCode: "Q1W2E3",
      approvedAmount: 700,
      availableBalance: null,
      accountCurrency: 392,
      replayed: true,
    });
  });

  test("an authorization after the network's advice gets the network's decision", () => {
    const advice = record(120, { approvalCode: null, networkResponseCode: "00", networkApprovalCode: "NET001" });
    expect(resolvePrior("authorization", [advice]).type).toBe("replay");
    expect(replayDecision(advice, "authorization")).toMatchObject({ responseCode: "00", approvalCode: "NET001", replayed: true });
    const declined = record(120, { networkResponseCode: "N7" });
    expect(replayDecision(declined, "authorization")).toMatchObject({ responseCode: "05", approvalCode: null });
  });
});
