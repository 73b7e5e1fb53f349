import { describe, expect, test } from "bun:test";
import { maskedStream, maskText, maskValue, registerSecret } from "../../src/ops/mask.ts";

const PAN = "4900001234567897";
const MASKED = "490000******7897";

describe("maskText", () => {
  test("a PAN anywhere keeps its first 6 and last 4 digits; track data keeps nothing", () => {
    expect(maskText(`card ${PAN} declined`)).toBe(`card ${MASKED} declined`);
    expect(maskText(`x${PAN}y`)).toBe(`x${MASKED}y`);
    const track2 = `${PAN}=31121010000000000000`;
    expect(maskText(`track ${track2}.`)).toBe(`track ${"*".repeat(track2.length)}.`);
    expect(maskText(`${PAN}D3112101`)).not.toContain(PAN.slice(6, 12));
    const track1 = `%B${PAN}^SATO/HANAKO^3112101000000000?`;
    expect(maskText(track1)).not.toContain(PAN);
    expect(maskText(track1)).not.toContain("SATO");
  });

  test("short digit runs and ids stay as they are (any run of 13–19 digits is masked, like a PAN)", () => {
    for (const text of ["STAN 123456", "01:12345678:123456:1126071245", "usr_01J9ZK", "amount 999999999999"]) {
      expect(maskText(text)).toBe(text);
    }
  });

  test("CVV, CVC and PIN block values written next to their name are hidden", () => {
    expect(maskText("cvv=123 ok")).toBe("cvv=*** ok");
    expect(maskText('{"cvv2":"4567"}')).toBe('{"cvv2":"***"}');
    expect(maskText("CVC: 999")).toBe("CVC: ***");
    expect(maskText('pin_block="A1B2C3D4E5F60718"')).toBe('pin_block="***"');
    expect(maskText("card_pin=1234")).toBe("card_pin=***");
    expect(maskText('{\\"pinBlock\\":\\"0A1B2C3D4E5F6071\\"}')).not.toContain("0A1B2C3D4E5F6071");
    // Words that merely contain the letters are not touched.
    expect(maskText("spin=123 pinned:456")).toBe("spin=123 pinned:456");
  });

  test("the password of a URL's user info is hidden, the user and host stay", () => {
    expect(maskText("dial postgres://sekisho:s3cr3t-pw@db.internal:5432/ledger failed")).toBe(
      "dial postgres://sekisho:***@db.internal:5432/ledger failed",
    );
    expect(maskText("http://127.0.0.1:8080/readyz")).toBe("http://127.0.0.1:8080/readyz");
  });

  test("registered secrets are redacted wherever they appear; a hex one in either case", () => {
    const token = "tok-" + crypto.randomUUID();
    const key = "ab".repeat(32);
    registerSecret(token);
    registerSecret(key);
    registerSecret("short"); // too short to register: it would redact ordinary words
    expect(maskText(`Bearer ${token}`)).toBe("Bearer [redacted]");
    expect(maskText(`key=${key.toUpperCase()};`)).toBe("key=[redacted];");
    expect(maskText("a short word")).toBe("a short word");
  });
});

describe("maskValue", () => {
  test("fields named like secrets keep nothing, in any naming style; masked PANs stay readable", () => {
    const out = maskValue({
      pan: PAN,
      pan_masked: MASKED,
      panKey: "0".repeat(64),
      pinBlock: "A1B2C3D4E5F60718",
      cvv2: "123",
      webhookSecret: "whsec",
      api_token: "t",
      authorization: "Bearer x",
      track2: "x",
      note: `saw ${PAN}`,
      nested: [{ cvc: "999", card: { pan: MASKED } }],
    }) as Record<string, any>;
    expect(out.pan).toBe("[redacted]");
    expect(out.pan_masked).toBe(MASKED);
    for (const key of ["panKey", "pinBlock", "cvv2", "webhookSecret", "api_token", "authorization", "track2"]) {
      expect(out[key]).toBe("[redacted]");
    }
    expect(out.note).toBe(`saw ${MASKED}`);
    expect(out.nested[0].cvc).toBe("[redacted]");
    expect(out.nested[0].card.pan).toBe(MASKED);
  });

  test("a number as long as a PAN is masked; amounts and timestamps are not", () => {
    const out = maskValue({ external_id: Number(PAN), amount: 999_999_999_999, at_ms: 1_764_144_000_000 }) as Record<string, unknown>;
    expect(String(out.external_id)).not.toContain(PAN.slice(6, 12));
    expect(out.amount).toBe(999_999_999_999);
    expect(out.at_ms).toBe(1_764_144_000_000);
  });

  test("errors keep their name, code and a masked message", () => {
    const error = Object.assign(new Error(`lookup of ${PAN} failed`), { code: "E_X" });
    expect(maskValue(error)).toEqual({ name: "Error", message: `lookup of ${MASKED} failed`, code: "E_X" });
  });
});

test("maskedStream masks every write and keeps the terminal flag", () => {
  const written: string[] = [];
  const stream = maskedStream({ isTTY: true, write: (text: string) => written.push(text) });
  stream.write(`pan ${PAN}\n`);
  expect(stream.isTTY).toBe(true);
  expect(written).toEqual([`pan ${MASKED}\n`]);
});
