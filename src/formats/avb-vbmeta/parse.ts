/**
 * A whole vbmeta image parsed: header checked as libavb checks it, the
 * descriptors read and checked one by one. Structure only; the signature is
 * signature.ts's business.
 */
import {
  descriptorHash,
  MAX_ROLLBACK_LOCATIONS,
  VBMETA_HEADER_SIZE,
  VBMETA_MAGIC,
  checkHeader,
  parseDescriptors,
  parseHeader,
  parseKeyBlob,
  type Algorithm,
  type Layout,
  type Located,
  type Problem,
  type VbmetaHeader,
} from './structs';
import { isBlockSize } from './digest';

export interface ParsedVbmeta {
  header: VbmetaHeader;
  algorithm: Algorithm | null;
  /** Null when a block or range lies outside the data: nothing inside can be located. */
  layout: Layout | null;
  /** Header problems: libavb refuses such an image before looking at its signature. */
  headerProblems: Problem[];
  descriptors: Located[];
  /** Descriptors that do not fit, or whose fields cannot be right. */
  descriptorProblems: Problem[];
}

export function looksLikeVbmeta(b: Buffer): boolean {
  return b.length >= 4 && b.toString('latin1', 0, 4) === VBMETA_MAGIC;
}

/** Null when there is no 256-byte header with the magic to parse. */
export function parseVbmeta(b: Buffer): ParsedVbmeta | null {
  if (b.length < VBMETA_HEADER_SIZE || !looksLikeVbmeta(b)) return null;
  const header = parseHeader(b);
  const { layout, problems, algorithm } = checkHeader(header, b.length);
  if (!layout) return { header, algorithm, layout, headerProblems: problems, descriptors: [], descriptorProblems: [] };
  const { descriptors, problems: dp } = parseDescriptors(b, layout.descriptors[0], layout.descriptors[1]);
  for (const d of descriptors) dp.push(...checkDescriptor(d));
  return { header, algorithm, layout, headerProblems: problems, descriptors, descriptorProblems: dp };
}

/** Field checks libavb (or the kernel, for dm-verity) would fail on, per descriptor. */
function checkDescriptor(d: Located): Problem[] {
  const out: Problem[] = [];
  const where = (what: string) => `${what} descriptor ${d.index} ("${'partition' in d ? d.partition : ''}", offset ${d.offset})`;
  const p = (message: string) => void out.push({ message, offset: d.offset });
  const safe = (v: bigint) => v <= BigInt(Number.MAX_SAFE_INTEGER);
  switch (d.type) {
    case 'hash': {
      const h = descriptorHash(d.hashAlgorithm);
      if (!h) p(`${where('hash')}: unknown hash algorithm "${d.hashAlgorithm}"`);
      else if (d.digest.length !== 0 && d.digest.length !== h.size) p(`${where('hash')}: a ${d.hashAlgorithm} digest is ${h.size} bytes, the descriptor holds ${d.digest.length}`);
      if (!safe(d.imageSize)) p(`${where('hash')}: image size ${d.imageSize} is not a believable size`);
      if (d.partition === '') p(`${where('hash')}: empty partition name`);
      break;
    }
    case 'hashtree': {
      const h = descriptorHash(d.hashAlgorithm);
      if (!h) p(`${where('hashtree')}: unknown hash algorithm "${d.hashAlgorithm}"`);
      else if (d.rootDigest.length !== 0 && d.rootDigest.length !== h.size) p(`${where('hashtree')}: a ${d.hashAlgorithm} root digest is ${h.size} bytes, the descriptor holds ${d.rootDigest.length}`);
      if (!isBlockSize(d.dataBlockSize) || !isBlockSize(d.hashBlockSize)) p(`${where('hashtree')}: data and hash block sizes ${d.dataBlockSize}/${d.hashBlockSize} must be powers of two from 512 to 1 MiB`);
      else if (d.imageSize % BigInt(d.dataBlockSize) !== 0n) p(`${where('hashtree')}: image size ${d.imageSize} is not a multiple of the ${d.dataBlockSize}-byte data block`);
      if (d.imageSize === 0n) p(`${where('hashtree')}: image size is 0`);
      if (!safe(d.imageSize) || !safe(d.treeOffset + d.treeSize) || !safe(d.fecOffset + d.fecSize))
        p(`${where('hashtree')}: image size ${d.imageSize}, tree ${d.treeOffset}+${d.treeSize} or FEC ${d.fecOffset}+${d.fecSize} is not a believable size`);
      if (d.partition === '') p(`${where('hashtree')}: empty partition name`);
      break;
    }
    case 'chain-partition': {
      if (d.rollbackIndexLocation === 0 || d.rollbackIndexLocation >= MAX_ROLLBACK_LOCATIONS) {
        p(`${where('chain partition')}: rollback index location ${d.rollbackIndexLocation} (libavb needs 1 to ${MAX_ROLLBACK_LOCATIONS - 1})`);
      }
      const k = parseKeyBlob(d.publicKey);
      if ('problem' in k) p(`${where('chain partition')}: the ${d.publicKey.length} bytes embedded as the public key are not an AVB public key blob (${k.problem})`);
      if (d.partition === '') p(`${where('chain partition')}: empty partition name`);
      break;
    }
    default:
      break;
  }
  return out;
}
