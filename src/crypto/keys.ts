/**
 * Keys and certificates that signatures are checked against: those the user
 * passes with `--key`, and those a package vouches for itself (the
 * `META-INF/com/android/otacert` of an OTA package, for its payload).
 */
import { X509Certificate, createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { knownTestKey } from './known-keys';
import { FormatError } from '../io/errors';

/** What a report says about a certificate. */
export interface CertSummary {
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  /** `AA:BB:...`, as `openssl x509 -fingerprint -sha256` prints it. */
  sha256Fingerprint: string;
  sha1Fingerprint: string;
  publicKey: string;
  /** Set when it is a public test certificate (src/crypto/known-keys.ts). */
  knownAs?: string;
}

export interface TrustedKey {
  /** Where it came from: a --key file name, or the member that holds it. */
  label: string;
  origin: 'user' | 'package';
  publicKey: KeyObject;
  /** SHA-256 of the DER SubjectPublicKeyInfo, lower-case hex. */
  spkiSha256: string;
  certificate?: CertSummary;
  /** Set when it is a public test key. */
  knownAs?: string;
}

/** `RSA 2048 (e=3)`, `EC P-256`. */
function describePublicKey(k: KeyObject): string {
  const d = k.asymmetricKeyDetails ?? {};
  if (k.asymmetricKeyType === 'rsa' || k.asymmetricKeyType === 'rsa-pss') {
    return `RSA ${d.modulusLength ?? '?'}${d.publicExponent !== undefined ? ` (e=${d.publicExponent})` : ''}`;
  }
  if (k.asymmetricKeyType === 'ec') return `EC ${d.namedCurve ?? ''}`.trim();
  return (k.asymmetricKeyType ?? 'unknown').toUpperCase();
}

export function spkiSha256(k: KeyObject): string {
  return createHash('sha256')
    .update(k.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

function isoDate(s: string): string {
  const t = Date.parse(s);
  return Number.isNaN(t) ? s : new Date(t).toISOString().replace('.000Z', 'Z');
}

/** One line per attribute in certificate order, joined with ", " (Node gives them one per line). */
function dn(s: string): string {
  return s.split('\n').filter(Boolean).join(', ');
}

/**
 * A certificate's public key. OpenSSL parses it only when asked, so a
 * certificate whose key is damaged reads fine until then: this says so in
 * words (a FormatError) instead of OpenSSL's decoder error.
 */
export function certificatePublicKey(x: X509Certificate): KeyObject {
  try {
    return x.publicKey;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FormatError(`the public key in the certificate of ${dn(x.subject) || 'its signer'} is malformed: it does not parse as a key${code ? ` (${code})` : ''}`);
  }
}

export function summarizeCertificate(x: X509Certificate): CertSummary {
  const sha256 = x.fingerprint256;
  const sha1 = x.fingerprint;
  const plain = (f: string) => f.replace(/:/g, '').toLowerCase();
  let key: KeyObject | null = null;
  try {
    key = certificatePublicKey(x);
  } catch {
    // Described as malformed below; whoever verifies with it reports why.
  }
  const known = knownTestKey({ certSha256: plain(sha256), certSha1: plain(sha1), ...(key ? { spkiSha256: spkiSha256(key) } : {}) });
  return {
    subject: dn(x.subject),
    issuer: dn(x.issuer),
    serialNumber: x.serialNumber.toUpperCase(),
    notBefore: isoDate(x.validFrom),
    notAfter: isoDate(x.validTo),
    sha256Fingerprint: sha256,
    sha1Fingerprint: sha1,
    publicKey: key ? describePublicKey(key) : 'malformed (does not parse)',
    ...(known && { knownAs: known.name }),
  };
}

function keyFromCertificate(x: X509Certificate, label: string, origin: TrustedKey['origin']): TrustedKey {
  const certificate = summarizeCertificate(x);
  const publicKey = certificatePublicKey(x);
  return { label, origin, publicKey, spkiSha256: spkiSha256(publicKey), certificate, ...(certificate.knownAs && { knownAs: certificate.knownAs }) };
}

function keyFromPublicKey(k: KeyObject, label: string, origin: TrustedKey['origin']): TrustedKey {
  const spki = spkiSha256(k);
  const known = knownTestKey({ spkiSha256: spki });
  return { label, origin, publicKey: k, spkiSha256: spki, ...(known && { knownAs: known.name }) };
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/**
 * Every key in a file: PEM certificates, public keys or private keys (the
 * public half is used), or one DER certificate, SubjectPublicKeyInfo, PKCS#1
 * public key or PKCS#8 private key (signapk's `.pk8`). Throws when it holds none.
 */
export function parseKeyFile(bytes: Buffer, label: string, origin: TrustedKey['origin'] = 'user'): TrustedKey[] {
  const text = bytes.toString('latin1');
  const out: TrustedKey[] = [];
  const blocks = [...text.matchAll(PEM_BLOCK)];
  if (blocks.length) {
    for (const m of blocks) {
      const type = m[1];
      try {
        if (type === 'CERTIFICATE' || type === 'X509 CERTIFICATE' || type === 'TRUSTED CERTIFICATE') out.push(keyFromCertificate(new X509Certificate(m[0]), label, origin));
        else if (/PRIVATE KEY$/.test(type)) out.push(keyFromPublicKey(createPublicKey(createPrivateKey(m[0])), label, origin));
        else if (/PUBLIC KEY$/.test(type)) out.push(keyFromPublicKey(createPublicKey(m[0]), label, origin));
      } catch (e) {
        throw new Error(`${label}: ${type} block does not parse (${(e as Error).message})`, { cause: e });
      }
    }
    if (out.length === 0) throw new Error(`${label}: no certificate or key in it (PEM blocks: ${blocks.map((b) => b[1]).join(', ')})`);
    return out;
  }
  const attempts: (() => TrustedKey)[] = [
    () => keyFromCertificate(new X509Certificate(bytes), label, origin),
    () => keyFromPublicKey(createPublicKey({ key: bytes, format: 'der', type: 'spki' }), label, origin),
    () => keyFromPublicKey(createPublicKey({ key: bytes, format: 'der', type: 'pkcs1' }), label, origin),
    () => keyFromPublicKey(createPublicKey(createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8' })), label, origin),
    () => keyFromPublicKey(createPublicKey(createPrivateKey({ key: bytes, format: 'der', type: 'pkcs1' })), label, origin),
  ];
  for (const a of attempts) {
    try {
      return [a()];
    } catch {
      // try the next encoding
    }
  }
  throw new Error(`${label}: not a certificate or key (PEM or DER X.509 certificate, public key or private key)`);
}
