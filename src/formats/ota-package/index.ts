/**
 * What makes a zip an OTA package, checked while the zip is decoded
 * (FORMATS.md §6.6, §7):
 *
 * - the whole-file signature `signapk -w` puts in the archive comment: a
 *   PKCS#7 block over every byte before the comment-length field, verified
 *   in the zip's own hashing pass (a range tap), with the signer certificate
 *   it carries and, when given, against --key;
 * - a JAR signature (MANIFEST.MF, *.SF, *.RSA|DSA|EC): the signature files
 *   here, each member's digest by the walk (expected digests `jar-digest`);
 * - `META-INF/com/android/otacert`: the key payload.bin is checked against;
 * - `payload_properties.txt`: its hashes and sizes become expectations on
 *   payload.bin, checked while payload.bin streams past.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { errorMessage } from '../../io/errors';
import { readWhole, type RandomSource, type Source } from '../../io/source';
import type { RangeTap } from '../../io/digest-set';
import type { ChildSpec, DecodeContext, SiblingHook } from '../types';
import type { Fact } from '../../report/model';
import { CmsContentVerifier, isKnownDigest, parseSignedData, type CmsSigner } from '../../crypto/cms';
import { certificatePublicKey, parseKeyFile, spkiSha256, summarizeCertificate, type CertSummary, type TrustedKey } from '../../crypto/keys';
import { checkJarSignature } from '../../crypto/jar';
import { parsePayloadProperties } from '../payload-properties';
import { PAYLOAD_MAGIC, parsePayloadHeader } from '../ota-payload';
import { parseOtaMetadataText } from '../ota-metadata';
import { decodeOtaMetadataPb } from '../ota-metadata/protobuf';

const EOCD_SIG = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
const OTACERT = 'META-INF/com/android/otacert';
const METADATA = 'META-INF/com/android/metadata';
const METADATA_PB = 'META-INF/com/android/metadata.pb';
/** Members that make a zip an OTA package. */
const OTA_MARKERS = ['META-INF/com/android/metadata', 'META-INF/com/android/metadata.pb', 'payload.bin', 'META-INF/com/google/android/update-binary', 'META-INF/com/google/android/updater-script', OTACERT];

interface OtaChecks {
  info: Record<string, unknown>;
  rangeTaps: RangeTap[];
}

/** First bytes of a source (stored members are read in place; deflated ones only up to `n` bytes). */
async function head(src: Source, n: number): Promise<Buffer> {
  if (src.kind === 'random') return src.read(0, n);
  const parts: Buffer[] = [];
  let got = 0;
  for await (const c of src.stream()) {
    parts.push(c);
    got += c.length;
    if (got >= n) break;
  }
  return Buffer.concat(parts).subarray(0, n);
}

async function small(spec: ChildSpec | undefined, cap: number): Promise<Buffer | null> {
  if (!spec || spec.readable === false) return null;
  try {
    return await readWhole(spec.source, cap);
  } catch {
    return null; // the member's own walk reports why it cannot be read
  }
}

function signerLine(c: CertSummary): string {
  return `${c.subject} (SHA-256 ${c.sha256Fingerprint})`;
}

/** When --key is given, the signer must be one of those keys. */
function keyMismatch(ctx: DecodeContext, signerKey: X509Certificate): string | null {
  const user = (ctx.keys ?? []).filter((k) => k.origin === 'user');
  if (user.length === 0) return null;
  let spki: string;
  try {
    spki = spkiSha256(certificatePublicKey(signerKey));
  } catch (e) {
    return `it cannot be checked against the --key key: ${errorMessage(e)}`;
  }
  if (user.some((k) => k.spkiSha256 === spki)) return null;
  return `it is not signed by the --key key (${[...new Set(user.map((k) => k.label))].join(', ')})`;
}

async function otaPackageChecks(src: RandomSource, children: ChildSpec[], ctx: DecodeContext): Promise<OtaChecks> {
  const info: Record<string, unknown> = {};
  const rangeTaps: RangeTap[] = [];
  const byName = new Map<string, ChildSpec>();
  for (const c of children) if (!byName.has(c.name)) byName.set(c.name, c);
  const isOta = OTA_MARKERS.some((n) => byName.has(n));
  const testKeyFacts = new Set<string>();
  const testKey = (c: CertSummary, what: string) => {
    if (!c.knownAs || testKeyFacts.has(c.sha256Fingerprint)) return;
    testKeyFacts.add(c.sha256Fingerprint);
    ctx.fact({ kind: 'ota-test-key', message: `${what} is signed with the ${c.knownAs} (${c.subject}), a public test key anyone can sign with` });
  };

  // otacert: the key the package says its payload is signed with.
  let packageKeys: TrustedKey[] = [];
  const otacert = await small(byName.get(OTACERT), 1 << 20);
  if (otacert) {
    try {
      packageKeys = parseKeyFile(otacert, OTACERT, 'package');
      info.otacert = packageKeys.map((k) => k.certificate).filter(Boolean);
    } catch {
      // the member's own decoder (x509-certificate) reports it
    }
  }

  const signed = await wholeFileSignature(src, ctx, info, rangeTaps, testKey);
  const jar = isOta ? await jarSignature(children, byName, ctx, info, testKey) : false;
  if (isOta && !signed) {
    ctx.fact({
      kind: 'ota-unsigned',
      message: `the OTA package has no whole-file signature (signapk -w): recovery refuses to install it${jar ? '; it has a JAR signature, which recovery does not check' : ''}`,
    });
  }
  if (signed && packageKeys.length && info.wholeFileSignature) {
    const signer = (info.wholeFileSignature as { signer?: CertSummary }).signer;
    if (signer && !packageKeys.some((k) => k.certificate?.sha256Fingerprint === signer.sha256Fingerprint)) info.otacertMatchesSigner = false;
  }

  // payload.bin: the otacert to check its signatures with, payload_properties.txt to check it against.
  const payload = byName.get('payload.bin');
  if (payload && payload.readable !== false) {
    if (packageKeys.length) payload.keys = packageKeys;
    await payloadProperties(payload, byName.get('payload_properties.txt'));
    // The build an incremental payload applies to, for payload.bin to name when it has no --base.
    const meta = await small(byName.get(METADATA), 1 << 20);
    if (meta) {
      const f = parseOtaMetadataText(meta.toString('utf8')).fields;
      const base = { preBuild: f.get('pre-build')?.value, preBuildIncremental: f.get('pre-build-incremental')?.value, preTimestamp: f.get('pre-timestamp')?.value };
      if (base.preBuild || base.preBuildIncremental || base.preTimestamp) payload.baseBuild = base;
    }
  }
  if (isOta) await propertyFiles(byName, ctx, info);
  return { info, rangeTaps };
}

/** The `signapk -w` footer and its PKCS#7 block; returns whether the zip claims a whole-file signature. */
async function wholeFileSignature(src: RandomSource, ctx: DecodeContext, info: Record<string, unknown>, taps: RangeTap[], testKey: (c: CertSummary, what: string) => void): Promise<boolean> {
  const size = src.size;
  if (size < 22 + 6) return false;
  const foot = await src.read(size - 6, 6);
  const sigStart = foot.readUInt16LE(0);
  const L = foot.readUInt16LE(4);
  // The FF FF marker inside a comment that can hold the footer. (Without a comment, the last
  // bytes are the EOCD's own: a zip64 archive's central-directory offset is FF FF FF FF.)
  if (foot[2] !== 0xff || foot[3] !== 0xff || L < 6) return false;
  const fail = (message: string, offset?: number) => {
    ctx.fact({ kind: 'ota-signature', message: `whole-file signature: ${message}`, ...(offset !== undefined && { offset }) });
    info.wholeFileSignature = { status: 'failed', reason: message };
    return true;
  };
  const eocd = size - L - 22;
  if (eocd < 0) return fail(`the footer gives a ${L}-byte comment, longer than the file allows`, size - 2);
  const tail = await src.read(eocd, L + 22);
  if (!tail.subarray(0, 4).equals(EOCD_SIG)) return fail(`no end-of-central-directory record where the ${L}-byte comment puts it (offset ${eocd}): the comment is cut or the footer is wrong`, eocd);
  if (tail.readUInt16LE(20) !== L) return fail(`the end-of-central-directory record gives a ${tail.readUInt16LE(20)}-byte comment, the signature footer ${L} bytes`, eocd + 20);
  if (tail.indexOf(EOCD_SIG, 4) >= 0) return fail('a second end-of-central-directory signature follows the first, inside the comment (recovery refuses such a package)', eocd + tail.indexOf(EOCD_SIG, 4));
  if (sigStart <= 6 || sigStart > L) return fail(`the footer puts the PKCS#7 block ${sigStart} bytes from the end, outside the ${L}-byte comment`, size - 6);
  const block = tail.subarray(tail.length - sigStart, tail.length - 6);
  let signer: CmsSigner;
  try {
    const cms = parseSignedData(block);
    const s = cms.signers.find((x) => x.certificate);
    if (!s) return fail('the PKCS#7 block has no certificate of its signer', size - sigStart);
    signer = s;
  } catch (e) {
    return fail((e as Error).message, size - sigStart);
  }
  const cert = summarizeCertificate(signer.certificate!);
  const signedEnd = size - L - 2;
  const wf: Record<string, unknown> = { signer: cert, digest: signer.digest, signedBytes: signedEnd, status: 'pending' };
  info.wholeFileSignature = wf;
  testKey(cert, 'the OTA package');
  if (!isKnownDigest(signer.digest)) return fail(`the PKCS#7 block uses digest ${signer.digest}, which romscope does not know`);
  // Recovery picks the digest from the certificate's own signature algorithm, as signapk does.
  const recoveryDigest =
    signer.certificateDigest && signer.certificateDigest !== signer.digest
      ? `it is made with ${signer.digest.toUpperCase()} but recovery hashes with ${signer.certificateDigest.toUpperCase()} for this certificate (its signature algorithm), so a device rejects it`
      : null;
  let signerKey: KeyObject;
  try {
    signerKey = certificatePublicKey(signer.certificate!);
  } catch (e) {
    wf.status = 'failed';
    wf.reason = `${errorMessage(e)}, so the signature cannot be verified`;
    ctx.fact({ kind: 'ota-signature', message: `whole-file signature: ${wf.reason}`, offset: size - sigStart });
    return true;
  }
  const mismatch = recoveryDigest ?? keyMismatch(ctx, signer.certificate!);
  if (ctx.headersOnly) {
    // It signs a digest of the whole file, which --no-hash does not read.
    wf.status = 'unchecked';
    wf.reason = `not verified (--no-hash): it signs a digest of bytes 0-${signedEnd}, which were not read`;
    return true;
  }
  const verifier = new CmsContentVerifier(signer, signerKey);
  taps.push({
    start: 0,
    end: signedEnd,
    // Its verdict is the package's own: payload.bin and the other members are read once, for their digests and this one.
    standalone: true,
    update: (b) => verifier.update(b),
    done: () => {
      const why = verifier.finish();
      if (why) {
        wf.status = 'failed';
        wf.reason = why;
        ctx.fact({ kind: 'ota-signature', message: `whole-file signature: ${why} (bytes 0-${signedEnd}, signer ${signerLine(cert)})` });
      } else if (mismatch) {
        wf.status = 'failed';
        wf.reason = mismatch;
        ctx.fact({ kind: 'ota-signature', message: `whole-file signature: it verifies, but ${mismatch}; signer ${signerLine(cert)}` });
      } else {
        wf.status = 'verified';
        ctx.fact({ kind: 'ota-signature-ok', message: `whole-file signature verifies (${signer.digest.toUpperCase()} over bytes 0-${signedEnd}), signer ${signerLine(cert)}`, signer: signerLine(cert) });
      }
    },
  });
  return true;
}

/** A JAR signature, when the package has one: checks its files and puts each member's digest on the member. */
async function jarSignature(children: ChildSpec[], byName: Map<string, ChildSpec>, ctx: DecodeContext, info: Record<string, unknown>, testKey: (c: CertSummary, what: string) => void): Promise<boolean> {
  const manifestSpec = byName.get('META-INF/MANIFEST.MF');
  const sfName = [...byName.keys()].find((n) => /^META-INF\/[^/]+\.SF$/i.test(n));
  if (!manifestSpec || !sfName) return false;
  const base = sfName.slice(0, -3);
  const blockName = ['.RSA', '.DSA', '.EC'].map((e) => base + e).find((n) => byName.has(n));
  const fail = (message: string) => ctx.fact({ kind: 'jar-signature', message: `JAR signature: ${message}` });
  const jarInfo: Record<string, unknown> = { signatureFile: sfName, signatureBlock: blockName };
  info.jarSignature = jarInfo;
  if (!blockName) {
    fail(`${sfName} has no signature block (${base}.RSA, .DSA or .EC)`);
    jarInfo.status = 'failed';
    return true;
  }
  const [manifest, sf, block] = await Promise.all([small(manifestSpec, 64 << 20), small(byName.get(sfName), 64 << 20), small(byName.get(blockName), 1 << 20)]);
  if (!manifest || !sf || !block) {
    fail('the signature files cannot be read');
    jarInfo.status = 'failed';
    return true;
  }
  const check = checkJarSignature(manifest, sf, block, { sf: sfName, block: blockName });
  for (const p of check.problems.slice(0, 20)) fail(p);
  if (check.problems.length > 20) fail(`${check.problems.length - 20} more problems like these are not listed`);
  if (check.signer) {
    const cert = summarizeCertificate(check.signer);
    jarInfo.signer = cert;
    testKey(cert, 'the JAR signature of the OTA package');
    const mismatch = keyMismatch(ctx, check.signer);
    if (mismatch) fail(`${mismatch}; signer ${signerLine(cert)}`);
  }
  jarInfo.digest = check.digest;
  // Every member but the signature files themselves must be listed, with its digest.
  const isSignatureFile = (n: string) => n === 'META-INF/MANIFEST.MF' || /^META-INF\/[^/]+\.(SF|RSA|DSA|EC)$/i.test(n);
  let covered = 0;
  const missing: string[] = [];
  for (const c of children) {
    if (isSignatureFile(c.name)) continue;
    const d = check.entries.get(c.name);
    if (!d) {
      if (!check.unchecked.includes(c.name)) missing.push(c.name);
      continue;
    }
    covered++;
    (c.expect ??= []).push({ algo: d.algo, hex: d.hex, kind: 'jar-digest', from: 'META-INF/MANIFEST.MF' });
  }
  for (const n of missing.slice(0, 20)) fail(`${n} is not in META-INF/MANIFEST.MF, so the signature does not cover it`);
  if (missing.length > 20) fail(`${missing.length - 20} more members are not in META-INF/MANIFEST.MF`);
  const absent = [...check.entries.keys()].filter((n) => !byName.has(n));
  for (const n of absent.slice(0, 20)) fail(`META-INF/MANIFEST.MF lists ${n}, which is not in the package`);
  jarInfo.members = covered;
  const ok = check.problems.length === 0 && missing.length === 0 && absent.length === 0 && !(check.signer && keyMismatch(ctx, check.signer));
  jarInfo.status = ok ? 'verified' : 'failed';
  const signer = jarInfo.signer ? signerLine(jarInfo.signer as CertSummary) : undefined;
  if (ok)
    ctx.fact({
      kind: 'jar-signature-ok',
      message: `JAR signature files verify (${blockName} over ${sfName}, ${covered} members listed; each member is checked against its digest as it is read)${signer ? `, signer ${signer}` : ''}`,
      ...(signer && { signer }),
    });
  return true;
}

/** payload_properties.txt's values as expectations and facts on payload.bin. */
async function payloadProperties(payload: ChildSpec, propsSpec: ChildSpec | undefined): Promise<void> {
  const text = await small(propsSpec, 64 * 1024);
  if (!text) return;
  const p = parsePayloadProperties(text.toString('utf8'));
  const facts: Fact[] = (payload.facts ??= []);
  const from = (key: string) => `payload_properties.txt (${key})`;
  if (p.fileSha256) (payload.expect ??= []).push({ algo: 'sha256', hex: p.fileSha256, kind: 'payload-properties', from: from('FILE_HASH') });
  if (p.metadataSha256 && p.metadataSize !== undefined) {
    (payload.expect ??= []).push({ algo: 'sha256', hex: p.metadataSha256, kind: 'payload-properties', from: from('METADATA_HASH'), range: { start: 0, end: p.metadataSize } });
  }
  const size = payload.source.size;
  if (p.fileSize !== undefined && size !== null) {
    if (p.fileSize === size) facts.push({ kind: 'payload-properties-ok', message: `size ${size} matches ${from('FILE_SIZE')}` });
    else facts.push({ kind: 'payload-properties', message: `payload.bin has ${size} bytes, ${from('FILE_SIZE')} says ${p.fileSize}` });
  }
  if (p.metadataSize !== undefined) {
    let h: Buffer;
    try {
      h = await head(payload.source, 24);
    } catch {
      return;
    }
    if (h.length < 24 || h.toString('latin1', 0, 4) !== PAYLOAD_MAGIC) return;
    const metadataSize = 24n + parsePayloadHeader(h).manifestSize;
    if (metadataSize === BigInt(p.metadataSize)) facts.push({ kind: 'payload-properties-ok', message: `metadata size ${metadataSize} (header and manifest) matches ${from('METADATA_SIZE')}` });
    else facts.push({ kind: 'payload-properties', message: `payload.bin's metadata (header and manifest) is ${metadataSize} bytes, ${from('METADATA_SIZE')} says ${p.metadataSize}`, offset: 12 });
  }
}

/** Names in property-files entries that are not the member's own path. */
const PROPERTY_FILE_MEMBERS: Record<string, string> = { metadata: METADATA, 'metadata.pb': METADATA_PB, 'payload_metadata.bin': 'payload.bin' };

/**
 * The `ota-property-files` and `ota-streaming-property-files` lists of the
 * package's metadata (text and metadata.pb): `name:offset:size` tokens that
 * tell an OTA client which bytes of the zip to fetch (a streaming A/B
 * update downloads payload_metadata.bin, then payload.bin, by these
 * ranges). Each must be the data of a stored member of that name;
 * `payload_metadata.bin` is the start of payload.bin up to the end of its
 * metadata signature.
 */
async function propertyFiles(byName: Map<string, ChildSpec>, ctx: DecodeContext, info: Record<string, unknown>): Promise<void> {
  const lists = new Map<string, { key: string; value: string; from: string[] }>();
  const add = (key: string, value: string | undefined, from: string) => {
    const v = value?.trim();
    if (!v) return;
    const id = `${key}=${v}`;
    const l = lists.get(id);
    if (l) l.from.push(from);
    else lists.set(id, { key, value: v, from: [from] });
  };
  const text = await small(byName.get(METADATA), 1 << 20);
  if (text) {
    const { fields } = parseOtaMetadataText(text.toString('utf8'));
    for (const key of ['ota-property-files', 'ota-streaming-property-files']) add(key, fields.get(key)?.value, METADATA);
  }
  const pb = await small(byName.get(METADATA_PB), 1 << 20);
  if (pb) {
    try {
      for (const [key, value] of Object.entries(decodeOtaMetadataPb(pb).propertyFiles ?? {})) add(key, value, METADATA_PB);
    } catch {
      // metadata.pb's own decoder reports it
    }
  }
  if (lists.size === 0) return;
  let payloadMetadataSize: number | null | undefined;
  const payloadMetadata = async (): Promise<number | null> => {
    if (payloadMetadataSize !== undefined) return payloadMetadataSize;
    payloadMetadataSize = null;
    try {
      const h = await head(byName.get('payload.bin')!.source, 24);
      // Major version 2: header (24 bytes), manifest, metadata signature.
      const ph = h.length === 24 && h.toString('latin1', 0, 4) === PAYLOAD_MAGIC ? parsePayloadHeader(h) : null;
      if (ph?.major === 2n) payloadMetadataSize = Number(24n + ph.manifestSize + BigInt(ph.metadataSignatureSize));
    } catch {
      // payload.bin's own walk reports it
    }
    return payloadMetadataSize;
  };
  const checked: Record<string, unknown>[] = [];
  for (const { key, value, from } of lists.values()) {
    const where = `${key} (${from.join(', ')})`;
    const problems: string[] = [];
    const tokens = value
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    for (const token of tokens) {
      const m = /^(.+):(\d+):(\d+)$/.exec(token);
      if (!m) {
        problems.push(`entry "${token}" is not name:offset:size`);
        continue;
      }
      const [, name, offText, sizeText] = m;
      const offset = Number(offText);
      const size = Number(sizeText);
      const memberName = PROPERTY_FILE_MEMBERS[name] ?? name;
      const spec = byName.get(memberName);
      if (!spec) {
        problems.push(`${name} is not in the package`);
        continue;
      }
      const loc = spec.location;
      if (!loc) {
        problems.push(`${name}: the data of ${memberName} could not be located`);
        continue;
      }
      if (loc.method !== 0) {
        problems.push(`${name}: ${memberName} is compressed, so no byte range of the zip holds its contents (it must be stored)`);
        continue;
      }
      let want = loc.compressedSize;
      if (name === 'payload_metadata.bin') {
        const n = await payloadMetadata();
        if (n === null) {
          problems.push(`payload_metadata.bin: payload.bin has no version 2 payload header to measure its metadata by`);
          continue;
        }
        want = n;
      }
      if (offset !== loc.dataStart || size !== want) {
        const what = name === 'payload_metadata.bin' ? "payload.bin's header, manifest and metadata signature" : `${memberName}'s data`;
        problems.push(`${name}:${offset}:${size}, but ${what} ${offset !== loc.dataStart ? `starts at offset ${loc.dataStart}` : 'starts there'} and ${size !== want ? `is ${want} bytes` : 'has that size'}`);
      }
    }
    for (const p of problems.slice(0, 20)) ctx.fact({ kind: 'ota-property-files', message: `${where}: ${p}` });
    if (problems.length > 20) ctx.fact({ kind: 'ota-property-files', message: `${where}: ${problems.length - 20} more entries do not match (not listed)` });
    if (problems.length === 0) ctx.fact({ kind: 'ota-property-files-ok', message: `${where}: all ${tokens.length} entries are the offsets and sizes of the package's stored members` });
    checked.push({ key, from, entries: tokens.length, failed: problems.length });
  }
  info.otaPropertyFiles = checked;
}

/** A zip is checked as an OTA package: its signatures, otacert, payload properties and property files. */
export const otaPackageSiblings: SiblingHook = {
  id: 'ota-package',
  async run(children, ctx) {
    if (ctx.container.format !== 'zip') return;
    return otaPackageChecks(ctx.container.source, children, ctx);
  },
};
