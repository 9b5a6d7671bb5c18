/**
 * LG `.dz` (issue 18 item 2): the partition images of an LG firmware, the
 * main file inside a `.kdz`. All little-endian, as ehem/kdztools (dz.py,
 * undz.py) and Isaac Garzon's kdz extractor read it:
 *
 * - a 512-byte header: magic `32 96 18 74`, u32 major (2), u32 minor (0 or
 *   1), u32 reserved; model name (32 bytes); software version (128); build
 *   date (eight u16: year, month, weekday, day, hour, minute, second,
 *   millisecond); u32 chunk count; the MD5 of every chunk header in order
 *   (16); u8 secure image type; the compression (9 bytes: `zlib`/`zstd`, or
 *   a byte 1 = zlib, 4 = zstd); a data MD5 (16; all FF when absent) over
 *   this header with that field set to FF and every chunk header and chunk
 *   after it; SWFV (50); build type (16); u32; u32 header CRC-32 (over the
 *   header with the data MD5 and the CRC zeroed; 0 when absent); Android
 *   version (10); memory size (11); signed security (4); u32 is_ufs; u32
 *   anti-rollback version; supported memories (64); target product (24); u8
 *   multi-panel mask; u8 product fuse id; u32; u8 factory image (`F`);
 *   operator code (24); u32; 44 zero bytes;
 * - then chunks back to back: a 512-byte chunk header (magic `30 12 95 78`;
 *   partition name (32); chunk name (64); u32 decoded size; u32 compressed
 *   size; MD5 of the decoded data (16); u32 start sector; u32 sector count;
 *   u32 hardware partition; u32 CRC-32 of the decoded data; u32 unique
 *   partition id; u32 is_sparse; u32 is_ubi_image; u32 partition start
 *   sector; zeros), then the compressed data (a zlib stream or a zstd frame).
 *
 * Chunks of one partition (same name and hardware partition) are joined into
 * one child `<name>.img`: each chunk's decoded data at its start sector,
 * counted from the partition's start sector, zeros elsewhere (see
 * ./partition.ts), so the images inside are decoded by their own handlers.
 * A sector is 4096 bytes when the header's is_ufs is set, else 512 (an
 * inference: ehem's tool reads 512 from eMMC devices' GPT, Garzon's tool
 * uses 4096 for UFS ones).
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { ChildSpec, ContainerHandler, DecodeContext } from '../types';
import type { RangeDigest } from '../../io/digest-set';
import { readExact } from '../../io/source';
import { FormatError } from '../../io/errors';
import { BudgetError } from '../../io/errors';
import { cString } from '../image-checksum';
import { str } from '../summary';
import { declaration } from '../../compat/declarations';
import { DzPartitionSource, type ChunkResult, type PlacedChunk } from './partition';

export const DZ_MAGIC = 0x74189632;
export const DZ_CHUNK_MAGIC = 0x78951230;
export const DZ_HEADER = 512;
export const DZ_CHUNK_HEADER = 512;
/** Chunks listed; a real `.dz` has a few hundred to a few thousand. */
export const MAX_DZ_CHUNKS = 65536;
/** Bad chunks of one partition reported one by one; the rest are counted. */
const MAX_NAMED_CHUNKS = 8;

const hex = (b: Buffer) => b.toString('hex');
const u32hex = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** The compression field: a name, a type byte (1 zlib, 4 zstd), or nothing (zlib, the older files). */
function compressionOf(b: Buffer): { codec: 'zlib' | 'zstd' | null; said: string } {
  const f = b.subarray(213, 222);
  if (f.every((x) => x === 0)) return { codec: null, said: '' };
  if (f[1] === 0 && f.subarray(1).every((x) => x === 0)) return { codec: f[0] === 1 ? 'zlib' : f[0] === 4 ? 'zstd' : null, said: `type ${f[0]}` };
  const name = cString(b, 213, 9).toLowerCase();
  return { codec: name === 'zlib' || name === 'zstd' ? name : null, said: name };
}

function buildDate(b: Buffer): string | null {
  const w = Array.from({ length: 8 }, (_, i) => b.readUInt16LE(176 + i * 2));
  if (w.every((x) => x === 0)) return null;
  const [y, mo, , d, h, mi, s] = w;
  const p = (n: number, k = 2) => String(n).padStart(k, '0');
  return `${p(y, 4)}-${p(mo)}-${p(d)} ${p(h)}:${p(mi)}:${p(s)}`;
}

interface Chunk {
  index: number;
  headerAt: number;
  partition: string;
  chunkName: string;
  dataSize: number;
  compressedSize: number;
  md5: string;
  startSector: number;
  sectorCount: number;
  hwPartition: number;
  crc32: number;
  uniquePartId: number;
  sparse: boolean;
  ubi: boolean;
  partStartSector: number;
  dataAt: number;
  /** Compressed bytes present in the file. */
  stored: number;
}

function chunkInfo(c: Chunk): Record<string, unknown> {
  return {
    partition: c.partition,
    name: c.chunkName,
    offset: c.headerAt,
    compressedSize: c.compressedSize,
    dataSize: c.dataSize,
    startSector: c.startSector,
    sectorCount: c.sectorCount,
    hwPartition: c.hwPartition,
    md5: c.md5,
    crc32: u32hex(c.crc32),
    ...(c.uniquePartId ? { uniquePartId: c.uniquePartId } : {}),
    ...(c.partStartSector ? { partStartSector: c.partStartSector } : {}),
    ...(c.sparse ? { sparse: true } : {}),
    ...(c.ubi ? { ubi: true } : {}),
  };
}

/**
 * Reports what each chunk's decode found: bad ones one by one (a few per
 * partition), good ones once per partition. The header's MD5 and CRC-32 may
 * be those of the decoded data (ehem's undz checks them so) or of the
 * compressed data (the kdz-tool repacker writes them so): either matches.
 */
function chunkReporter(ctx: DecodeContext, part: string, total: number) {
  const seen = new Set<number>();
  let bad = 0;
  let named = 0;
  let overStored = 0;
  let withCrc = 0;
  return (c: Chunk, r: ChunkResult) => {
    if (seen.has(c.index)) return;
    seen.add(c.index);
    const problems: string[] = [];
    if (r.error) problems.push(`its data does not decode to the end (${r.error}) after ${r.produced} bytes`);
    if (r.over) problems.push(`it decodes to more than the ${c.dataSize} bytes its header declares`);
    else if (r.produced !== c.dataSize && !r.error) problems.push(`it decodes to ${r.produced} bytes, its header declares ${c.dataSize}`);
    const md5Stored = r.md5 !== c.md5 && r.storedMd5 === c.md5;
    if (r.md5 !== c.md5 && !md5Stored) problems.push(`the MD5 of its decoded data is ${r.md5} (of its compressed data ${r.storedMd5}), its header says ${c.md5}`);
    if (c.crc32 !== 0 && r.crc32 !== c.crc32 && r.storedCrc32 !== c.crc32)
      problems.push(`the CRC-32 of its decoded data is ${u32hex(r.crc32)} (of its compressed data ${u32hex(r.storedCrc32)}), its header says ${u32hex(c.crc32)}`);
    if (md5Stored) overStored++;
    if (c.crc32 !== 0) withCrc++;
    if (problems.length) {
      bad++;
      if (named++ < MAX_NAMED_CHUNKS) ctx.fact({ kind: 'image-checksum', message: `${part}: chunk ${c.index} (${c.chunkName}): ${problems.join('; ')}`, offset: c.headerAt, subject: part });
    }
    if (seen.size < total) return;
    if (bad === 0) {
      const what = withCrc === total ? 'MD5, CRC-32' : withCrc > 0 ? `MD5 (and CRC-32 of ${withCrc})` : 'MD5';
      const over = overStored === total ? ' (the MD5 of the compressed data)' : overStored > 0 ? ` (for ${overStored}, the MD5 of the compressed data)` : '';
      ctx.fact({ kind: 'image-checksum-ok', message: `${part}: the ${what} and size of each of its ${total} chunks match their headers${over}`, subject: part });
    } else if (bad > MAX_NAMED_CHUNKS) ctx.fact({ kind: 'image-checksum', message: `${part}: ${bad - MAX_NAMED_CHUNKS} more of its ${total} chunks do not match their headers`, subject: part });
  };
}

export const lgDzHandler: ContainerHandler = {
  id: 'lg-dz',
  kind: 'container',
  description: 'LG .dz: compressed partition chunks (zlib or zstd), each with its MD5, joined per partition',
  traits: { role: 'archive', confidence: 'magic' },
  detect: ({ peek }) => peek.length >= 16 && peek.readUInt32LE(0) === DZ_MAGIC && peek.readUInt32LE(4) <= 16 && peek.readUInt32LE(8) <= 16,
  summary: (info) => {
    const out: string[] = [];
    const model = str(info.model);
    if (model) out.push(`model ${model}`);
    const v = str(info.swVersion);
    if (v) out.push(v);
    if (Array.isArray(info.partitions)) out.push(`${info.partitions.length} partitions`);
    return out;
  },
  async decode(src, ctx) {
    const h = await readExact(src, 0, DZ_HEADER, 'the DZ header');
    if (h.readUInt32LE(0) !== DZ_MAGIC) throw new FormatError('no DZ header magic (32 96 18 74) at offset 0');
    const major = h.readUInt32LE(4);
    const minor = h.readUInt32LE(8);
    const count = h.readUInt32LE(192);
    const comp = compressionOf(h);
    const isUfs = h.readUInt32LE(337) !== 0;
    const sector = isUfs ? 4096 : 512;
    const headerCrc = h.readUInt32LE(308);
    const dataHash = h.subarray(222, 238);
    const info: Record<string, unknown> = {
      version: `${major}.${minor}`,
      model: cString(h, 16, 32),
      swVersion: cString(h, 48, 128),
      buildDate: buildDate(h),
      chunkCount: count,
      chunkHeadersMd5: hex(h.subarray(196, 212)),
      secureImageType: h[212],
      compression: comp.codec ?? (comp.said || 'zlib (not named)'),
      dataMd5: dataHash.every((x) => x === 0xff) ? null : hex(dataHash),
      swfv: cString(h, 238, 50),
      buildType: cString(h, 288, 16),
      headerCrc32: headerCrc ? u32hex(headerCrc) : null,
      androidVersion: cString(h, 312, 10),
      memorySize: cString(h, 322, 11),
      signedSecurity: cString(h, 333, 4),
      ufs: isUfs,
      sectorSize: sector,
      antiRollback: h.readUInt32LE(341),
      supportedMemory: cString(h, 345, 64),
      targetProduct: cString(h, 409, 24),
      multiPanelMask: h[433],
      productFuseId: h[434],
      factoryImage: h[439] === 0x46,
      operatorCode: cString(h, 440, 24),
    };
    // LG's model name (LMG900EM): the DZ describes its device; whether LGUP refuses another model is not known here.
    if (/^[\x21-\x7e]+$/.test(info.model as string)) ctx.fact(declaration('lg-dz', [{ key: 'model', property: 'model name', value: info.model as string }], { enforced: false }));
    if (comp.codec === null && comp.said) ctx.fact({ kind: 'unreadable', message: `the DZ header names compression "${comp.said}", neither zlib nor zstd; the chunks are read by their own first bytes`, offset: 213 });
    if (headerCrc !== 0) {
      const z = Buffer.from(h);
      z.fill(0, 222, 238);
      z.writeUInt32LE(0, 308);
      const got = crc32(z) >>> 0;
      if (got === headerCrc) ctx.fact({ kind: 'image-checksum-ok', message: `the DZ header matches its CRC-32 (${u32hex(got)})`, offset: 308 });
      else ctx.fact({ kind: 'image-checksum', message: `the DZ header's CRC-32 is ${u32hex(got)}, the header says ${u32hex(headerCrc)}`, offset: 308 });
    }

    // The chunk table: headers and data back to back; offsets only move forward.
    const chunks: Chunk[] = [];
    const headersMd5 = createHash('md5');
    let at = DZ_HEADER;
    let complete = true;
    const take = Math.min(count, MAX_DZ_CHUNKS);
    if (count > MAX_DZ_CHUNKS) ctx.fact({ kind: 'budget', message: `the header declares ${count} chunks; only the first ${MAX_DZ_CHUNKS} are read`, offset: 192 });
    for (let i = 0; i < take; i++) {
      if (at + DZ_CHUNK_HEADER > src.size) {
        ctx.fact({ kind: 'truncated', message: `chunk ${i} of ${count}: its header at byte ${at} runs past the end of the ${src.size}-byte file`, offset: at });
        complete = false;
        break;
      }
      const c = await src.read(at, DZ_CHUNK_HEADER);
      if (c.readUInt32LE(0) !== DZ_CHUNK_MAGIC) {
        ctx.fact({ kind: 'unreadable', message: `chunk ${i} of ${count}: no chunk header magic (30 12 95 78) at byte ${at}; the rest of the table is not read`, offset: at });
        complete = false;
        break;
      }
      headersMd5.update(c);
      const compressedSize = c.readUInt32LE(104);
      const dataAt = at + DZ_CHUNK_HEADER;
      const chunk: Chunk = {
        index: i,
        headerAt: at,
        partition: cString(c, 4, 32),
        chunkName: cString(c, 36, 64),
        dataSize: c.readUInt32LE(100),
        compressedSize,
        md5: hex(c.subarray(108, 124)),
        startSector: c.readUInt32LE(124),
        sectorCount: c.readUInt32LE(128),
        hwPartition: c.readUInt32LE(132),
        crc32: c.readUInt32LE(136),
        uniquePartId: c.readUInt32LE(140),
        sparse: c.readUInt32LE(144) !== 0,
        ubi: c.readUInt32LE(148) !== 0,
        partStartSector: minor >= 1 ? c.readUInt32LE(152) : 0,
        dataAt,
        stored: Math.max(0, Math.min(compressedSize, src.size - dataAt)),
      };
      chunks.push(chunk);
      if (dataAt + compressedSize > src.size) {
        ctx.fact({
          kind: 'truncated',
          message: `chunk ${i} (${chunk.chunkName}): its ${compressedSize} compressed bytes at byte ${dataAt} run past the end of the ${src.size}-byte file`,
          offset: dataAt,
          subject: chunk.partition,
        });
        complete = false;
        at = src.size;
        break;
      }
      at = dataAt + compressedSize;
    }
    const end = at;
    if (complete && chunks.length === count) {
      const got = headersMd5.digest('hex');
      const want = hex(h.subarray(196, 212));
      if (got === want) ctx.fact({ kind: 'image-checksum-ok', message: `the MD5 of the ${count} chunk headers matches the DZ header (${got})`, offset: 196 });
      else ctx.fact({ kind: 'image-checksum', message: `the MD5 of the ${count} chunk headers is ${got}, the DZ header says ${want}`, offset: 196 });
      if (end < src.size) {
        const rest = await src.read(end, Math.min(4096, src.size - end));
        if (!rest.every((x) => x === 0)) ctx.fact({ kind: 'unreadable', message: `${src.size - end} bytes after the last chunk (at byte ${end}) are not read`, offset: end });
      }
    }

    // The data MD5 covers the header (its own field as FF) and everything after it, read in the hashing pass
    // (on a hashing thread when it is large, the header given as the digest's prefix).
    const rangeDigests: RangeDigest[] = [];
    if (info.dataMd5 !== null && complete && chunks.length === count) {
      const prefix = Buffer.from(h);
      prefix.fill(0xff, 222, 238);
      rangeDigests.push({
        algo: 'md5',
        start: DZ_HEADER,
        end,
        prefix,
        // Only the container's facts wait on it: the pass may follow the partitions' reads of the chunks.
        standalone: true,
        done: (got) => {
          if (got === info.dataMd5) ctx.fact({ kind: 'image-checksum-ok', message: `the data MD5 over the header, the chunk headers and the chunks matches the DZ header (${got})`, offset: 222 });
          else ctx.fact({ kind: 'image-checksum', message: `the data MD5 over the header, the chunk headers and the chunks is ${got}, the DZ header says ${info.dataMd5}`, offset: 222 });
        },
      });
    }

    // Partitions: chunks of one name on one hardware partition, in order of first appearance.
    const groups = new Map<string, Chunk[]>();
    for (const c of chunks) {
      const key = `${c.hwPartition}\u0000${c.partition}`;
      const g = groups.get(key);
      if (g) g.push(c);
      else groups.set(key, [c]);
    }
    const names = new Map<string, number>();
    const children: ChildSpec[] = [];
    const partitions: Record<string, unknown>[] = [];
    for (const group of groups.values()) {
      const first = group[0];
      const part = first.partition.replace(/[/\\]/g, '_') || `partition${partitions.length}`;
      const n = (names.get(part) ?? 0) + 1;
      names.set(part, n);
      const name = n > 1 ? `${part}#${first.hwPartition}.img` : `${part}.img`;
      // The partition's first sector: the chunks' own field when it fits, else where its first chunk goes.
      const startSector = first.partStartSector > 0 && first.partStartSector <= first.startSector ? first.partStartSector : first.startSector;
      const placed: PlacedChunk[] = [];
      const byIndex = new Map<number, Chunk>();
      let size = 0;
      let lastEnd = 0;
      for (const c of [...group].sort((a, b) => a.startSector - b.startSector || a.index - b.index)) {
        if (c.startSector < startSector) {
          ctx.fact({
            kind: 'unreadable',
            message: `${part}: chunk ${c.index} (${c.chunkName}) starts at sector ${c.startSector}, before the partition's first sector ${startSector}; not placed, not checked`,
            offset: c.headerAt + 124,
            subject: part,
          });
          continue;
        }
        const offset = (c.startSector - startSector) * sector;
        if (offset < lastEnd) {
          ctx.fact({ kind: 'unreadable', message: `${part}: chunk ${c.index} (${c.chunkName}) at sector ${c.startSector} overlaps the chunk before it; not placed, not checked`, offset: c.headerAt + 124, subject: part });
          continue;
        }
        lastEnd = offset + c.dataSize;
        size = Math.max(size, lastEnd, offset + c.sectorCount * sector);
        if (c.dataSize > 0) {
          placed.push({ index: c.index, dataAt: c.dataAt, storedBytes: c.stored, dataSize: c.dataSize, codec: comp.codec ?? codecOf(await src.read(c.dataAt, 4)), offset, md5: c.md5 });
          byIndex.set(c.index, c);
        }
      }
      const entry = { name: first.partition, hwPartition: first.hwPartition, startSector, size, chunks: group.map(chunkInfo) };
      partitions.push(entry);
      const childInfo: Record<string, unknown> = { partition: first.partition, hwPartition: first.hwPartition, startSector, sectorSize: sector, chunks: group.length };
      try {
        // Zeros cost nothing to store but everything to hash: charge the size first.
        ctx.budget.chargeExpanded(size);
      } catch (e) {
        if (!(e instanceof BudgetError)) throw e;
        children.push({
          name,
          source: new DzPartitionSource(name, 0, src, [], () => {}),
          readable: false,
          info: childInfo,
          facts: [{ kind: 'budget', message: `partition ${first.partition} (${size} bytes) is not rebuilt: ${e.message}` }],
        });
        continue;
      }
      const report = chunkReporter(ctx, first.partition, placed.length);
      children.push({ name, source: new DzPartitionSource(name, size, src, placed, (p, r) => report(byIndex.get(p.index)!, r)), info: childInfo });
    }
    info.partitions = partitions;
    if (ctx.headersOnly) info.chunkChecks = 'not all checked (--no-hash): a chunk is checked only when its partition is read to its end';
    return { info, children, rangeDigests };
  },
};

/** A chunk's codec from its first bytes when the header does not name one: a zstd frame, else zlib. */
function codecOf(b: Buffer): 'zlib' | 'zstd' {
  return b.length >= 4 && b.readUInt32LE(0) === 0xfd2fb528 ? 'zstd' : 'zlib';
}
