/**
 * Signature checks over a digest computed elsewhere ("pre-hashed"), which
 * node:crypto's verify() cannot do for RSA-PSS and ECDSA (it always hashes
 * the message itself). Qualcomm's signed images sign a digest built in
 * several hashing steps, so the last step's output is what the signature
 * covers.
 *
 * - RSA-PSS: the raw RSA operation (public key, no padding) gives the
 *   encoded message, checked as EMSA-PSS-VERIFY of RFC 8017 section 9.1.2
 *   with MGF1 over the same hash, any salt length.
 * - ECDSA: the verification equation of SEC 1 section 4.1.4 (FIPS 186-4
 *   section 6.4.2) on the NIST P-384 curve, in Jacobian coordinates with
 *   BigInt arithmetic; the curve constants are those of SEC 2 section 2.5.1
 *   (test/crypto/prehashed.test.ts compares them with `openssl ecparam`).
 *   The signature is DER (SEQUENCE of two INTEGERs, as OpenSSL writes it,
 *   trailing padding allowed) or raw r||s of 2 x 48 bytes.
 */
import { constants, createHash, publicDecrypt, type KeyObject } from 'node:crypto';

export type DigestAlgo = 'sha1' | 'sha256' | 'sha384';

/** The structure of an RSA-PSS encoded message, before the digest is compared. */
interface PssParts {
  h: Buffer;
  salt: Buffer;
}

function mgf1(seed: Buffer, length: number, algo: DigestAlgo): Buffer {
  const out: Buffer[] = [];
  let have = 0;
  for (let counter = 0; have < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    const block = createHash(algo).update(seed).update(c).digest();
    out.push(block);
    have += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/** RSA modulus size in bits, or null for a key that is not RSA. */
export function rsaModulusBits(key: KeyObject): number | null {
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'rsa-pss') return null;
  return key.asymmetricKeyDetails?.modulusLength ?? null;
}

/** The raw RSA public operation on `sig` (exactly the modulus size), or null when it fails. */
function rsaRaw(key: KeyObject, sig: Buffer): Buffer | null {
  try {
    return publicDecrypt({ key, padding: constants.RSA_NO_PADDING }, sig);
  } catch {
    return null;
  }
}

/** The PSS structure of `sig` under `key` with hash `algo`, or null when it is not a PSS encoding. */
export function pssParts(key: KeyObject, sig: Buffer, algo: DigestAlgo): PssParts | null {
  const modBits = rsaModulusBits(key);
  if (!modBits) return null;
  const raw = rsaRaw(key, sig);
  if (!raw) return null;
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  const hLen = createHash(algo).digest().length;
  // The raw result is as long as the modulus; an encoded message one byte shorter has a leading zero.
  if (raw.length < emLen || raw.subarray(0, raw.length - emLen).some((b) => b !== 0)) return null;
  const em = raw.subarray(raw.length - emLen);
  if (emLen < hLen + 2 || em[emLen - 1] !== 0xbc) return null;
  const maskedDb = em.subarray(0, emLen - hLen - 1);
  const h = Buffer.from(em.subarray(emLen - hLen - 1, emLen - 1));
  const topBits = 8 * emLen - emBits;
  const topMask = topBits ? 0xff << (8 - topBits) : 0;
  if (maskedDb[0] & topMask) return null;
  const db = mgf1(h, maskedDb.length, algo);
  for (let i = 0; i < db.length; i++) db[i] ^= maskedDb[i];
  db[0] &= ~topMask & 0xff;
  const one = db.findIndex((b) => b !== 0);
  if (one < 0 || db[one] !== 0x01) return null;
  return { h, salt: Buffer.from(db.subarray(one + 1)) };
}

/** Whether PSS parts (from pssParts) were made over `digest`. */
export function pssMatches(parts: PssParts, digest: Buffer, algo: DigestAlgo): boolean {
  const m = createHash(algo).update(Buffer.alloc(8)).update(digest).update(parts.salt).digest();
  return m.equals(parts.h);
}

/** The digest inside an RSA PKCS#1 v1.5 type 1 block (no DigestInfo is removed), or null. */
export function pkcs1Payload(key: KeyObject, sig: Buffer): Buffer | null {
  try {
    return publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, sig);
  } catch {
    return null;
  }
}

// NIST P-384 (SEC 2 section 2.5.1, secp384r1).
export const P384 = {
  p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
  a: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000fffffffcn,
  b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
  gx: 0xaa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7n,
  gy: 0x3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5fn,
  n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
};
const P384_BYTES = 48;

const mod = (a: bigint, m: bigint) => {
  const r = a % m;
  return r < 0n ? r + m : r;
};

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b = mod(b, m);
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}

type Jac = [bigint, bigint, bigint];
const INF: Jac = [1n, 1n, 0n];

function dbl([x, y, z]: Jac): Jac {
  const { p } = P384;
  if (z === 0n || y === 0n) return INF;
  // a = -3: dbl-2001-b.
  const delta = (z * z) % p;
  const gamma = (y * y) % p;
  const beta = (x * gamma) % p;
  const alpha = mod(3n * (x - delta) * (x + delta), p);
  const x3 = mod(alpha * alpha - 8n * beta, p);
  const z3 = mod((y + z) * (y + z) - gamma - delta, p);
  const y3 = mod(alpha * (4n * beta - x3) - 8n * gamma * gamma, p);
  return [x3, y3, z3];
}

function add(a: Jac, b: Jac): Jac {
  const { p } = P384;
  if (a[2] === 0n) return b;
  if (b[2] === 0n) return a;
  const [x1, y1, z1] = a;
  const [x2, y2, z2] = b;
  // add-2007-bl.
  const z1z1 = (z1 * z1) % p;
  const z2z2 = (z2 * z2) % p;
  const u1 = (x1 * z2z2) % p;
  const u2 = (x2 * z1z1) % p;
  const s1 = (((y1 * z2) % p) * z2z2) % p;
  const s2 = (((y2 * z1) % p) * z1z1) % p;
  if (u1 === u2) return s1 === s2 ? dbl(a) : INF;
  const h = mod(u2 - u1, p);
  const i = (4n * h * h) % p;
  const j = (h * i) % p;
  const r = mod(2n * (s2 - s1), p);
  const v = (u1 * i) % p;
  const x3 = mod(r * r - j - 2n * v, p);
  const y3 = mod(r * (v - x3) - 2n * s1 * j, p);
  const z3 = mod(((z1 + z2) * (z1 + z2) - z1z1 - z2z2) * h, p);
  return [x3, y3, z3];
}

/** u1*G + u2*Q by one double-and-add pass over both scalars. */
function twoMul(u1: bigint, u2: bigint, q: Jac): Jac {
  const g: Jac = [P384.gx, P384.gy, 1n];
  const gq = add(g, q);
  let acc = INF;
  const bits = Math.max(u1.toString(2).length, u2.toString(2).length);
  for (let i = bits - 1; i >= 0; i--) {
    acc = dbl(acc);
    const b1 = (u1 >> BigInt(i)) & 1n;
    const b2 = (u2 >> BigInt(i)) & 1n;
    if (b1 && b2) acc = add(acc, gq);
    else if (b1) acc = add(acc, g);
    else if (b2) acc = add(acc, q);
  }
  return acc;
}

const big = (b: Buffer) => (b.length ? BigInt(`0x${b.toString('hex')}`) : 0n);

/** r and s of an ECDSA signature: DER (trailing bytes allowed) or raw r||s; null when neither. */
export function ecdsaRS(sig: Buffer, size = P384_BYTES): { r: bigint; s: bigint; encoding: 'DER' | 'raw r||s' } | null {
  const der = (): { r: bigint; s: bigint } | null => {
    if (sig.length < 8 || sig[0] !== 0x30) return null;
    let i = 2;
    let len = sig[1];
    if (len === 0x81) [len, i] = [sig[2], 3];
    else if (len > 0x80) return null;
    if (i + len > sig.length) return null;
    const end = i + len;
    const ints: bigint[] = [];
    for (let k = 0; k < 2; k++) {
      if (i + 2 > end || sig[i] !== 0x02) return null;
      const l = sig[i + 1];
      if (l === 0 || l > size + 1 || i + 2 + l > end) return null;
      ints.push(big(sig.subarray(i + 2, i + 2 + l)));
      i += 2 + l;
    }
    return i === end ? { r: ints[0], s: ints[1] } : null;
  };
  const d = der();
  if (d) return { ...d, encoding: 'DER' };
  if (sig.length === 2 * size) return { r: big(sig.subarray(0, size)), s: big(sig.subarray(size)), encoding: 'raw r||s' };
  return null;
}

/** The public point of a P-384 key, or null when the key is not one. */
export function p384Point(key: KeyObject): { x: bigint; y: bigint } | null {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'secp384r1') return null;
  const jwk = key.export({ format: 'jwk' });
  if (!jwk.x || !jwk.y) return null;
  const x = big(Buffer.from(jwk.x, 'base64url'));
  const y = big(Buffer.from(jwk.y, 'base64url'));
  const { p, a, b } = P384;
  if (mod(y * y - (x * x * x + a * x + b), p) !== 0n) return null;
  return { x, y };
}

/** ECDSA P-384 verification of (r, s) over `digest` (used as is, truncated to 384 bits). */
export function ecdsaP384Verify(point: { x: bigint; y: bigint }, digest: Buffer, r: bigint, s: bigint): boolean {
  const { n, p } = P384;
  if (r <= 0n || r >= n || s <= 0n || s >= n) return false;
  let e = big(digest);
  if (digest.length > P384_BYTES) e >>= BigInt(8 * (digest.length - P384_BYTES));
  const w = modPow(s, n - 2n, n);
  const u1 = mod(e * w, n);
  const u2 = (r * w) % n;
  const [x, , z] = twoMul(u1, u2, [point.x, point.y, 1n]);
  if (z === 0n) return false;
  const zi = modPow(z, p - 2n, p);
  const ax = (x * ((zi * zi) % p)) % p;
  return ax % n === r;
}
