import { phrases, labelled, num, str } from '../summary';
/**
 * AVB vbmeta images (FORMATS.md §5): `vbmeta*.img`, and the vbmeta blob an
 * AVB footer points at inside a partition image (the `vbmeta` child, see
 * src/formats/avb-footer/image.ts). Decoded whole (a vbmeta is at most a few
 * KiB; libavb reads at most 64 KiB): header, every descriptor, the public
 * key's digests, and the signature, verified with node:crypto.
 *
 * Facts: `avb-invalid` (structure), `avb-signature` / `avb-signature-ok`,
 * `avb-unsigned`, `avb-test-key`, `avb-flags`. What the descriptors say about
 * other images (digests, chained keys) is checked after the walk, by
 * cross-check.ts, which adds its facts here too (from the typed model this
 * decoder leaves, VbmetaModel).
 */
import { createHash } from 'node:crypto';
import { buildFact, type BuildFact } from '../../compat/declarations';
import { modelOf, withModel, type Artifact } from '../../report/model';
import type { DecodeContext, DocumentHandler } from '../types';
import { describeKey, verifySignature, type KeyDescription } from './signature';
import { parseVbmeta, looksLikeVbmeta } from './parse';
import { FLAG_HASHTREE_DISABLED, FLAG_VERIFICATION_DISABLED, u64Value, type Located } from './structs';
import type { AvbDescriptorInfo, AvbVbmetaInfo } from '../../report/info';

export type VbmetaSignatureStatus = 'verified' | 'failed' | 'unsigned' | 'unverifiable';

/** What the AVB cross-check reads of a decoded vbmeta (the artifact's typed model, see report/model.ts MODEL). */
export interface VbmetaModel {
  kind: 'avb-vbmeta';
  signature: VbmetaSignatureStatus;
  /** The embedded public key, when there is one. */
  publicKey?: KeyDescription;
  flags: number;
  rollbackIndex: bigint;
  rollbackIndexLocation: number;
  descriptors: Located[];
}

/** The typed vbmeta of an artifact decoded as avb-vbmeta, or null. */
export function vbmetaModel(a: Artifact): VbmetaModel | null {
  const m = modelOf(a) as VbmetaModel | undefined;
  return a.format === 'avb-vbmeta' && m?.kind === 'avb-vbmeta' ? m : null;
}

/** ` (hashtree-disabled, verification-disabled)` for flags that say so. */
function flagWords(f: number): string {
  const w = [...(f & FLAG_HASHTREE_DISABLED ? ['hashtree-disabled'] : []), ...(f & FLAG_VERIFICATION_DISABLED ? ['verification-disabled'] : [])];
  return w.length ? ` (${w.join(', ')})` : '';
}

export const avbVbmetaHandler: DocumentHandler = {
  id: 'avb-vbmeta',
  summary: (i) => phrases(str(i.algorithm), labelled('rollback index', i.rollbackIndex), num(i.flags) !== undefined && `flags ${i.flags}${flagWords(num(i.flags)!)}`, labelled('signature', i.signature)),
  kind: 'document',
  traits: { role: 'signature', confidence: 'magic' },
  description: 'AVB vbmeta image (vbmeta.img, vbmeta_system.img, the vbmeta blob of an AVB footer)',
  detect: ({ peek }) => looksLikeVbmeta(peek),
  decode: (bytes, ctx) => decodeVbmeta(bytes, ctx),
};

function decodeVbmeta(bytes: Buffer, ctx: DecodeContext): Record<string, unknown> {
  const v = parseVbmeta(bytes);
  if (!v) {
    ctx.fact({ kind: 'truncated', message: `a vbmeta header is 256 bytes, only ${bytes.length} are there` });
    return { signature: 'unverifiable' satisfies VbmetaSignatureStatus };
  }
  const h = v.header;
  const invalid = (message: string, offset?: number) => ctx.fact({ kind: 'avb-invalid', message, offset });
  for (const p of v.headerProblems) invalid(p.message, p.offset);
  for (const p of v.descriptorProblems) invalid(p.message, p.offset);

  const alg = v.algorithm;
  let signature: VbmetaSignatureStatus;
  let key: KeyDescription | undefined;
  if (v.layout && v.layout.publicKey[1] > v.layout.publicKey[0]) key = describeKey(bytes.subarray(v.layout.publicKey[0], v.layout.publicKey[1]));
  if (!v.layout || !alg || v.headerProblems.length > 0) {
    signature = 'unverifiable';
  } else if (alg.type === 0) {
    signature = 'unsigned';
    ctx.fact({ kind: 'avb-unsigned', message: 'not signed (algorithm NONE)' });
  } else {
    const r = verifySignature(bytes, v.layout, alg);
    if (r.status === 'verified') {
      signature = 'verified';
      ctx.fact({ kind: 'avb-signature-ok', message: `${alg.name} signature verifies with the embedded key (sha1 ${key?.sha1})` });
    } else {
      signature = 'failed';
      ctx.fact({ kind: 'avb-signature', message: r.message, offset: r.offset, reason: r.reason });
    }
  }
  if (key?.testKey && alg && alg.type !== 0) {
    ctx.fact({ kind: 'avb-test-key', message: `signed with ${key.name}, a public test key (public key sha1 ${key.sha1})`, key: key.name });
  }
  const flagNames = [...(h.flags & FLAG_HASHTREE_DISABLED ? ['hashtree-disabled'] : []), ...(h.flags & FLAG_VERIFICATION_DISABLED ? ['verification-disabled'] : [])];
  if (flagNames.length) ctx.fact({ kind: 'avb-flags', message: `flags 0x${h.flags.toString(16)} (${flagNames.join(', ')})`, offset: 120, flags: h.flags });
  if (h.flags & ~3) flagNames.push(`0x${(h.flags & ~3).toString(16)}`);

  const model: VbmetaModel = { kind: 'avb-vbmeta', signature, publicKey: key, flags: h.flags, rollbackIndex: h.rollbackIndex, rollbackIndexLocation: h.rollbackIndexLocation, descriptors: v.descriptors };
  const info: AvbVbmetaInfo = {
    signature,
    algorithm: alg?.name ?? `unknown (${h.algorithmType})`,
    rollbackIndex: u64Value(h.rollbackIndex),
    rollbackIndexLocation: h.rollbackIndexLocation,
    flags: h.flags,
    flagNames: flagNames.length ? flagNames : undefined,
    releaseString: h.releaseString,
    requiredLibavbVersion: `${h.major}.${h.minor}`,
    vbmetaSize: v.layout?.total,
    publicKey: key,
    publicKeyMetadata: v.layout && v.layout.publicKeyMetadata[1] > v.layout.publicKeyMetadata[0] ? metadataInfo(bytes.subarray(...v.layout.publicKeyMetadata)) : undefined,
    descriptors: v.descriptors.map(descriptorInfo),
    trailer: v.layout ? trailerInfo(bytes, v.layout.total) : undefined,
  };
  return withModel(info, model);
}

/**
 * The rollback index a vbmeta gives, as a build fact (anti-rollback, scheme
 * `avb`, at its rollback index location). Recorded once the vbmeta's role is
 * known: a GKI boot signature's index is not one the bootloader stores.
 */
export function rollbackIndexFact(rollbackIndex: bigint, location: number): BuildFact {
  return buildFact('avb-vbmeta', 'anti-rollback', 'rollback_index', rollbackIndex.toString(), { scheme: 'avb', location });
}

function metadataInfo(b: Buffer): NonNullable<AvbVbmetaInfo['publicKeyMetadata']> {
  return { size: b.length, sha256: createHash('sha256').update(b).digest('hex') };
}

/** What follows the vbmeta data in a vbmeta.img: zero padding, Samsung's signer block, an AFTL image. */
function trailerInfo(b: Buffer, end: number): AvbVbmetaInfo['trailer'] {
  const rest = b.subarray(end);
  if (rest.length === 0 || rest.every((x) => x === 0)) return undefined;
  const head = rest.toString('latin1', 0, 16);
  if (head.startsWith('SignerVer')) return { kind: 'samsung-signer', offset: end, size: rest.length, version: head.replace(/\0.*$/s, '') };
  if (head.startsWith('AFTL')) return { kind: 'aftl', offset: end, size: rest.length };
  return { kind: 'unknown', offset: end, size: rest.length };
}

/** Text when the bytes are printable UTF-8, otherwise hex; long values are cut (their size is kept). */
function propertyValue(v: Buffer): Record<string, unknown> {
  const MAX = 1024;
  const s = v.toString('utf8');
  const printable = Buffer.from(s, 'utf8').equals(v) && !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s);
  const cut = v.length > MAX;
  if (printable) return { value: cut ? s.slice(0, MAX) : s, ...(cut ? { valueSize: v.length } : {}) };
  return { valueHex: v.subarray(0, MAX).toString('hex'), ...(cut ? { valueSize: v.length } : {}) };
}

function descriptorInfo(d: Located): AvbDescriptorInfo {
  return { ...descriptorFields(d), offset: d.offset };
}

function descriptorFields(d: Located): { type: string; [field: string]: unknown } {
  switch (d.type) {
    case 'property':
      return { type: d.type, key: d.key, ...propertyValue(d.value) };
    case 'hashtree':
      return {
        type: d.type,
        partition: d.partition,
        imageSize: u64Value(d.imageSize),
        hashAlgorithm: d.hashAlgorithm,
        dataBlockSize: d.dataBlockSize,
        hashBlockSize: d.hashBlockSize,
        treeOffset: u64Value(d.treeOffset),
        treeSize: u64Value(d.treeSize),
        fecNumRoots: d.fecNumRoots,
        fecOffset: u64Value(d.fecOffset),
        fecSize: u64Value(d.fecSize),
        salt: d.salt.toString('hex'),
        rootDigest: d.rootDigest.length ? d.rootDigest.toString('hex') : undefined,
        persistentDigest: d.rootDigest.length === 0 ? true : undefined,
        flags: d.flags,
        dmVerityVersion: d.dmVerityVersion,
      };
    case 'hash':
      return {
        type: d.type,
        partition: d.partition,
        imageSize: u64Value(d.imageSize),
        hashAlgorithm: d.hashAlgorithm,
        salt: d.salt.toString('hex'),
        digest: d.digest.length ? d.digest.toString('hex') : undefined,
        persistentDigest: d.digest.length === 0 ? true : undefined,
        flags: d.flags,
      };
    case 'kernel-cmdline':
      return { type: d.type, flags: d.flags, cmdline: d.cmdline };
    case 'chain-partition':
      return { type: d.type, partition: d.partition, rollbackIndexLocation: d.rollbackIndexLocation, flags: d.flags, publicKey: describeKey(d.publicKey) };
    default:
      return { type: 'unknown', tag: u64Value(d.tag), size: d.size };
  }
}
