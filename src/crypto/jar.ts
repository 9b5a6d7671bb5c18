/**
 * JAR (APK v1) signatures as old OTA packages carry them: META-INF/MANIFEST.MF
 * lists a digest of every member, META-INF/<NAME>.SF the digest of the
 * manifest (or of each of its sections), and META-INF/<NAME>.RSA|.DSA|.EC is
 * a PKCS#7 signature over the .SF. The members' own digests are checked by
 * the walk while the members stream past (expected digests of kind
 * `jar-digest`); this module checks the rest.
 */
import { createHash, type X509Certificate } from 'node:crypto';
import { CmsContentVerifier, parseSignedData } from './cms';
import { certificatePublicKey } from './keys';

/** Digest attribute prefixes to node:crypto names, strongest first. */
const DIGEST_NAMES: [string, string][] = [
  ['SHA-512', 'sha512'],
  ['SHA-384', 'sha384'],
  ['SHA-256', 'sha256'],
  ['SHA1', 'sha1'],
  ['SHA-1', 'sha1'],
  ['MD5', 'md5'],
];

export interface ManifestSection {
  /** The `Name:` of an entry section; null for the main section. */
  name: string | null;
  attrs: Map<string, string>;
  /** The section's bytes, with the blank line that ends it (what a .SF entry digest covers). */
  raw: Buffer;
}

/** Splits a manifest or .SF into sections, joining continuation lines (RFC 822-style, 72-byte lines). */
function parseManifest(bytes: Buffer): ManifestSection[] {
  const sections: ManifestSection[] = [];
  let pos = 0;
  let start = -1;
  let lines: string[] = [];
  const close = (end: number) => {
    if (start < 0) return;
    const attrs = new Map<string, string>();
    const joined: string[] = [];
    for (const l of lines) {
      if (l.startsWith(' ') && joined.length) joined[joined.length - 1] += l.slice(1);
      else joined.push(l);
    }
    for (const l of joined) {
      const i = l.indexOf(': ');
      if (i > 0) attrs.set(l.slice(0, i), l.slice(i + 2));
    }
    const name = attrs.get('Name') ?? null;
    sections.push({ name: sections.length === 0 ? null : name, attrs, raw: bytes.subarray(start, end) });
    start = -1;
    lines = [];
  };
  while (pos < bytes.length) {
    let e = pos;
    while (e < bytes.length && bytes[e] !== 0x0a && bytes[e] !== 0x0d) e++;
    const line = bytes.toString('utf8', pos, e);
    let next = e;
    if (bytes[next] === 0x0d) next++;
    if (bytes[next] === 0x0a) next++;
    if (line === '') {
      // The main section may be empty (a manifest that is only "Manifest-Version"): a blank line ends it either way.
      if (start < 0 && sections.length === 0) start = pos;
      close(next);
    } else {
      if (start < 0) start = pos;
      lines.push(line);
    }
    pos = next === e ? e + 1 : next;
  }
  close(bytes.length);
  return sections;
}

/** The digests a section gives, strongest first: `[node name, base64 value]`. */
function digestsOf(attrs: Map<string, string>, suffix: string): [string, string][] {
  const out: [string, string][] = [];
  for (const [prefix, algo] of DIGEST_NAMES) {
    const v = attrs.get(`${prefix}${suffix}`);
    if (v !== undefined) out.push([algo, v]);
  }
  return out;
}

const b64digest = (algo: string, data: Buffer) => createHash(algo).update(data).digest('base64');

export interface JarEntryDigest {
  algo: 'sha256' | 'sha1' | 'md5';
  hex: string;
}

export interface JarCheck {
  /** Why the signature files do not verify (each one a finding). */
  problems: string[];
  signer?: X509Certificate;
  /** Digest algorithm of the PKCS#7 signature over the .SF. */
  digest?: string;
  /** Digest the manifest gives for each member, in an algorithm the walk can compute. */
  entries: Map<string, JarEntryDigest>;
  /** Members whose only digests are in algorithms the walk cannot compute (SHA-384/512). */
  unchecked: string[];
}

/**
 * Checks MANIFEST.MF, one .SF and its signature block. The entry digests are
 * returned for the walk to compare with the members.
 */
export function checkJarSignature(manifest: Buffer, sf: Buffer, block: Buffer, names: { sf: string; block: string }): JarCheck {
  const out: JarCheck = { problems: [], entries: new Map(), unchecked: [] };
  const man = parseManifest(manifest);
  for (const s of man.slice(1)) {
    if (s.name === null) {
      out.problems.push('META-INF/MANIFEST.MF has a section without a Name');
      continue;
    }
    const d = digestsOf(s.attrs, '-Digest');
    const usable = d.find(([a]) => a === 'sha256' || a === 'sha1' || a === 'md5');
    if (usable) out.entries.set(s.name, { algo: usable[0] as JarEntryDigest['algo'], hex: Buffer.from(usable[1], 'base64').toString('hex') });
    else if (d.length) out.unchecked.push(s.name);
    else out.problems.push(`META-INF/MANIFEST.MF gives no digest for ${s.name}`);
  }
  // The .SF: the whole manifest's digest, or else every section's.
  const sfs = parseManifest(sf);
  const main = sfs[0]?.attrs ?? new Map<string, string>();
  const whole = digestsOf(main, '-Digest-Manifest');
  const wholeOk = whole.length > 0 && whole.every(([algo, v]) => b64digest(algo, manifest) === v);
  if (!wholeOk) {
    const bySection = new Map(
      man
        .slice(1)
        .filter((s) => s.name !== null)
        .map((s) => [s.name!, s.raw]),
    );
    let listed = 0;
    for (const s of sfs.slice(1)) {
      if (s.name === null) continue;
      listed++;
      const raw = bySection.get(s.name);
      const d = digestsOf(s.attrs, '-Digest');
      if (!raw) out.problems.push(`${names.sf} signs ${s.name}, which META-INF/MANIFEST.MF does not list`);
      else if (d.length === 0) out.problems.push(`${names.sf} gives no digest for ${s.name}`);
      else if (!d.every(([algo, v]) => b64digest(algo, raw) === v)) out.problems.push(`${names.sf}: the digest of the manifest section for ${s.name} does not match (the manifest was changed after signing)`);
    }
    if (whole.length) out.problems.unshift(`${names.sf}: the digest of META-INF/MANIFEST.MF does not match (${whole[0][0].toUpperCase()}-Digest-Manifest)`);
    else if (listed === 0) out.problems.push(`${names.sf} gives no digest of the manifest`);
    for (const s of man.slice(1)) {
      if (s.name !== null && !sfs.some((x) => x.name === s.name)) out.problems.push(`META-INF/MANIFEST.MF lists ${s.name}, which ${names.sf} does not sign`);
    }
  }
  // The PKCS#7 block over the .SF.
  try {
    const cms = parseSignedData(block);
    const signer = cms.signers.find((s) => s.certificate) ?? cms.signers[0];
    out.digest = signer.digest;
    if (!signer.certificate) out.problems.push(`${names.block}: no certificate of the signer`);
    else {
      out.signer = signer.certificate;
      const v = new CmsContentVerifier(signer, certificatePublicKey(signer.certificate));
      v.update(sf);
      const why = v.finish();
      if (why) out.problems.push(`${names.block}: ${why} (over ${names.sf})`);
    }
  } catch (e) {
    out.problems.push(`${names.block}: ${(e as Error).message}`);
  }
  return out;
}
