/**
 * Sony `.sin` partition images (issue 18 item 3), as Flashtool, newflasher
 * and Xperia firmware downloads have them. Two families:
 *
 * SIN v3, all big-endian (the layout Flashtool's v3 SinParser reads): byte 3,
 * `SIN`; u32 header length (the payload starts there); u32 payload type; u32
 * hash type; u32 reserved; u32 length of the hash block table; the table, one
 * entry per block of payload: u32 block length and its digest (hash type 2:
 * SHA-256; 1: SHA-1, not confirmed from a real file); u32 certificate length
 * and the certificate / signature bytes. The payload is the blocks back to
 * back from the header length. Flashtool and the phone's loader check each
 * block's digest; romscope computes them in the single hashing pass.
 *
 * A payload starting with `MMCF` is a block map (see readBlockMap): `ADDR`
 * runs (data offset, length, offset in the image, hash type, digest) and
 * `LZ4A` runs (the same with a raw LZ4 block and its decoded length). The
 * image is rebuilt from them on the fly, gaps read as 0xFF (as Flashtool
 * fills them).
 *
 * SIN v4 and v5 (newflasher, Flashtool's v4 SinParser): a tar, usually gzip
 * compressed (the gzip layer is decoded by the gzip handler, and its child is
 * this tar): first `<partition>.cms`, a CMS SignedData (Sony's signature and
 * hash data), then the payload in pieces `<partition>.000`, `.001`..., each an
 * Android sparse image (or LZ4 frames in some v5 files); the pieces are
 * children decoded by their own handlers. The two versions are told apart by
 * no field romscope knows, so both are reported as `tar-cms`.
 *
 * Signatures: Sony's keys and the scheme the loader checks are not public, so
 * the certificate bytes and CMS block are shown and the signature is
 * `sin-signature-unchecked` (unverifiable), never a pass.
 */
import { createHash, type Hash } from 'node:crypto';
import type { ChildSpec, ContainerHandler, ContainerResult, DecodeContext } from '../types';
import type { RangeTap } from '../../io/digest-set';
import { readWhole, SliceSource, STREAM_CHUNK, type RandomSource } from '../../io/source';
import { FormatError } from '../../io/errors';
import { readTar, looksLikeTarHeader } from '../tar/read';
import { parseSignedData } from '../../crypto/cms';
import { summarizeCertificate } from '../../crypto/keys';
import { phrases, str, counted } from '../summary';
import { cString } from '../image-checksum';
import { lz4BlockDecode } from '../../codecs/lz4-block';

/** Hash blocks listed and checked; a real SIN v3 has a few thousand at most. */
export const MAX_SIN_HASH_BLOCKS = 1 << 18;
/** ADDR / LZ4A entries of a block map read. */
export const MAX_SIN_MAP_ENTRIES = 1 << 16;
/** Largest decoded size of one LZ4A run of a block map (decoded whole, one at a time). */
export const MAX_SIN_LZ4A_RUN = 64 << 20;
/** Largest certificate part of a v3 header, and largest `.cms` member, read. */
export const MAX_SIN_SIGNATURE_BYTES = 1 << 20;
/** Bad blocks named in a message; the rest are counted. */
const MAX_NAMED_BLOCKS = 8;
const V3_FIXED = 24;

const HASHES: Record<number, { algo: 'sha1' | 'sha256'; size: number; label: string }> = {
  1: { algo: 'sha1', size: 20, label: 'SHA-1' },
  2: { algo: 'sha256', size: 32, label: 'SHA-256' },
};

/** Payload types as zxz0O0's SIN analysis names them (not confirmed). */
const PAYLOAD_TYPES: Record<number, string> = { 0x20: 'loader', 0x24: 'partition table', 0x27: 'partition image (block map)' };

export const SIN_SIGNATURE_REASON = "Sony's signing keys and the scheme the loader checks are not public";

function isV3(peek: Buffer): boolean {
  return peek.length >= V3_FIXED && peek[0] === 3 && peek.toString('latin1', 1, 4) === 'SIN';
}

/** A tar whose first member is `<name>.cms`: SIN v4 / v5. */
function isTarCms(peek: Buffer): boolean {
  return peek.length >= 512 && looksLikeTarHeader(peek) && /\.cms$/i.test(cString(peek, 0, 100));
}

/** The partition a `.sin` file name gives: `boot_X-FLASH-ALL-C93B.sin` -> `boot` (the `_X-FLASH` / `_S1-` suffix is a guess from download names). */
export function sinPartition(name: string): string {
  const base = name.replace(/^.*[/\\]/, '').replace(/\.sin$/i, '');
  return base.replace(/_(X-FLASH|S1-|LUN\d).*$/i, '') || base || 'payload';
}

const hex = (b: Buffer) => b.toString('hex');

interface HashBlock {
  length: number;
  digest: Buffer;
}

/** One tap over the payload checking each hash block in turn. */
function hashBlocksTap(ctx: DecodeContext, start: number, blocks: HashBlock[], algo: 'sha1' | 'sha256', label: string, tableAt: number, entrySize: number): RangeTap {
  const total = blocks.reduce((n, b) => n + b.length, 0);
  let block = 0;
  let inBlock = 0;
  let h: Hash = createHash(algo);
  let seen = 0;
  let badCount = 0;
  const bad: number[] = [];
  const close = () => {
    if (!h.digest().equals(blocks[block].digest)) {
      badCount++;
      if (bad.length < MAX_NAMED_BLOCKS) bad.push(block);
    }
    block++;
    inBlock = 0;
    h = createHash(algo);
  };
  // Empty blocks at the start are closed before any byte arrives.
  const skipEmpty = () => {
    while (block < blocks.length && blocks[block].length === 0) close();
  };
  skipEmpty();
  return {
    start,
    end: start + total,
    // Only the container's facts wait on it: the payload is read once, for its child's decoding and this check.
    standalone: true,
    update(b) {
      seen += b.length;
      let i = 0;
      while (i < b.length && block < blocks.length) {
        const n = Math.min(b.length - i, blocks[block].length - inBlock);
        h.update(b.subarray(i, i + n));
        inBlock += n;
        i += n;
        if (inBlock === blocks[block].length) {
          close();
          skipEmpty();
        }
      }
    },
    done() {
      if (seen !== total) return; // a cut file: its truncated fact says more
      if (badCount === 0) ctx.fact({ kind: 'image-checksum-ok', message: `SIN payload: the ${label} of each of its ${blocks.length} hash blocks matches the header's hash block table`, offset: tableAt });
      else {
        const more = badCount > bad.length ? ` and ${badCount - bad.length} more` : '';
        ctx.fact({
          kind: 'image-checksum',
          message: `SIN payload: ${badCount} of its ${blocks.length} hash blocks do not match the ${label} in the header's hash block table (block ${bad.join(', ')}${more})`,
          offset: tableAt + bad[0] * entrySize,
        });
      }
    },
  };
}

interface Run {
  /** Offset of the run's stored bytes in the SIN file. */
  at: number;
  /** Bytes stored. */
  stored: number;
  /** Offset in the rebuilt image. */
  to: number;
  /** Bytes in the image (the decoded size of an LZ4A run). */
  length: number;
  lz4: boolean;
}

/**
 * An image rebuilt from the runs of a SIN block map: ADDR runs read in
 * place, LZ4A runs decoded (raw LZ4 blocks) one at a time, the last one
 * kept; bytes no run covers read as 0xFF.
 */
export class SinMappedSource implements RandomSource {
  readonly kind = 'random' as const;
  private cached: { run: Run; bytes: Buffer } | null = null;
  constructor(
    readonly name: string,
    readonly size: number,
    private readonly runs: Run[],
    private readonly sin: RandomSource,
  ) {}

  private async decoded(r: Run): Promise<Buffer> {
    if (this.cached?.run === r) return this.cached.bytes;
    const input = await this.sin.read(r.at, r.stored);
    if (input.length < r.stored) throw new FormatError(`${this.name}: the LZ4A run at byte ${r.at} of the SIN is cut short`, r.at);
    let bytes: Buffer;
    try {
      bytes = lz4BlockDecode(input, r.length);
    } catch (e) {
      throw new FormatError(`${this.name}: the LZ4A run at byte ${r.at} of the SIN does not decode to its ${r.length} bytes (${e instanceof Error ? e.message : String(e)})`, r.at);
    }
    this.cached = { run: r, bytes };
    return bytes;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const s = Math.max(0, Math.min(offset, this.size));
    const e = Math.max(s, Math.min(offset + length, this.size));
    const out = Buffer.alloc(e - s, 0xff);
    // Runs are sorted by `to` and do not overlap; find the first that ends after s.
    let lo = 0;
    let hi = this.runs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.runs[mid].to + this.runs[mid].length <= s) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.runs.length && this.runs[i].to < e; i++) {
      const r = this.runs[i];
      const a = Math.max(s, r.to);
      const b = Math.min(e, r.to + r.length);
      if (r.lz4) (await this.decoded(r)).copy(out, a - s, a - r.to, b - r.to);
      else (await this.sin.read(r.at + (a - r.to), b - a)).copy(out, a - s);
    }
    return out;
  }

  async *stream(start = 0, end = this.size): AsyncIterable<Buffer> {
    const e = Math.min(end, this.size);
    for (let pos = Math.max(0, start); pos < e; pos += STREAM_CHUNK) yield await this.read(pos, Math.min(STREAM_CHUNK, e - pos));
  }
}

/**
 * Reads an MMCF block map (at the start of the payload, the first hash
 * block); returns the image child, or null with facts said. `MMCF` and a
 * u32 length of what follows its 8 bytes; `GPTP` and a u32 length counting
 * its own 8 bytes (24: a 16-byte partition GUID); then the run entries, each
 * a tag and a u32 length counting the tag and length (68 for ADDR, 84 for
 * LZ4A); the run data follows the map, and run offsets count from there
 * (Flashtool's SinParser, zxz0O0's SIN analysis and sin2raw agree on these
 * offsets).
 */
async function readBlockMap(src: RandomSource, ctx: DecodeContext, headerLength: number, firstBlock: number, child: string, info: Record<string, unknown>): Promise<ChildSpec | null> {
  const head = await src.read(headerLength, 16);
  const mmcfLength = head.readUInt32BE(4);
  const gptpLength = head.toString('latin1', 8, 12) === 'GPTP' ? head.readUInt32BE(12) : -1;
  const dataAt = headerLength + 8 + mmcfLength;
  const map: Record<string, unknown> = { mmcfLength, gptpLength, dataOffset: dataAt };
  info.blockMap = map;
  if (gptpLength < 8 || gptpLength > mmcfLength || 8 + mmcfLength > firstBlock || dataAt > src.size) {
    ctx.fact({
      kind: 'unreadable',
      message: `SIN block map: an MMCF block of ${mmcfLength} bytes with a GPTP block of ${gptpLength} does not fit the ${firstBlock}-byte first hash block and the file; the image is not rebuilt`,
      offset: headerLength,
    });
    return null;
  }
  const listAt = headerLength + 8 + gptpLength;
  const listLength = mmcfLength - gptpLength;
  if (listLength > MAX_SIN_MAP_ENTRIES * 68 || gptpLength > 4096) {
    ctx.fact({
      kind: 'budget',
      message: `SIN block map: a ${listLength}-byte entry list (or a ${gptpLength}-byte GPTP block) is larger than ${MAX_SIN_MAP_ENTRIES} entries need; the image is not rebuilt`,
      offset: listAt,
    });
    return null;
  }
  map.partitionGuid = hex(await src.read(headerLength + 16, gptpLength - 8));
  const list = await src.read(listAt, listLength);
  const runs: Run[] = [];
  const entries: Record<string, unknown>[] = [];
  let pos = 0;
  while (pos < list.length) {
    if (entries.length >= MAX_SIN_MAP_ENTRIES) {
      ctx.fact({ kind: 'budget', message: `SIN block map: more than ${MAX_SIN_MAP_ENTRIES} entries; the image is not rebuilt`, offset: listAt + pos });
      return null;
    }
    const magic = pos + 8 <= list.length ? list.toString('latin1', pos, pos + 4) : '';
    const len = pos + 8 <= list.length ? list.readUInt32BE(pos + 4) : 0;
    const min = magic === 'LZ4A' ? 52 : 36;
    if ((magic !== 'ADDR' && magic !== 'LZ4A') || len < min || pos + len > list.length) {
      ctx.fact({ kind: 'unreadable', message: `SIN block map: entry ${entries.length} at byte ${listAt + pos} is not an ADDR or LZ4A entry of a fitting length; the image is not rebuilt`, offset: listAt + pos });
      return null;
    }
    // An entry's length counts its magic and length fields too.
    const e = list.subarray(pos + 8, pos + len);
    const big = (o: number) => Number(e.readBigUInt64BE(o));
    if (magic === 'ADDR') {
      const entry = { type: 'ADDR', dataOffset: big(0), dataLength: big(8), imageOffset: big(16), hashType: e.readUInt32BE(24), digest: hex(e.subarray(28)) };
      entries.push(entry);
      runs.push({ at: dataAt + entry.dataOffset, stored: entry.dataLength, to: entry.imageOffset, length: entry.dataLength, lz4: false });
    } else {
      const entry = { type: 'LZ4A', dataOffset: big(0), uncompressedLength: big(8), compressedLength: big(16), imageOffset: big(24), hashType: e.readUInt32BE(40), digest: hex(e.subarray(44)) };
      entries.push(entry);
      runs.push({ at: dataAt + entry.dataOffset, stored: entry.compressedLength, to: entry.imageOffset, length: entry.uncompressedLength, lz4: true });
    }
    pos += len;
  }
  map.entries = entries;
  runs.sort((a, b) => a.to - b.to);
  let size = 0;
  for (const r of runs) {
    const past = !Number.isSafeInteger(r.at + r.stored) || r.at + r.stored > src.size;
    if (past || r.to < size || !Number.isSafeInteger(r.to + r.length)) {
      ctx.fact({
        kind: past ? 'truncated' : 'unreadable',
        message: `SIN block map: the run to image offset ${r.to} (${r.length} bytes) ${past ? `runs past the end of the ${src.size}-byte file` : 'overlaps another run'}; the image is not rebuilt`,
        offset: listAt,
      });
      return null;
    }
    if (r.lz4 && r.length > MAX_SIN_LZ4A_RUN) {
      ctx.fact({ kind: 'unsupported', message: `SIN block map: an LZ4A run of ${r.length} bytes is larger than the ${MAX_SIN_LZ4A_RUN} bytes romscope decodes at once; the image is not rebuilt`, offset: listAt });
      return null;
    }
    size = r.to + r.length;
  }
  try {
    // Gaps cost nothing to store but everything to read: charge the rebuilt size first.
    ctx.budget.chargeExpanded(size);
  } catch (e) {
    if ((e as Error).name !== 'BudgetError') throw e;
    ctx.fact({ kind: 'budget', message: `SIN block map: the rebuilt image is ${size} bytes: ${(e as Error).message}`, offset: listAt });
    return null;
  }
  const lz4 = runs.filter((r) => r.lz4).length;
  return { name: child, source: new SinMappedSource(child, size, runs, src), info: { rebuiltFrom: `${runs.length - lz4} ADDR and ${lz4} LZ4A runs` } };
}

async function decodeV3(src: RandomSource, ctx: DecodeContext): Promise<ContainerResult> {
  if (src.size < V3_FIXED) throw new FormatError(`a SIN v3 header is ${V3_FIXED} bytes or more; the file has ${src.size}`);
  const h = await src.read(0, V3_FIXED);
  const headerLength = h.readUInt32BE(4);
  const payloadType = h.readUInt32BE(8);
  const hashType = h.readUInt32BE(12);
  const hashTableLength = h.readUInt32BE(20);
  const info: Record<string, unknown> = {
    version: 3,
    headerLength,
    payloadType,
    ...(PAYLOAD_TYPES[payloadType] ? { payloadTypeName: PAYLOAD_TYPES[payloadType] } : {}),
    hashType,
    reserved: h.readUInt32BE(16),
    hashTableLength,
  };
  const partition = sinPartition(src.name);
  const child = `${partition}.img`;
  const children: ChildSpec[] = [];
  const rangeTaps: RangeTap[] = [];
  const done = (): ContainerResult => ({ format: 'sony-sin', info, children, rangeTaps });
  if (headerLength > src.size) {
    ctx.fact({ kind: 'truncated', message: `the SIN header is ${headerLength} bytes long, the file has ${src.size}`, offset: 4 });
    return done();
  }
  if (V3_FIXED + hashTableLength + 4 > headerLength) {
    ctx.fact({ kind: 'unreadable', message: `a hash block table of ${hashTableLength} bytes does not fit the ${headerLength}-byte SIN header`, offset: 20 });
    return done();
  }
  const certLength = (await src.read(V3_FIXED + hashTableLength, 4)).readUInt32BE(0);
  const certAt = V3_FIXED + hashTableLength + 4;
  info.certificateLength = certLength;
  if (certAt + certLength > headerLength) ctx.fact({ kind: 'unreadable', message: `the SIN certificate part (${certLength} bytes at ${certAt}) runs past the ${headerLength}-byte header`, offset: certAt - 4 });
  else if (certLength > 0) {
    const cert = await src.read(certAt, Math.min(certLength, MAX_SIN_SIGNATURE_BYTES));
    info.signature = describeSignature(cert, certLength);
    // Flashtool names a loader or boot SIN by these strings in its certificate part.
    const text = cert.toString('latin1');
    if (text.includes('S1_Loader')) info.certificateRole = 'S1_Loader';
    else if (text.includes('S1_Boot')) info.certificateRole = 'S1_Boot';
  }
  ctx.fact({
    kind: 'sin-signature-unchecked',
    message:
      certLength > 0 ? `the SIN v3 certificate part (${certLength} bytes) is shown, not verified: ${SIN_SIGNATURE_REASON}` : `the SIN v3 header has no certificate part; nothing to verify, and ${SIN_SIGNATURE_REASON}`,
    offset: certAt - 4,
  });
  const hash = HASHES[hashType];
  if (!hash) {
    ctx.fact({ kind: 'unsupported', message: `SIN hash type ${hashType} is not one romscope knows (2: SHA-256; 1: SHA-1); the hash block table is not read and the payload is not checked`, offset: 12 });
    return done();
  }
  const entrySize = 4 + hash.size;
  if (hashTableLength % entrySize !== 0) {
    ctx.fact({ kind: 'unreadable', message: `a hash block table of ${hashTableLength} bytes is not a whole number of ${entrySize}-byte entries (${hash.label}); the payload is not checked`, offset: 20 });
    return done();
  }
  const count = hashTableLength / entrySize;
  info.hashAlgorithm = hash.label;
  info.hashBlocks = count;
  if (count > MAX_SIN_HASH_BLOCKS) {
    ctx.fact({ kind: 'budget', message: `${count} hash blocks, more than ${MAX_SIN_HASH_BLOCKS}; the payload is not checked`, offset: 20 });
    return done();
  }
  if (count === 0) {
    ctx.fact({ kind: 'unreadable', message: 'the SIN hash block table is empty: no payload is described', offset: 20 });
    return done();
  }
  const table = await src.read(V3_FIXED, hashTableLength);
  const blocks: HashBlock[] = [];
  let total = 0;
  for (let i = 0; i < count; i++) {
    const length = table.readUInt32BE(i * entrySize);
    blocks.push({ length, digest: table.subarray(i * entrySize + 4, (i + 1) * entrySize) });
    total += length;
  }
  info.payloadLength = total;
  info.firstBlocks = blocks.slice(0, 4).map((b) => ({ length: b.length, digest: hex(b.digest) }));
  const end = headerLength + total;
  if (end > src.size) {
    ctx.fact({ kind: 'truncated', message: `the SIN payload (${total} bytes at ${headerLength}, by its hash blocks) runs past the end of the ${src.size}-byte file`, offset: headerLength });
  } else {
    if (end < src.size) ctx.fact({ kind: 'unreadable', message: `${src.size - end} bytes after the SIN payload are covered by no hash block`, offset: end });
    if (!ctx.headersOnly) rangeTaps.push(hashBlocksTap(ctx, headerLength, blocks, hash.algo, hash.label, V3_FIXED, entrySize));
  }
  const mmcf = blocks[0].length >= 16 && (await src.read(headerLength, 4)).toString('latin1') === 'MMCF';
  if (mmcf) {
    info.payload = 'block map (MMCF)';
    const spec = await readBlockMap(src, ctx, headerLength, blocks[0].length, child, info);
    if (spec) children.push(spec);
  } else {
    info.payload = 'image';
    children.push({ name: child, source: new SliceSource(src, Math.min(headerLength, src.size), total, child), info: { partition } });
  }
  return done();
}

/** What the bytes of a signature part show: a CMS SignedData's signers and certificates, or only its size. */
function describeSignature(bytes: Buffer, length: number): Record<string, unknown> {
  if (bytes.length < length) return { bytes: length, parsed: `not parsed (over ${MAX_SIN_SIGNATURE_BYTES} bytes)` };
  try {
    const cms = parseSignedData(bytes);
    return {
      bytes: length,
      form: 'CMS SignedData',
      signers: cms.signers.map((s) => ({ digest: s.digest, ...(s.certificate ? { subject: summarizeCertificate(s.certificate).subject } : {}) })),
      certificates: cms.certificates.map((c) => summarizeCertificate(c)),
      contentBytes: cms.content?.length ?? 0,
    };
  } catch (e) {
    return { bytes: length, form: `not CMS SignedData (${e instanceof Error ? e.message : String(e)})` };
  }
}

async function decodeTarCms(src: RandomSource, ctx: DecodeContext): Promise<ContainerResult> {
  const tar = await readTar(src, ctx);
  const cms = tar.children.find((c) => /\.cms$/i.test(c.name));
  const pieces = tar.children.filter((c) => c !== cms);
  const info: Record<string, unknown> = { ...tar.info, version: 'tar-cms', partition: cms ? cms.name.replace(/^.*\//, '').replace(/\.cms$/i, '') : null, pieces: pieces.map((p) => p.name) };
  if (!cms) ctx.fact({ kind: 'unreadable', message: 'the SIN archive has no .cms signature member' });
  else {
    const bytes = await readWhole(cms.source, MAX_SIN_SIGNATURE_BYTES);
    info.signature = bytes ? describeSignature(bytes, bytes.length) : { parsed: `not read (over ${MAX_SIN_SIGNATURE_BYTES} bytes)` };
  }
  if (pieces.length === 0) ctx.fact({ kind: 'unreadable', message: 'the SIN archive has no payload member after its .cms signature' });
  ctx.fact({
    kind: 'sin-signature-unchecked',
    message: `the SIN ${cms ? `signature ${cms.name}` : 'archive'} is shown, not verified: ${SIN_SIGNATURE_REASON}; the hash data inside the CMS block has no public layout, so the payload pieces are not checked against it`,
  });
  return { format: 'sony-sin', info, children: tar.children };
}

export const sonySinHandler: ContainerHandler = {
  id: 'sony-sin',
  kind: 'container',
  description: 'Sony .sin partition image: v3 (03 "SIN" header with a hash block table) or v4/v5 (a tar of a .cms signature and sparse pieces)',
  traits: { role: 'partition-image', confidence: 'magic' },
  detect: ({ peek }) => isV3(peek) || isTarCms(peek),
  summary: (i) => phrases(i.version === 3 ? 'SIN v3' : str(i.version) && 'SIN v4/v5 (tar)', str(i.hashAlgorithm), counted(i.hashBlocks, 'hash block'), str(i.partition) && `partition ${i.partition}`),
  decode: async (src, ctx) => {
    const peek = await src.read(0, 512);
    if (isV3(peek)) return decodeV3(src, ctx);
    if (isTarCms(peek)) return decodeTarCms(src, ctx);
    throw new FormatError('neither a SIN v3 header (03 "SIN") nor a tar whose first member is a .cms signature');
  },
};
