import { sha256 } from "@noble/hashes/sha2";
import { bytesToHex } from "@noble/hashes/utils";

/**
 * SHA-256 as hex, the same in every runtime: WebCrypto's digest where it exists (Node, and browsers in a secure
 * context), else @noble/hashes' audited JavaScript version, for pages served over plain HTTP from a LAN address,
 * which have no `crypto.subtle`.
 */
export async function sha256Hex(data: ArrayBuffer | Uint8Array): Promise<string> {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return bytesToHex(sha256(bytes));
  return bytesToHex(new Uint8Array(await subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>)));
}
