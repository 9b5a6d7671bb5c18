/**
 * Verifying a vbmeta image's signature (FORMATS.md §5.4 steps 2–6) with
 * node:crypto: the hash is recomputed over header ‖ auxiliary block and
 * compared with the stored one, then the RSA PKCS#1 v1.5 signature is
 * checked with the public key rebuilt from the AVB key blob (modulus and the
 * fixed exponent 65537, as a JWK).
 */
import { createHash, createPublicKey, verify, constants, type KeyObject } from 'node:crypto';
import { findKnownKey } from './known-keys';
import { keyBlobInconsistency, parseKeyBlob, type Algorithm, type KeyBlob, type Layout } from './structs';

export interface KeyDescription {
  /** RSA size from the blob; null when the bytes are not a key blob. */
  bits: number | null;
  /** Digests of the blob as stored (what avbtool info_image prints as "Public key (sha1)"). */
  sha1: string;
  sha256: string;
  /** Name of a known key (known-keys.ts). */
  name?: string;
  /** The key's private half is public. */
  testKey?: boolean;
}

export function describeKey(blob: Buffer): KeyDescription {
  const sha1 = createHash('sha1').update(blob).digest('hex');
  const sha256 = createHash('sha256').update(blob).digest('hex');
  const parsed = parseKeyBlob(blob);
  const known = findKnownKey(sha1, sha256);
  return {
    bits: 'key' in parsed ? parsed.key.bits : null,
    sha1,
    sha256,
    ...(known ? { name: known.name, ...(known.test ? { testKey: true } : {}) } : {}),
  };
}

/** The blob's modulus as a node public key (exponent 65537, §5.2). */
function rsaPublicKey(k: KeyBlob): KeyObject {
  let n = k.modulus;
  let i = 0;
  while (i < n.length - 1 && n[i] === 0) i++;
  n = n.subarray(i);
  return createPublicKey({ key: { kty: 'RSA', n: n.toString('base64url'), e: 'AQAB' }, format: 'jwk' });
}

export type SignatureResult = { status: 'verified' } | { status: 'failed'; reason: 'hash' | 'key' | 'signature'; message: string; offset?: number };

/**
 * Steps 3–6 of §5.4 for a signed image whose layout passed the structural
 * checks. A key blob libavb would refuse, or whose Montgomery constants do
 * not belong to its modulus, fails the signature (libavb's
 * SIGNATURE_MISMATCH), as does a key of another size than the algorithm's.
 */
export function verifySignature(data: Buffer, layout: Layout, alg: Algorithm): SignatureResult {
  const hashName = alg.hash!;
  const header = data.subarray(0, 256);
  const aux = data.subarray(layout.auxStart, layout.total);
  const computed = createHash(hashName).update(header).update(aux).digest();
  const stored = data.subarray(layout.hash[0], layout.hash[1]);
  if (!computed.equals(stored)) {
    return {
      status: 'failed',
      reason: 'hash',
      message: `the vbmeta hash does not match: header and auxiliary block hash to ${computed.toString('hex')}, the authentication block holds ${stored.toString('hex')} (libavb: HASH_MISMATCH)`,
      offset: layout.hash[0],
    };
  }
  const blob = data.subarray(layout.publicKey[0], layout.publicKey[1]);
  const parsed = parseKeyBlob(blob);
  if ('problem' in parsed) return { status: 'failed', reason: 'key', message: `the embedded public key is not usable: ${parsed.problem}`, offset: layout.publicKey[0] };
  const key = parsed.key;
  if (key.bits !== alg.keyBits) {
    return { status: 'failed', reason: 'key', message: `the embedded public key is ${key.bits} bits; ${alg.name} needs a ${alg.keyBits}-bit key`, offset: layout.publicKey[0] };
  }
  const sig = data.subarray(layout.signature[0], layout.signature[1]);
  if (sig.length !== key.bits / 8) {
    return { status: 'failed', reason: 'signature', message: `the signature is ${sig.length} bytes; a ${key.bits}-bit key makes ${key.bits / 8}`, offset: layout.signature[0] };
  }
  const bad = keyBlobInconsistency(key);
  if (bad) return { status: 'failed', reason: 'key', message: `the embedded public key blob is inconsistent (${bad}); libavb computes with those numbers and cannot verify anything with it`, offset: layout.publicKey[0] };
  let ok: boolean;
  try {
    ok = verify(hashName, Buffer.concat([header, aux]), { key: rsaPublicKey(key), padding: constants.RSA_PKCS1_PADDING }, sig);
  } catch (e) {
    return { status: 'failed', reason: 'key', message: `the embedded public key is not a usable RSA key (${(e as Error).message})`, offset: layout.publicKey[0] };
  }
  if (!ok) return { status: 'failed', reason: 'signature', message: `the RSA signature does not verify with the embedded ${key.bits}-bit key (libavb: SIGNATURE_MISMATCH)`, offset: layout.signature[0] };
  return { status: 'verified' };
}
