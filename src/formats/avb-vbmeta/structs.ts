/**
 * The byte layout of an AVB vbmeta image (FORMATS.md §5.1–§5.5): the 256-byte
 * header, the algorithm table, the public key blob and the descriptors. All
 * integers are big-endian. Parsing never throws for bad content: every
 * problem is returned as text (with an offset), the caller turns it into a
 * fact. Nothing here verifies a signature (see signature.ts).
 */

export const VBMETA_MAGIC = 'AVB0';
export const VBMETA_HEADER_SIZE = 256;
/** libavb 1.3 (external/avb libavb/avb_version.h): images needing a newer minor are refused. */
const LIBAVB_MAJOR = 1;
const LIBAVB_MINOR = 3;
/** libavb's rollback index slots (AVB_MAX_NUMBER_OF_ROLLBACK_INDEX_LOCATIONS). */
export const MAX_ROLLBACK_LOCATIONS = 32;
/** More descriptors than this is not a real image (a factory vbmeta has a few dozen). */
const MAX_DESCRIPTORS = 4096;

export const FLAG_HASHTREE_DISABLED = 1;
export const FLAG_VERIFICATION_DISABLED = 2;

/** §5.2: algorithm_type → what it needs. */
export interface Algorithm {
  type: number;
  name: string;
  /** node:crypto digest name; null for NONE. */
  hash: 'sha256' | 'sha512' | null;
  hashSize: number;
  keyBits: number;
}

export const ALGORITHMS: readonly Algorithm[] = [
  { type: 0, name: 'NONE', hash: null, hashSize: 0, keyBits: 0 },
  { type: 1, name: 'SHA256_RSA2048', hash: 'sha256', hashSize: 32, keyBits: 2048 },
  { type: 2, name: 'SHA256_RSA4096', hash: 'sha256', hashSize: 32, keyBits: 4096 },
  { type: 3, name: 'SHA256_RSA8192', hash: 'sha256', hashSize: 32, keyBits: 8192 },
  { type: 4, name: 'SHA512_RSA2048', hash: 'sha512', hashSize: 64, keyBits: 2048 },
  { type: 5, name: 'SHA512_RSA4096', hash: 'sha512', hashSize: 64, keyBits: 4096 },
  { type: 6, name: 'SHA512_RSA8192', hash: 'sha512', hashSize: 64, keyBits: 8192 },
];

/** Bytes of a public key blob for an RSA key of `bits` (§5.3). */
function keyBlobSize(bits: number): number {
  return 8 + 2 * (bits / 8);
}

export interface Problem {
  message: string;
  offset?: number;
}

/** A u64 as a number when it is exact, else as a decimal string (report-format.md: big numbers are strings). */
export type U64 = number | string;

function u64(b: Buffer, off: number): bigint {
  return b.readBigUInt64BE(off);
}

export function u64Value(v: bigint): U64 {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

/** §5.1, as stored. Sizes and offsets are bigints: a lying field must not lose precision before it is checked. */
export interface VbmetaHeader {
  major: number;
  minor: number;
  authSize: bigint;
  auxSize: bigint;
  algorithmType: number;
  hashOffset: bigint;
  hashSize: bigint;
  signatureOffset: bigint;
  signatureSize: bigint;
  publicKeyOffset: bigint;
  publicKeySize: bigint;
  publicKeyMetadataOffset: bigint;
  publicKeyMetadataSize: bigint;
  descriptorsOffset: bigint;
  descriptorsSize: bigint;
  rollbackIndex: bigint;
  flags: number;
  rollbackIndexLocation: number;
  releaseString: string;
  releaseStringTerminated: boolean;
}

export function parseHeader(b: Buffer): VbmetaHeader {
  const rel = b.subarray(128, 176);
  const nul = rel.indexOf(0);
  return {
    major: b.readUInt32BE(4),
    minor: b.readUInt32BE(8),
    authSize: u64(b, 12),
    auxSize: u64(b, 20),
    algorithmType: b.readUInt32BE(28),
    hashOffset: u64(b, 32),
    hashSize: u64(b, 40),
    signatureOffset: u64(b, 48),
    signatureSize: u64(b, 56),
    publicKeyOffset: u64(b, 64),
    publicKeySize: u64(b, 72),
    publicKeyMetadataOffset: u64(b, 80),
    publicKeyMetadataSize: u64(b, 88),
    descriptorsOffset: u64(b, 96),
    descriptorsSize: u64(b, 104),
    rollbackIndex: u64(b, 112),
    flags: b.readUInt32BE(120),
    rollbackIndexLocation: b.readUInt32BE(124),
    releaseString: rel.toString('utf8', 0, nul < 0 ? rel.length : nul),
    releaseStringTerminated: rel[47] === 0,
  };
}

/** Byte ranges of a vbmeta image whose header passed the structural checks; all within the data. */
export interface Layout {
  /** 256 + auth + aux: the vbmeta data proper (what a footer's vbmeta_size counts). */
  total: number;
  authStart: number;
  auxStart: number;
  hash: [number, number];
  signature: [number, number];
  publicKey: [number, number];
  publicKeyMetadata: [number, number];
  descriptors: [number, number];
}

/**
 * libavb's avb_vbmeta_image_verify structural checks (FORMATS.md §5.4 step 1),
 * overflow-safe. Returns the layout when every range is inside the data, and
 * the problems found (an unsupported version or an unterminated release
 * string is a problem, but the layout is still usable to describe the image).
 */
export function checkHeader(h: VbmetaHeader, length: number): { layout: Layout | null; problems: Problem[]; algorithm: Algorithm | null } {
  const problems: Problem[] = [];
  const p = (message: string, offset?: number) => void problems.push({ message, offset });
  if (h.major !== LIBAVB_MAJOR) p(`required libavb version is ${h.major}.${h.minor}; only major version ${LIBAVB_MAJOR} exists`, 4);
  else if (h.minor > LIBAVB_MINOR) p(`required libavb version is ${h.major}.${h.minor}, newer than the ${LIBAVB_MAJOR}.${LIBAVB_MINOR} romscope (and libavb ${LIBAVB_MAJOR}.${LIBAVB_MINOR}) knows`, 8);
  if (!h.releaseStringTerminated) p('the release string does not end with a NUL byte (byte 175)', 175);
  if (h.authSize % 64n !== 0n) p(`authentication block size ${h.authSize} is not a multiple of 64`, 12);
  if (h.auxSize % 64n !== 0n) p(`auxiliary block size ${h.auxSize} is not a multiple of 64`, 20);
  const algorithm = ALGORITHMS.find((a) => a.type === h.algorithmType) ?? null;
  if (!algorithm) p(`unknown algorithm type ${h.algorithmType}`, 28);
  const total = 256n + h.authSize + h.auxSize;
  if (total > BigInt(length)) {
    p(`header (256) + authentication block (${h.authSize}) + auxiliary block (${h.auxSize}) = ${total} bytes, but only ${length} are there`, 12);
    return { layout: null, problems, algorithm };
  }
  const inBlock = (what: string, off: bigint, size: bigint, block: bigint, blockName: string, at: number): boolean => {
    if (off + size <= block) return true;
    p(`${what} (offset ${off}, ${size} bytes) is not inside the ${blockName} block (${block} bytes)`, at);
    return false;
  };
  let ok = true;
  ok = inBlock('the hash', h.hashOffset, h.hashSize, h.authSize, 'authentication', 32) && ok;
  ok = inBlock('the signature', h.signatureOffset, h.signatureSize, h.authSize, 'authentication', 48) && ok;
  ok = inBlock('the public key', h.publicKeyOffset, h.publicKeySize, h.auxSize, 'auxiliary', 64) && ok;
  // libavb only checks the metadata range when there is metadata.
  if (h.publicKeyMetadataSize > 0n) ok = inBlock('the public key metadata', h.publicKeyMetadataOffset, h.publicKeyMetadataSize, h.auxSize, 'auxiliary', 80) && ok;
  ok = inBlock('the descriptors', h.descriptorsOffset, h.descriptorsSize, h.auxSize, 'auxiliary', 96) && ok;
  if (algorithm && algorithm.type !== 0 && h.hashSize !== BigInt(algorithm.hashSize)) {
    p(`hash size is ${h.hashSize}; ${algorithm.name} needs ${algorithm.hashSize}`, 40);
  }
  if (!ok) return { layout: null, problems, algorithm };
  const authStart = 256;
  const auxStart = 256 + Number(h.authSize);
  const range = (start: number, off: bigint, size: bigint): [number, number] => [start + Number(off), start + Number(off) + Number(size)];
  return {
    layout: {
      total: Number(total),
      authStart,
      auxStart,
      hash: range(authStart, h.hashOffset, h.hashSize),
      signature: range(authStart, h.signatureOffset, h.signatureSize),
      publicKey: range(auxStart, h.publicKeyOffset, h.publicKeySize),
      publicKeyMetadata: h.publicKeyMetadataSize > 0n ? range(auxStart, h.publicKeyMetadataOffset, h.publicKeyMetadataSize) : [auxStart, auxStart],
      descriptors: range(auxStart, h.descriptorsOffset, h.descriptorsSize),
    },
    problems,
    algorithm,
  };
}

/** §5.3: the numbers of an RSA public key blob. */
export interface KeyBlob {
  bits: number;
  n0inv: number;
  modulus: Buffer;
  rr: Buffer;
}

/** Parses a public key blob as libavb does (iavb_parse_key_data); a problem when it is not one. */
export function parseKeyBlob(b: Buffer): { key: KeyBlob } | { problem: string } {
  if (b.length < 8) return { problem: `a public key blob needs at least 8 bytes, this one has ${b.length}` };
  const bits = b.readUInt32BE(0);
  if (bits !== 2048 && bits !== 4096 && bits !== 8192) return { problem: `key_num_bits is ${bits} (libavb accepts 2048, 4096 and 8192)` };
  if (b.length !== keyBlobSize(bits)) return { problem: `a ${bits}-bit key blob is ${keyBlobSize(bits)} bytes, this one has ${b.length}` };
  const n = bits / 8;
  return { key: { bits, n0inv: b.readUInt32BE(4), modulus: b.subarray(8, 8 + n), rr: b.subarray(8 + n, 8 + 2 * n) } };
}

/**
 * libavb computes with n0inv and rr as stored (Montgomery form), so a blob
 * whose n0inv or rr do not belong to its modulus fails on a device even when
 * the modulus alone would verify the signature.
 */
export function keyBlobInconsistency(k: KeyBlob): string | null {
  const n = BigInt('0x' + k.modulus.toString('hex'));
  const n0 = Number(n & 0xffffffffn);
  if (n0 % 2 === 0) return 'the modulus is even: not an RSA modulus';
  // Inverse of n0 modulo 2^32 by Newton's iteration (each step doubles the correct bits).
  let x = BigInt(n0);
  const m = 1n << 32n;
  for (let i = 0; i < 5; i++) x = (x * (2n - BigInt(n0) * x)) % m;
  x = ((x % m) + m) % m;
  const want = Number((m - x) % m);
  if (want !== k.n0inv) return `n0inv is 0x${k.n0inv.toString(16)}, the modulus needs 0x${want.toString(16)}`;
  const rr = (1n << BigInt(2 * k.bits)) % n;
  if (rr.toString(16) !== BigInt('0x' + k.rr.toString('hex')).toString(16)) return 'rr is not (2^bits)^2 mod n';
  return null;
}

// ---------------------------------------------------------------- descriptors

const TAG_PROPERTY = 0;
const TAG_HASHTREE = 1;
const TAG_HASH = 2;
const TAG_KERNEL_CMDLINE = 3;

/** Fixed sizes including the 16-byte generic header (§5.5). */
const FIXED: Record<number, number> = { 0: 32, 1: 180, 2: 132, 3: 24, 4: 92 };

export interface PropertyDescriptor {
  type: 'property';
  key: string;
  value: Buffer;
}

export interface HashtreeDescriptor {
  type: 'hashtree';
  dmVerityVersion: number;
  imageSize: bigint;
  treeOffset: bigint;
  treeSize: bigint;
  dataBlockSize: number;
  hashBlockSize: number;
  fecNumRoots: number;
  fecOffset: bigint;
  fecSize: bigint;
  hashAlgorithm: string;
  partition: string;
  salt: Buffer;
  rootDigest: Buffer;
  flags: number;
}

export interface HashDescriptor {
  type: 'hash';
  imageSize: bigint;
  hashAlgorithm: string;
  partition: string;
  salt: Buffer;
  digest: Buffer;
  flags: number;
}

export interface KernelCmdlineDescriptor {
  type: 'kernel-cmdline';
  flags: number;
  cmdline: string;
}

export interface ChainPartitionDescriptor {
  type: 'chain-partition';
  rollbackIndexLocation: number;
  partition: string;
  publicKey: Buffer;
  flags: number;
}

export interface UnknownDescriptor {
  type: 'unknown';
  tag: bigint;
  size: number;
}

export type Descriptor = PropertyDescriptor | HashtreeDescriptor | HashDescriptor | KernelCmdlineDescriptor | ChainPartitionDescriptor | UnknownDescriptor;

/** A descriptor with where it starts in the vbmeta data and its position in the list. */
export type Located<D extends Descriptor = Descriptor> = D & { index: number; offset: number };

function cstr32(b: Buffer, off: number): string {
  const f = b.subarray(off, off + 32);
  const nul = f.indexOf(0);
  return f.toString('latin1', 0, nul < 0 ? 32 : nul);
}

/**
 * Walks the descriptor area [start, end) of `data` as avb_descriptor_foreach
 * does: a descriptor that does not fit stops the walk (nothing after it can
 * be located); a descriptor whose own lengths do not fit is reported and
 * skipped. Unknown tags are listed, not fatal.
 */
export function parseDescriptors(data: Buffer, start: number, end: number): { descriptors: Located[]; problems: Problem[] } {
  const descriptors: Located[] = [];
  const problems: Problem[] = [];
  let p = start;
  for (let i = 0; p < end; i++) {
    if (i >= MAX_DESCRIPTORS) {
      problems.push({ message: `more than ${MAX_DESCRIPTORS} descriptors; the rest are not read`, offset: p });
      break;
    }
    if (end - p < 16) {
      problems.push({ message: `descriptor ${i} at offset ${p}: ${end - p} bytes left in the descriptor area, less than a descriptor header`, offset: p });
      break;
    }
    const tag = data.readBigUInt64BE(p);
    const following = data.readBigUInt64BE(p + 8);
    if (following % 8n !== 0n) {
      problems.push({ message: `descriptor ${i} at offset ${p}: num_bytes_following ${following} is not a multiple of 8`, offset: p + 8 });
      break;
    }
    if (following > BigInt(end - p - 16)) {
      problems.push({ message: `descriptor ${i} at offset ${p} claims ${following} bytes after its header, only ${end - p - 16} remain in the descriptor area`, offset: p + 8 });
      break;
    }
    const total = 16 + Number(following);
    const d = data.subarray(p, p + total);
    const r = decodeOne(tag, d);
    if ('problem' in r) problems.push({ message: `descriptor ${i} (${tagName(tag)}) at offset ${p}: ${r.problem}`, offset: p });
    else descriptors.push({ ...r.descriptor, index: i, offset: p });
    p += total;
  }
  return { descriptors, problems };
}

function tagName(tag: bigint): string {
  return ['property', 'hashtree', 'hash', 'kernel cmdline', 'chain partition'][Number(tag)] ?? `tag ${tag}`;
}

function decodeOne(tag: bigint, d: Buffer): { descriptor: Descriptor } | { problem: string } {
  const fixed = tag <= 4n ? FIXED[Number(tag)] : undefined;
  if (fixed === undefined) return { descriptor: { type: 'unknown', tag, size: d.length } };
  if (d.length < fixed) return { problem: `${d.length} bytes, less than the ${fixed} of its fixed part` };
  const room = d.length - fixed;
  const fits = (...lens: (number | bigint)[]) => lens.reduce<bigint>((s, n) => s + BigInt(n), 0n) <= BigInt(room);
  switch (Number(tag)) {
    case TAG_PROPERTY: {
      const keyLen = d.readBigUInt64BE(16);
      const valueLen = d.readBigUInt64BE(24);
      if (!fits(keyLen, 1, valueLen, 1)) return { problem: `key (${keyLen} bytes) and value (${valueLen} bytes) with their NULs do not fit in ${room} bytes` };
      const k = Number(keyLen);
      const v = Number(valueLen);
      if (d[32 + k] !== 0 || d[32 + k + 1 + v] !== 0) return { problem: 'key or value is not followed by a NUL byte' };
      return { descriptor: { type: 'property', key: d.toString('utf8', 32, 32 + k), value: d.subarray(33 + k, 33 + k + v) } };
    }
    case TAG_HASHTREE: {
      const nameLen = d.readUInt32BE(104);
      const saltLen = d.readUInt32BE(108);
      const rootLen = d.readUInt32BE(112);
      if (!fits(nameLen, saltLen, rootLen)) return { problem: `partition name (${nameLen}), salt (${saltLen}) and root digest (${rootLen}) do not fit in ${room} bytes` };
      let o = 180;
      const partition = d.toString('utf8', o, (o += nameLen));
      const salt = d.subarray(o, (o += saltLen));
      const rootDigest = d.subarray(o, o + rootLen);
      return {
        descriptor: {
          type: 'hashtree',
          dmVerityVersion: d.readUInt32BE(16),
          imageSize: d.readBigUInt64BE(20),
          treeOffset: d.readBigUInt64BE(28),
          treeSize: d.readBigUInt64BE(36),
          dataBlockSize: d.readUInt32BE(44),
          hashBlockSize: d.readUInt32BE(48),
          fecNumRoots: d.readUInt32BE(52),
          fecOffset: d.readBigUInt64BE(56),
          fecSize: d.readBigUInt64BE(64),
          hashAlgorithm: cstr32(d, 72),
          partition,
          salt,
          rootDigest,
          flags: d.readUInt32BE(116),
        },
      };
    }
    case TAG_HASH: {
      const nameLen = d.readUInt32BE(56);
      const saltLen = d.readUInt32BE(60);
      const digestLen = d.readUInt32BE(64);
      if (!fits(nameLen, saltLen, digestLen)) return { problem: `partition name (${nameLen}), salt (${saltLen}) and digest (${digestLen}) do not fit in ${room} bytes` };
      let o = 132;
      const partition = d.toString('utf8', o, (o += nameLen));
      const salt = d.subarray(o, (o += saltLen));
      const digest = d.subarray(o, o + digestLen);
      return { descriptor: { type: 'hash', imageSize: d.readBigUInt64BE(16), hashAlgorithm: cstr32(d, 24), partition, salt, digest, flags: d.readUInt32BE(68) } };
    }
    case TAG_KERNEL_CMDLINE: {
      const len = d.readUInt32BE(20);
      if (!fits(len)) return { problem: `command line of ${len} bytes does not fit in ${room} bytes` };
      return { descriptor: { type: 'kernel-cmdline', flags: d.readUInt32BE(16), cmdline: d.toString('utf8', 24, 24 + len) } };
    }
    default: {
      const nameLen = d.readUInt32BE(20);
      const keyLen = d.readUInt32BE(24);
      if (!fits(nameLen, keyLen)) return { problem: `partition name (${nameLen}) and public key (${keyLen}) do not fit in ${room} bytes` };
      return {
        descriptor: {
          type: 'chain-partition',
          rollbackIndexLocation: d.readUInt32BE(16),
          partition: d.toString('utf8', 92, 92 + nameLen),
          publicKey: d.subarray(92 + nameLen, 92 + nameLen + keyLen),
          flags: d.readUInt32BE(28),
        },
      };
    }
  }
}

/** Digest sizes of the algorithms a hash or hashtree descriptor may name (blake2b-256: avbtool only). */
const DESCRIPTOR_HASHES: Record<string, { size: number; node: string | null }> = {
  sha1: { size: 20, node: 'sha1' },
  sha256: { size: 32, node: 'sha256' },
  sha512: { size: 64, node: 'sha512' },
  'blake2b-256': { size: 32, node: null },
};

/** The algorithm a descriptor names, if romscope knows it (the name comes from the file: no prototype lookups). */
export function descriptorHash(name: string): { size: number; node: string | null } | undefined {
  return Object.hasOwn(DESCRIPTOR_HASHES, name) ? DESCRIPTOR_HASHES[name] : undefined;
}
