import { maskPan } from "../iso8583/sensitive.ts";
import { LedgerError } from "./ledger.ts";
import { AssertionFailure } from "../ops/assert.ts";
import { isPanDigits, PAN_DIGITS_MAX, PAN_DIGITS_TEXT } from "../domain/pan.ts";

/**
 * Card numbers at rest. One 32-byte program key (SEKISHO_PAN_KEY) yields two subkeys, so that the lookup
 * index and the encryption never share a key: HMAC-SHA256(key, label) for each label below.
 * - index(pan): HMAC-SHA256 under the index subkey, base64. Synchronous, so that a batch looks its cards
 *   up inside its (synchronous) SQLite transaction. indexInto() computes the same HMAC (RFC 2104) from two
 *   SHA-256 calls over preallocated buffers, so the hot path allocates nothing per PAN.
 * - seal(pan) / open(sealed): AES-256-GCM under the encryption subkey, through WebCrypto (asynchronous:
 *   callers seal before they enter a transaction). Layout: version (1) ‖ IV (12) ‖ ciphertext+tag.
 * The vault never logs and its errors never carry a PAN.
 */
const INDEX_LABEL = "sekisho pan index v1";
const SEAL_LABEL = "sekisho pan seal v1";
const CHECK_LABEL = "sekisho pan key check v1";
const SEAL_VERSION = 1;
const IV_BYTES = 12;
const ADDITIONAL_DATA = new TextEncoder().encode("sekisho-pan");

export const PAN_INDEX_BYTES = 32;
/** Bun writes a digest only into a buffer large enough for any digest. */
export const PAN_INDEX_SCRATCH_BYTES = 64;

export interface PanVault {
  /** The lookup key as stored (base64). */
  index(pan: string): string;
  /** The same key's bytes, written into the first 32 bytes of `out` (PAN_INDEX_SCRATCH_BYTES long). */
  indexInto(pan: string, out: Uint8Array): void;
  seal(pan: string): Promise<Uint8Array>;
  open(sealed: Uint8Array): Promise<string>;
  /** A value that identifies the key without revealing it, stored to refuse a ledger opened with another key. */
  readonly keyCheck: string;
}

export function isPan(value: string): boolean {
  return isPanDigits(value);
}

export function panDisplay(pan: string): { panMasked: string; last4: string } {
  return { panMasked: maskPan(pan), last4: pan.slice(-4) };
}

function subkey(master: Uint8Array, label: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(new Bun.CryptoHasher("sha256", master).update(label).digest());
}

const SHA256_BLOCK_BYTES = 64;
const SHA256_BYTES = 32;

/**
 * HMAC-SHA256 with a fixed key of at most one block, for messages of at most 19 ASCII characters:
 * H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)), the padded keys computed once.
 */
function hmacSha256Into(key: Uint8Array): (message: string, out: Uint8Array) => void {
  if (key.length > SHA256_BLOCK_BYTES) throw new AssertionFailure("HMAC key longer than a block");
  const inner = new Uint8Array(SHA256_BLOCK_BYTES + PAN_DIGITS_MAX);
  const outer = new Uint8Array(SHA256_BLOCK_BYTES + SHA256_BYTES);
  for (let i = 0; i < SHA256_BLOCK_BYTES; i++) {
    inner[i] = (key[i] ?? 0) ^ 0x36;
    outer[i] = (key[i] ?? 0) ^ 0x5c;
  }
  // One view per message length, made once: no allocation per call.
  const innerViews = Array.from({ length: PAN_DIGITS_MAX + 1 }, (_, n) => inner.subarray(0, SHA256_BLOCK_BYTES + n));
  const innerHash = outer.subarray(SHA256_BLOCK_BYTES);
  return (message, out) => {
    if (message.length > PAN_DIGITS_MAX) throw new LedgerError("invalid_input", `PAN longer than ${PAN_DIGITS_MAX} digits`);
    for (let i = 0; i < message.length; i++) inner[SHA256_BLOCK_BYTES + i] = message.charCodeAt(i);
    Bun.SHA256.hash(innerViews[message.length]!, innerHash);
    Bun.SHA256.hash(outer, out);
  };
}

export async function createPanVault(keyHex: string): Promise<PanVault> {
  if (!/^[0-9a-fA-F]{64}$/.test(keyHex)) throw new LedgerError("invalid_input", "PAN key must be 32 bytes as 64 hex characters");
  const master = new Uint8Array(Buffer.from(keyHex, "hex"));
  const indexKey = subkey(master, INDEX_LABEL);
  const indexHmac = new Bun.CryptoHasher("sha256", indexKey);
  const indexInto = hmacSha256Into(indexKey);
  const keyCheck = Buffer.from(subkey(master, CHECK_LABEL)).toString("hex").slice(0, 16);
  const sealKey = await crypto.subtle.importKey("raw", subkey(master, SEAL_LABEL), { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
  master.fill(0);
  return {
    keyCheck,
    index(pan) {
      return indexHmac.copy().update(pan).digest("base64");
    },
    indexInto,
    async seal(pan) {
      if (!isPan(pan)) throw new LedgerError("invalid_input", `PAN must be ${PAN_DIGITS_TEXT}`);
      const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
      const params = { name: "AES-GCM", iv, additionalData: ADDITIONAL_DATA };
      const ciphertext = new Uint8Array(await crypto.subtle.encrypt(params, sealKey, new TextEncoder().encode(pan)));
      const sealed = new Uint8Array(1 + IV_BYTES + ciphertext.length);
      sealed[0] = SEAL_VERSION;
      sealed.set(iv, 1);
      sealed.set(ciphertext, 1 + IV_BYTES);
      return sealed;
    },
    async open(input) {
      const sealed = new Uint8Array(input);
      if (sealed.length <= 1 + IV_BYTES || sealed[0] !== SEAL_VERSION) throw new LedgerError("invalid_input", "not a sealed PAN");
      const params = { name: "AES-GCM", iv: sealed.subarray(1, 1 + IV_BYTES), additionalData: ADDITIONAL_DATA };
      try {
        return new TextDecoder().decode(await crypto.subtle.decrypt(params, sealKey, sealed.subarray(1 + IV_BYTES)));
      } catch (error) {
        throw new LedgerError("invalid_input", "sealed PAN does not open with this key (wrong key or altered data)", { cause: error });
      }
    },
  };
}
