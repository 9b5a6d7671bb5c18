/**
 * The signature of a Qualcomm signed image. The OEM certificate chain
 * (attestation certificate, attestation CA, root; DER, end to end, padded
 * with 0xff) is listed, each certificate checked against the next and the
 * root against itself. The attestation certificate's subject carries the
 * signing attributes as OU fields, `NN <hex> NAME` (`01 0000000000000003
 * SW_ID`, `02 009900E100001607 HW_ID`, `04 0000 OEM_ID`, `05 00000148
 * SW_SIZE`, `06 1607 MODEL_ID`, `07 0001 SHA256`, `03 ... DEBUG`).
 *
 * For a v3 hash segment the image signature is checked: an RSA PKCS#1 v1.5
 * (type 1) block holding, with no DigestInfo, the digest
 *
 *     H( (HW_ID ^ 0x5c5c5c5c5c5c5c5c) || H( (SW_ID ^ 0x3636363636363636) || H(header || hash table) ) )
 *
 * with SW_ID and HW_ID as 8 big-endian bytes and H the hash the `07` field
 * names (Qualcomm's secure boot v1 "HMAC"; checked against the firehose
 * programmer in the shared corpus). What makes a signature *trusted* is the
 * root: the device compares the root certificate's hash with one fused into
 * it, which romscope cannot know. So a signature whose image digest and
 * chain verify is `unverifiable` unless `--key` gives the root's key, and
 * `verified` when it does. v5-v7 signatures (QTI and OEM, RSA-PSS or ECDSA
 * over the metadata) are listed but not verified.
 */
import { X509Certificate, constants, createHash, publicDecrypt, type KeyObject } from 'node:crypto';
import type { DecodeContext } from '../types';
import { certificatePublicKey, spkiSha256, summarizeCertificate } from '../../crypto/keys';
import { splitDerChain, type HashSegmentLayout } from './hash-segment';

/** Certificates read from one chain (Qualcomm chains have 2 or 3). */
const MAX_CERTS = 8;

export interface SignatureInput {
  layout: HashSegmentLayout;
  /** The hash segment's header, metadata and hash table: what a v3 signature covers. */
  header: Buffer;
  signature: Buffer | null;
  chain: Buffer | null;
  qtiSignature: Buffer | null;
  qtiChain: Buffer | null;
  digestSize: number | null;
}

/** `OU=01 0000000000000003 SW_ID` → SW_ID: 0000000000000003. */
export function attestationFields(subject: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of subject.split('\n')) {
    const m = /^OU=(\d\d) ([0-9A-Fa-f]+) ([A-Z0-9_]+)$/.exec(line.trim());
    if (m) out[m[3]] = m[2].toUpperCase();
  }
  return out;
}

const cn = (x: X509Certificate) => /(?:^|\n)CN=([^\n]*)/.exec(x.subject)?.[1] ?? x.subject.split('\n').join(', ');

interface Chain {
  certs: X509Certificate[];
  problem: string | null;
}

function readChain(bytes: Buffer | null, which: string): Chain {
  if (!bytes) return { certs: [], problem: null };
  const { certs: ders, problem } = splitDerChain(bytes, MAX_CERTS);
  const certs: X509Certificate[] = [];
  for (const [i, der] of ders.entries()) {
    try {
      certs.push(new X509Certificate(der));
    } catch {
      return { certs, problem: `certificate ${i + 1} of the ${which} chain does not parse as X.509` };
    }
  }
  if (problem) return { certs, problem: `${which} chain: ${problem}` };
  if (certs.length === 0) return { certs, problem: `the ${which} certificate chain holds no certificate` };
  // Each certificate is signed by the next; the last (the root) by itself.
  for (let i = 0; i < certs.length; i++) {
    const issuer = certs[Math.min(i + 1, certs.length - 1)];
    let key: KeyObject;
    try {
      key = certificatePublicKey(issuer);
    } catch (e) {
      return { certs, problem: (e as Error).message };
    }
    if (!certs[i].verify(key)) {
      return { certs, problem: i === certs.length - 1 ? `the ${which} root "${cn(certs[i])}" is not self-signed` : `the ${which} certificate "${cn(certs[i])}" is not signed by the next one, "${cn(issuer)}"` };
    }
  }
  return { certs, problem: null };
}

const HASH_BY_FIELD: Record<string, 'sha1' | 'sha256' | 'sha384'> = { SHA1: 'sha1', SHA256: 'sha256', SHA384: 'sha384' };

/** The v3 signed digest (see the file comment). */
export function mbnV3Digest(header: Buffer, swId: bigint, hwId: bigint, algo: 'sha1' | 'sha256' | 'sha384'): Buffer {
  const h = (...b: Buffer[]) => createHash(algo).update(Buffer.concat(b)).digest();
  const be = (v: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(v);
    return b;
  };
  const inner = h(be(swId ^ 0x3636363636363636n), h(header));
  return h(be(hwId ^ 0x5c5c5c5c5c5c5c5cn), inner);
}

export function checkSignature(s: SignatureInput, ctx: DecodeContext, info: Record<string, unknown>): void {
  const oem = readChain(s.chain, 'OEM');
  const qti = readChain(s.qtiChain, 'QTI');
  if (oem.certs.length) info.certificates = oem.certs.map((c) => summarizeCertificate(c));
  if (qti.certs.length) info.qtiCertificates = qti.certs.map((c) => summarizeCertificate(c));
  const att = oem.certs[0];
  const fields = att ? attestationFields(att.subject) : {};
  if (Object.keys(fields).length) info.attestation = fields;
  if (!s.signature && !s.chain && !s.qtiSignature) {
    ctx.fact({ kind: 'mbn-unsigned', message: `the hash table segment (v${s.layout.version}) carries no signature: the segment hashes are not signed` });
    return;
  }
  const problem = oem.problem ?? qti.problem;
  if (problem) {
    ctx.fact({ kind: 'mbn-signature', message: problem });
    return;
  }
  if (!s.signature || !att) {
    ctx.fact({ kind: 'mbn-signature-unchecked', message: `only a QTI signature (v${s.layout.version}), which romscope does not verify` });
    return;
  }
  const root = oem.certs[oem.certs.length - 1];
  const rootSha = createHash('sha256').update(root.raw).digest('hex');
  const rootKeySha = spkiSha256(certificatePublicKey(root));
  info.rootCertificateSha256 = rootSha;
  const chainWords = `attestation certificate "${cn(att)}", root "${cn(root)}" (certificate SHA-256 ${rootSha})`;
  if (s.layout.version !== 3) {
    ctx.fact({ kind: 'mbn-signature-unchecked', message: `the certificate chain verifies up to its self-signed root (${chainWords}), but romscope does not verify MBN v${s.layout.version} image signatures` });
    return;
  }
  const algo = HASH_BY_FIELD[Object.keys(fields).find((k) => k in HASH_BY_FIELD) ?? ''] ?? (s.digestSize === 20 ? 'sha1' : 'sha256');
  const attKey = certificatePublicKey(att);
  if (attKey.asymmetricKeyType !== 'rsa') {
    ctx.fact({ kind: 'mbn-signature-unchecked', message: `the attestation key is ${attKey.asymmetricKeyType ?? 'of an unknown type'}, not RSA: romscope verifies RSA v3 signatures only` });
    return;
  }
  if (fields.SW_ID === undefined || fields.HW_ID === undefined) {
    ctx.fact({ kind: 'mbn-signature', message: `the attestation certificate "${cn(att)}" has no ${fields.SW_ID === undefined ? 'SW_ID' : 'HW_ID'} field, which the v3 signature covers` });
    return;
  }
  const want = mbnV3Digest(s.header, BigInt(`0x${fields.SW_ID}`), BigInt(`0x${fields.HW_ID}`), algo);
  let got: Buffer | null;
  try {
    got = publicDecrypt({ key: attKey, padding: constants.RSA_PKCS1_PADDING }, s.signature);
  } catch {
    got = null;
  }
  if (!got || !got.equals(want)) {
    ctx.fact({
      kind: 'mbn-signature',
      message: `the image signature does not verify with the key of the attestation certificate "${cn(att)}": the hash table or header was changed after signing, or the signature belongs to another image`,
    });
    return;
  }
  const userKey = (ctx.keys ?? []).find((k) => k.origin === 'user' && k.spkiSha256 === rootKeySha);
  if (userKey) {
    ctx.fact({ kind: 'mbn-signature-ok', message: `the image signature verifies, and its chain up to the root given with --key (${userKey.label}): ${chainWords}`, signer: cn(att) });
    return;
  }
  const given = (ctx.keys ?? []).some((k) => k.origin === 'user');
  ctx.fact({
    kind: 'mbn-signature-unchecked',
    message: `the image signature and the certificate chain verify (${chainWords}), but the root is trusted only if it is the OEM root fused into the device: ${given ? 'it is none of the keys given with --key' : 'no OEM root key was given (pass it with --key)'}`,
  });
}
