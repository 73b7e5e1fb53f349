import { describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { LedgerError } from "../../src/ledger/ledger.ts";
import { createPanVault, PAN_INDEX_SCRATCH_BYTES } from "../../src/ledger/pan-vault.ts";
import { SeededRandom } from "../../src/sim/random.ts";
import { testPan } from "../support/requests.ts";

const KEY_HEX = "a1".repeat(32);

describe("PAN vault", () => {
  test("seal and open round-trip; the sealed bytes do not contain the PAN and differ each time", async () => {
    const vault = await createPanVault(KEY_HEX);
    for (const pan of [testPan(1), "123456789012", "1234567890123456789"]) {
      const sealed = await vault.seal(pan);
      expect(await vault.open(sealed)).toBe(pan);
      expect(Buffer.from(sealed).toString("latin1")).not.toContain(pan);
      expect(Buffer.from(await vault.seal(pan)).equals(Buffer.from(sealed))).toBe(false);
    }
  });

  test("altered ciphertext or another key does not open", async () => {
    const vault = await createPanVault(KEY_HEX);
    const sealed = await vault.seal(testPan(2));
    const altered = Uint8Array.from(sealed);
    altered[altered.length - 1]! ^= 1;
    await expect(vault.open(altered)).rejects.toBeInstanceOf(LedgerError);
    const other = await createPanVault("b2".repeat(32));
    await expect(other.open(sealed)).rejects.toMatchObject({ code: "invalid_input" });
  });

  test("the index is HMAC-SHA256 under a key derived from the program key; indexInto agrees with it", async () => {
    const vault = await createPanVault(KEY_HEX);
    const indexKey = createHmac("sha256", Buffer.from(KEY_HEX, "hex")).update("sekisho pan index v1").digest();
    const scratch = new Uint8Array(PAN_INDEX_SCRATCH_BYTES);
    const random = new SeededRandom(3);
    for (let i = 0; i < 200; i++) {
      const pan = random.digits(random.int(12, 19));
      const expected = createHmac("sha256", indexKey).update(pan).digest();
      expect(vault.index(pan)).toBe(expected.toString("base64"));
      vault.indexInto(pan, scratch);
      expect(Buffer.from(scratch.subarray(0, 32)).equals(expected)).toBe(true);
    }
  });

  test("the index depends on the key; the key check identifies the key without revealing it", async () => {
    const a = await createPanVault(KEY_HEX);
    const b = await createPanVault("b2".repeat(32));
    expect(a.index(testPan(3))).not.toBe(b.index(testPan(3)));
    expect(a.keyCheck).not.toBe(b.keyCheck);
    expect(a.keyCheck).toBe((await createPanVault(KEY_HEX)).keyCheck);
    expect(KEY_HEX).not.toContain(a.keyCheck);
  });

  test("refuses a key that is not 32 bytes of hex, and a PAN that is not 12-19 digits", async () => {
    await expect(createPanVault("abcd")).rejects.toMatchObject({ code: "invalid_input" });
    const vault = await createPanVault(KEY_HEX);
    await expect(vault.seal("4111-1111-1111")).rejects.toMatchObject({ code: "invalid_input" });
  });
});
