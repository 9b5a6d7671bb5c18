/**
 * The signatures of a Qualcomm signed image. Each certificate chain (OEM,
 * and from v5 on QTI; DER, end to end, padded with 0xff; attestation
 * certificate first, root last) is listed, each certificate checked against
 * the next and the root against itself. The attestation certificate's
 * subject carries the signing attributes as OU fields, `NN <hex> NAME`
 * (`01 0000000000000003 SW_ID`, `02 009900E100001607 HW_ID`, `04 0000
 * OEM_ID`, `05 00000148 SW_SIZE`, `06 1607 MODEL_ID`, `07 0001 SHA256`,
 * `03 ... DEBUG`); from v6 on these live in the metadata blocks instead.
 *
 * What a signature covers (Qualcomm's "Secure Boot and Image
 * Authentication" overviews; the hash segment layouts of qtestsign's
 * mbn/hashseg.py; sectools' MBN v5/v6 parsers, which sign "header + code"
 * with the other authority's metadata and sizes masked):
 *
 * - v3, v5: the hash segment header and the hash table;
 * - v6: the 48-byte header, the QTI and OEM metadata and the hash table;
 * - v7: the 40-byte header, the common, QTI and OEM metadata and the hash table;
 *
 * for a v6/v7 signature with the other authority's metadata zeroed and its
 * signature and chain sizes 0 (the bytes as they stand are tried too, and
 * for a v5 QTI signature the OEM sizes as 0). The signed digest is
 * Qualcomm's SW_ID/HW_ID-bound one,
 *
 *     H( (HW_ID ^ 0x5c5c5c5c5c5c5c5c) || H( (SW_ID ^ 0x3636363636363636) || H(signed bytes) ) )
 *
 * with SW_ID and HW_ID as 8 big-endian bytes and H the hash the `07` field
 * names or the hash table's (checked against the firehose programmer in the
 * shared corpus for v3); the IDs come from the attestation certificate or,
 * v6, from the signer's metadata (HW_ID = hw_id << 32 | oem_id << 16 |
 * model_id, SW_ID with or without the anti-rollback version above it). From
 * v5 on, sectools can sign with this "HMAC" off: the plain H(signed bytes)
 * is accepted too. The signature is RSA PKCS#1 v1.5 (a type 1 block holding
 * the digest, no DigestInfo), RSA-PSS (MGF1 with H, any salt) or ECDSA
 * P-384 (DER or r||s) by the attestation key (../../crypto/prehashed). A
 * signature that fits none of these is `mbn-signature`; a key romscope
 * cannot check with (another curve, another type) is unchecked, with why.
 *
 * What makes a signature *trusted* is the root: the device compares the
 * root certificate's hash with one fused into it (the OEM root; the QTI
 * root is in the boot ROM), which romscope cannot know. So a signature
 * whose digest and chain verify is `unverifiable` unless `--key` gives the
 * root's key (the OEM root, or the QTI root of a QTI-only image), and
 * `verified` when it does.
 */
import { X509Certificate, createHash, type KeyObject } from 'node:crypto';
import type { DecodeContext } from '../types';
import { certificatePublicKey, spkiSha256, summarizeCertificate } from '../../crypto/keys';
import { ecdsaP384Verify, ecdsaRS, p384Point, pkcs1Payload, pssMatches, pssParts, rsaModulusBits, type DigestAlgo } from '../../crypto/prehashed';
import { splitDerChain, type HashSegmentLayout } from './hash-segment';

/** Certificates read from one chain (Qualcomm chains have 2 or 3). */
const MAX_CERTS = 8;

export interface SignatureInput {
  layout: HashSegmentLayout;
  /** The hash segment from its start to the end of the hash table: header, metadata and hash table. */
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

const HASH_BY_FIELD: Record<string, DigestAlgo> = { SHA1: 'sha1', SHA256: 'sha256', SHA384: 'sha384' };
const DIGEST_BY_SIZE: Record<number, DigestAlgo> = { 20: 'sha1', 32: 'sha256', 48: 'sha384' };

/** The v3 signed digest (see the file comment). */
export function mbnV3Digest(header: Buffer, swId: bigint, hwId: bigint, algo: DigestAlgo): Buffer {
  const h = (...b: Buffer[]) => createHash(algo).update(Buffer.concat(b)).digest();
  const be = (v: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(v & 0xffffffffffffffffn);
    return b;
  };
  const inner = h(be(swId ^ 0x3636363636363636n), h(header));
  return h(be(hwId ^ 0x5c5c5c5c5c5c5c5cn), inner);
}

type Authority = 'OEM' | 'QTI';

/** Header fields (32-bit word index) giving the signature and chain sizes of each authority. */
const SIZE_FIELDS: Record<number, Record<Authority, [number, number]>> = {
  5: { QTI: [2, 3], OEM: [7, 9] },
  6: { QTI: [2, 3], OEM: [7, 9] },
  7: { QTI: [6, 7], OEM: [8, 9] },
};

/**
 * The bytes one authority signed: the header, metadata and hash table, with
 * (v6, v7) the other authority's metadata zeroed and its signature and
 * chain sizes 0, as sectools prepares them for a double-signed image; the
 * bytes as they stand are tried too (a single-signed image has nothing to
 * mask). A v5 QTI signature was made before the OEM sizes were filled in.
 */
function signedReadings(layout: HashSegmentLayout, header: Buffer, who: Authority): { bytes: Buffer; masked: boolean }[] {
  const out = [{ bytes: header, masked: false }];
  const fields = SIZE_FIELDS[layout.version];
  if (!fields || (layout.version === 5 && who === 'OEM')) return out;
  const other: Authority = who === 'OEM' ? 'QTI' : 'OEM';
  const m = Buffer.from(header);
  for (const f of fields[other]) m.writeUInt32LE(0, f * 4);
  const md = other === 'QTI' ? layout.qtiMetadata : layout.oemMetadata;
  if (layout.version !== 5 && md) m.fill(0, md.offset, md.offset + md.size);
  if (!m.equals(header)) out.unshift({ bytes: m, masked: true });
  return out;
}

interface Ids {
  swId: bigint;
  hwId: bigint;
  from: string;
}

/** SW_ID/HW_ID pairs a v6 metadata block (version 0.0 or 1.0, 120 bytes) names: sw_id, hw_id, oem_id, model_id, ..., anti_rollback_version. */
function metadataIds(md: Buffer | null, who: Authority): Ids[] {
  if (!md || md.length < 120 || md.readUInt32LE(0) > 1 || md.every((b) => b === 0)) return [];
  const sw = BigInt(md.readUInt32LE(8));
  const hw = (BigInt(md.readUInt32LE(12)) << 32n) | (BigInt(md.readUInt32LE(16) & 0xffff) << 16n) | BigInt(md.readUInt32LE(20) & 0xffff);
  const arb = BigInt(md.readUInt32LE(116));
  const from = `the ${who} metadata`;
  return arb
    ? [
        { swId: sw, hwId: hw, from },
        { swId: (arb << 32n) | sw, hwId: hw, from },
      ]
    : [{ swId: sw, hwId: hw, from }];
}

interface Candidate {
  digest: Buffer;
  /** How the digest was made, for the report. */
  how: string;
  masked: boolean;
}

function candidates(s: SignatureInput, who: Authority, algo: DigestAlgo, certIds: Ids | null): Candidate[] {
  const out: Candidate[] = [];
  const md = who === 'OEM' ? s.layout.oemMetadata : s.layout.qtiMetadata;
  const ids = [...(certIds ? [certIds] : []), ...(s.layout.version === 6 && md ? metadataIds(s.header.subarray(md.offset, md.offset + md.size), who) : [])];
  const hex = (v: bigint) => v.toString(16).toUpperCase().padStart(16, '0');
  for (const { bytes, masked } of signedReadings(s.layout, s.header, who)) {
    for (const id of ids)
      out.push({ digest: mbnV3Digest(bytes, id.swId, id.hwId, algo), how: `Qualcomm's SW_ID/HW_ID-bound ${algo.toUpperCase()} digest (SW_ID ${hex(id.swId)}, HW_ID ${hex(id.hwId)} from ${id.from})`, masked });
    // Signed with sectools' HMAC off: the plain digest (v5 on; v3 is always bound).
    if (s.layout.version !== 3) out.push({ digest: createHash(algo).update(bytes).digest(), how: `plain ${algo.toUpperCase()} digest`, masked });
  }
  return out;
}

type Verdict = { ok: true; algorithm: string; candidate: Candidate } | { ok: false; bad: string } | { ok: false; unknown: string };

function verifyWith(key: KeyObject, sig: Buffer, cands: Candidate[], algo: DigestAlgo, version: number): Verdict {
  if (sig.every((b) => b === sig[0]) && (sig[0] === 0xff || sig[0] === 0)) {
    return { ok: false, bad: `it is a placeholder of ${sig.length} 0x${sig[0].toString(16).padStart(2, '0')} bytes, not a signature (qtestsign writes one for devices without secure boot)` };
  }
  const bits = rsaModulusBits(key);
  if (bits) {
    const k = Math.ceil(bits / 8);
    if (sig.length < k) return { ok: false, bad: `it has ${sig.length} bytes, fewer than the ${bits}-bit RSA key needs (${k})` };
    const s = sig.subarray(0, k);
    const payload = pkcs1Payload(key, s);
    if (payload) {
      const c = cands.find((x) => x.digest.equals(payload));
      return c ? { ok: true, algorithm: `RSA-${bits} PKCS#1 v1.5`, candidate: c } : { ok: false, bad: 'it is an RSA PKCS#1 v1.5 signature by this key, over another digest' };
    }
    const pss = pssParts(key, s, algo);
    if (pss) {
      const c = cands.find((x) => pssMatches(pss, x.digest, algo));
      return c ? { ok: true, algorithm: `RSA-${bits} PSS (MGF1 ${algo.toUpperCase()}, ${pss.salt.length}-byte salt)`, candidate: c } : { ok: false, bad: 'it is an RSA-PSS signature by this key, over another digest' };
    }
    // v3 images are signed one way only, so anything else is a bad signature. From v5 on, stock images exist
    // (OnePlus firehose programmers) whose signature opens under their attestation key to neither block:
    // a scheme romscope does not know, or a damaged signature; it cannot tell which, so it does not say failed.
    if (version === 3) return { ok: false, bad: 'it is neither an RSA PKCS#1 v1.5 nor an RSA-PSS signature by this key' };
    return {
      ok: false,
      unknown: `the signature opens under the key of the attestation certificate to neither an RSA PKCS#1 v1.5 nor an RSA-PSS block: a signing scheme romscope does not know (some stock OnePlus programmers are signed so), or a damaged signature`,
    };
  }
  if (key.asymmetricKeyType === 'ec') {
    const point = p384Point(key);
    if (!point) return { ok: false, unknown: `the attestation key is EC ${key.asymmetricKeyDetails?.namedCurve ?? '(unknown curve)'}; romscope verifies ECDSA on P-384 only` };
    const rs = ecdsaRS(sig);
    if (!rs) return { ok: false, bad: 'it is neither a DER-encoded ECDSA signature nor 96 bytes of r||s' };
    const c = cands.find((x) => ecdsaP384Verify(point, x.digest, rs.r, rs.s));
    return c ? { ok: true, algorithm: `ECDSA P-384 (${rs.encoding})`, candidate: c } : { ok: false, bad: `it is an ECDSA signature (${rs.encoding}) that does not verify with this key over the signed digest` };
  }
  return { ok: false, unknown: `the attestation key is ${key.asymmetricKeyType ?? 'of an unknown type'}, which romscope does not verify signatures with (RSA, ECDSA P-384)` };
}

const covers = (v: number) => (v === 3 || v === 5 ? 'header and hash table' : v === 6 ? 'header, QTI and OEM metadata and hash table' : 'header, common, QTI and OEM metadata and hash table');

export function checkSignature(s: SignatureInput, ctx: DecodeContext, info: Record<string, unknown>): void {
  const oem = readChain(s.chain, 'OEM');
  const qti = readChain(s.qtiChain, 'QTI');
  if (oem.certs.length) info.certificates = oem.certs.map((c) => summarizeCertificate(c));
  if (qti.certs.length) info.qtiCertificates = qti.certs.map((c) => summarizeCertificate(c));
  const att = oem.certs[0];
  const fields = att ? attestationFields(att.subject) : {};
  if (Object.keys(fields).length) info.attestation = fields;
  if (!s.signature && !s.chain && !s.qtiSignature && !s.qtiChain) {
    ctx.fact({ kind: 'mbn-unsigned', message: `the hash table segment (v${s.layout.version}) carries no signature: the segment hashes are not signed` });
    return;
  }
  const problem = oem.problem ?? qti.problem;
  if (problem) {
    ctx.fact({ kind: 'mbn-signature', message: problem });
    return;
  }
  const v = s.layout.version;
  const signers: { who: Authority; sig: Buffer; chain: Chain }[] = [];
  if (s.signature) signers.push({ who: 'OEM', sig: s.signature, chain: oem });
  if (s.qtiSignature) signers.push({ who: 'QTI', sig: s.qtiSignature, chain: qti });
  const orphan = (['OEM', 'QTI'] as const).find((w) => (w === 'OEM' ? !s.signature && oem.certs.length : !s.qtiSignature && qti.certs.length));
  if (orphan && !signers.length) {
    ctx.fact({ kind: 'mbn-signature-unchecked', message: `the ${orphan} certificate chain verifies, but the hash segment (v${v}) holds no signature for it: nothing is signed` });
    return;
  }
  const results: { who: Authority; att: X509Certificate; verdict: Verdict }[] = [];
  for (const { who, sig, chain } of signers) {
    const a = chain.certs[0];
    if (!a) {
      ctx.fact({ kind: 'mbn-signature-unchecked', message: `the ${who} signature (v${v}) has no certificate chain to check it with` });
      return;
    }
    const f = attestationFields(a.subject);
    const algo = (v <= 5 ? HASH_BY_FIELD[Object.keys(f).find((k) => k in HASH_BY_FIELD) ?? ''] : undefined) ?? DIGEST_BY_SIZE[s.digestSize ?? 0] ?? (v >= 6 ? 'sha384' : 'sha256');
    const certIds = f.SW_ID !== undefined && f.HW_ID !== undefined ? { swId: BigInt(`0x${f.SW_ID}`), hwId: BigInt(`0x${f.HW_ID}`), from: 'the attestation certificate' } : null;
    if (v === 3 && !certIds) {
      ctx.fact({ kind: 'mbn-signature', message: `the attestation certificate "${cn(a)}" has no ${f.SW_ID === undefined ? 'SW_ID' : 'HW_ID'} field, which the v3 signature covers` });
      return;
    }
    let key: KeyObject;
    try {
      key = certificatePublicKey(a);
    } catch (e) {
      ctx.fact({ kind: 'mbn-signature', message: (e as Error).message });
      return;
    }
    if (v === 3 && rsaModulusBits(key) === null) {
      ctx.fact({ kind: 'mbn-signature-unchecked', message: `the attestation key is ${key.asymmetricKeyType ?? 'of an unknown type'}, not RSA: romscope verifies RSA v3 signatures only` });
      return;
    }
    results.push({ who, att: a, verdict: verifyWith(key, sig, candidates(s, who, algo, certIds), algo, v) });
  }
  for (const { who, att: a, verdict } of results) {
    if (!verdict.ok && 'bad' in verdict) {
      ctx.fact({
        kind: 'mbn-signature',
        message:
          v === 3
            ? `the image signature does not verify with the key of the attestation certificate "${cn(a)}": the hash table or header was changed after signing, or the signature belongs to another image`
            : `the ${who} image signature (v${v}, over the ${covers(v)}) does not verify with the key of the attestation certificate "${cn(a)}" (${verdict.bad}): the hash table, header or metadata was changed after signing, or the signature belongs to another image`,
      });
      return;
    }
  }
  const unknown = results.find((r) => !r.verdict.ok && 'unknown' in r.verdict);
  if (unknown && 'unknown' in unknown.verdict) {
    ctx.fact({ kind: 'mbn-signature-unchecked', message: `the ${unknown.who} image signature (v${v}) is not checked: ${unknown.verdict.unknown}` });
    return;
  }
  info.signatures = results.map(({ who, verdict }) =>
    verdict.ok
      ? { authority: who, algorithm: verdict.algorithm, digest: verdict.candidate.how, covers: `${covers(v)}${verdict.candidate.masked ? ` (the ${who === 'OEM' ? 'QTI' : 'OEM'} fields zeroed)` : ''}` }
      : { authority: who },
  );
  // The trust anchor: the OEM root when the OEM signed, else the QTI root.
  const anchor = results.find((r) => r.who === 'OEM') ?? results[0];
  const chain = anchor.who === 'OEM' ? oem : qti;
  const root = chain.certs[chain.certs.length - 1];
  const rootSha = createHash('sha256').update(root.raw).digest('hex');
  const rootKeySha = spkiSha256(certificatePublicKey(root));
  if (anchor.who === 'OEM') info.rootCertificateSha256 = rootSha;
  else info.qtiRootCertificateSha256 = rootSha;
  const chainWords = `attestation certificate "${cn(anchor.att)}", root "${cn(root)}" (certificate SHA-256 ${rootSha})`;
  const what =
    v === 3
      ? 'the image signature'
      : results.map(({ who, verdict }) => (verdict.ok ? `the ${who} image signature (${verdict.algorithm}, ${verdict.candidate.how} of the ${covers(v)})` : `the ${who} image signature`)).join(' and ');
  const userKey = (ctx.keys ?? []).find((k) => k.origin === 'user' && k.spkiSha256 === rootKeySha);
  if (userKey) {
    ctx.fact({ kind: 'mbn-signature-ok', message: `${what} verifies, and its chain up to the root given with --key (${userKey.label}): ${chainWords}`, signer: cn(anchor.att) });
    return;
  }
  const given = (ctx.keys ?? []).some((k) => k.origin === 'user');
  ctx.fact({
    kind: 'mbn-signature-unchecked',
    message: `${what} and the certificate chain${results.length > 1 ? 's' : ''} verify (${chainWords}), but the root is trusted only if it is the ${anchor.who} root ${anchor.who === 'OEM' ? 'fused into the device' : 'in the boot ROM'}: ${given ? 'it is none of the keys given with --key' : `no ${anchor.who} root key was given (pass it with --key)`}`,
  });
}
