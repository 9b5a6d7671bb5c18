/**
 * Payload signatures (FORMATS.md §6.5): a `Signatures` message of raw RSA
 * (PKCS#1 v1.5 over the SHA-256 DigestInfo) or padded DER ECDSA signatures.
 * The verifier accepts when any signature verifies with any trusted key, as
 * update_engine does with the keys of otacerts.zip.
 */
import { constants, createVerify, publicDecrypt, type Verify } from 'node:crypto';
import type { TrustedKey } from '../../crypto/keys';
import type { Signature } from './manifest';

const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

export interface SignatureOutcome {
  status: 'verified' | 'failed' | 'unchecked';
  key?: TrustedKey;
  reason?: string;
}

/** The keys a payload is checked against: the user's when given, else the ones its package vouches for. */
export function payloadKeys(keys: readonly TrustedKey[] | undefined): TrustedKey[] {
  const all = keys ?? [];
  const user = all.filter((k) => k.origin === 'user');
  return user.length ? user : [...all];
}

function rsaVerifies(key: TrustedKey, sig: Buffer, digest: Buffer): boolean {
  try {
    const info = publicDecrypt({ key: key.publicKey, padding: constants.RSA_PKCS1_PADDING }, sig);
    return info.equals(Buffer.concat([SHA256_DIGEST_INFO, digest]));
  } catch {
    return false; // wrong size for this key, bad padding
  }
}

/**
 * One signed region's check. EC keys need the signed bytes themselves (node
 * cannot verify ECDSA over a precomputed digest), so `update` feeds them; RSA
 * keys only need the SHA-256 given to `finish`.
 */
export class PayloadSignatureCheck {
  private readonly ec: { key: TrustedKey; sig: Buffer; v: Verify }[] = [];
  constructor(
    private readonly keys: TrustedKey[],
    private readonly signatures: Signature[],
  ) {
    for (const key of keys) {
      if (key.publicKey.asymmetricKeyType !== 'ec') continue;
      for (const s of signatures) {
        const n = s.unpaddedSize !== null && s.unpaddedSize <= s.data.length ? s.unpaddedSize : s.data.length;
        this.ec.push({ key, sig: s.data.subarray(0, n), v: createVerify('sha256') });
      }
    }
  }

  get needsBytes(): boolean {
    return this.ec.length > 0;
  }

  update(b: Buffer): void {
    for (const e of this.ec) e.v.update(b);
  }

  finish(digest: Buffer): SignatureOutcome {
    if (this.keys.length === 0) return { status: 'unchecked', reason: 'no key to check it against' };
    if (this.signatures.length === 0) return { status: 'failed', reason: 'the Signatures message holds no signature' };
    for (const key of this.keys) {
      if (key.publicKey.asymmetricKeyType !== 'rsa') continue;
      for (const s of this.signatures) if (rsaVerifies(key, s.data, digest)) return { status: 'verified', key };
    }
    for (const e of this.ec) {
      try {
        if (e.v.verify(e.key.publicKey, e.sig)) return { status: 'verified', key: e.key };
      } catch {
        // not a DER ECDSA signature
      }
    }
    const names = this.keys.map((k) => k.label).join(', ');
    return { status: 'failed', reason: `none of its ${this.signatures.length} signature(s) verifies with ${names}` };
  }
}
