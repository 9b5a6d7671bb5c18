import { phrases, sized, counted } from '../summary';
/**
 * Android sparse images (libsparse; FORMATS.md §1). The chunk list is read
 * once into a chunk map; the expanded image is a random-access child built
 * from it, so what is inside (ext4, super, vbmeta footers) is decoded through
 * it and its digests are computed as it streams. CRC32 chunks become range
 * expectations on that child, checked in the same pass.
 */
import { BudgetError } from '../../io/errors';
import type { RandomSource } from '../../io/source';
import type { ExpectedDigest } from '../../report/model';
import type { ContainerHandler, DecodeContext, ContainerResult } from '../types';
import { ChunkMap, ChunkKind } from './chunk-map';
import { SparseExpandedSource } from './expanded';
import type { AndroidSparseInfo } from '../../report/info';

export const SPARSE_MAGIC = 0xed26ff3a;
const CHUNK_RAW = 0xcac1;
const CHUNK_FILL = 0xcac2;
const CHUNK_DONT_CARE = 0xcac3;
const CHUNK_CRC32 = 0xcac4;
/** More chunks than this is not a real image (img2simg of a full 8 GiB system image makes ~10^5). */
const MAX_CHUNKS = 4_000_000;
const WINDOW = 1 << 20;

export interface SparseHeader {
  majorVersion: number;
  minorVersion: number;
  fileHeaderSize: number;
  chunkHeaderSize: number;
  blockSize: number;
  totalBlocks: number;
  totalChunks: number;
  imageChecksum: number;
}

function parseSparseHeader(b: Buffer): SparseHeader {
  return {
    majorVersion: b.readUInt16LE(4),
    minorVersion: b.readUInt16LE(6),
    fileHeaderSize: b.readUInt16LE(8),
    chunkHeaderSize: b.readUInt16LE(10),
    blockSize: b.readUInt32LE(12),
    totalBlocks: b.readUInt32LE(16),
    totalChunks: b.readUInt32LE(20),
    imageChecksum: b.readUInt32LE(24),
  };
}

/** Reads small headers through a 1 MiB window so a chunk list costs few reads. */
class WindowReader {
  private buf: Buffer = Buffer.alloc(0);
  private at = 0;
  constructor(private readonly src: RandomSource) {}
  async read(offset: number, n: number): Promise<Buffer> {
    if (offset < this.at || offset + n > this.at + this.buf.length) {
      this.buf = await this.src.read(offset, Math.max(n, WINDOW));
      this.at = offset;
    }
    return this.buf.subarray(offset - this.at, offset - this.at + n);
  }
}

export interface SparseLayout {
  header: SparseHeader;
  map: ChunkMap;
  /** Digests of expanded prefixes recorded by CRC32 chunks. */
  crcs: { end: number; crc: number; chunkOffset: number }[];
  /** Chunk map complete and consistent: the expanded view is trustworthy. */
  ok: boolean;
  counts: { raw: number; fill: number; dontCare: number; crc32: number };
  dataBytes: number;
  fillBytes: number;
  holeBytes: number;
  /** Bytes after the last chunk. */
  trailing: number;
}

/** Validates the header and reads the chunk list. Problems become facts (format/sparse-invalid, integrity/truncated). */
export async function readSparse(src: RandomSource, ctx: DecodeContext): Promise<SparseLayout | null> {
  const invalid = (message: string, offset?: number) => ctx.fact({ kind: 'sparse-invalid', message, offset });
  if (src.size < 28) {
    ctx.fact({ kind: 'truncated', message: `sparse header needs 28 bytes, the file has ${src.size}` });
    return null;
  }
  const h = parseSparseHeader(await src.read(0, 28));
  if (h.majorVersion !== 1) return (void invalid(`sparse major version ${h.majorVersion} (only 1 exists)`, 4), null);
  if (h.fileHeaderSize < 28) return (void invalid(`file header size ${h.fileHeaderSize} is below the minimum 28`, 8), null);
  if (h.chunkHeaderSize < 12) return (void invalid(`chunk header size ${h.chunkHeaderSize} is below the minimum 12`, 10), null);
  if (h.blockSize === 0 || h.blockSize % 4 !== 0) return (void invalid(`block size ${h.blockSize} is not a non-zero multiple of 4`, 12), null);
  if (h.totalBlocks === 0) return (void invalid('total block count is 0', 16), null);

  const map = new ChunkMap();
  const crcs: SparseLayout['crcs'] = [];
  const counts = { raw: 0, fill: 0, dontCare: 0, crc32: 0 };
  let dataBytes = 0;
  let fillBytes = 0;
  let holeBytes = 0;
  const r = new WindowReader(src);
  let pos = h.fileHeaderSize;
  let block = 0;
  let ok = true;
  let read = 0;
  for (; read < h.totalChunks; read++) {
    if (read >= MAX_CHUNKS) {
      invalid(`more than ${MAX_CHUNKS} chunks; not a believable image`, pos);
      ok = false;
      break;
    }
    if (pos + h.chunkHeaderSize > src.size) {
      ctx.fact({ kind: 'truncated', message: `the file ends after ${read} of ${h.totalChunks} chunks (at offset ${src.size})`, offset: pos });
      ok = false;
      break;
    }
    const ch = await r.read(pos, 12);
    const type = ch.readUInt16LE(0);
    const blocks = ch.readUInt32LE(4);
    const total = ch.readUInt32LE(8);
    const at = pos;
    const payload = total - h.chunkHeaderSize;
    const dataAt = pos + h.chunkHeaderSize;
    if (total < h.chunkHeaderSize) {
      invalid(`chunk ${read} at offset ${at} says it is ${total} bytes, less than its own header`, at);
      ok = false;
      break;
    }
    if (type === CHUNK_RAW || type === CHUNK_FILL || type === CHUNK_DONT_CARE) {
      if (block + blocks > h.totalBlocks) {
        invalid(`chunk ${read} at offset ${at} writes blocks ${block}..${block + blocks - 1}, past the image's ${h.totalBlocks} blocks`, at);
        ok = false;
        break;
      }
    }
    const span = blocks * h.blockSize;
    if (type === CHUNK_RAW) {
      if (payload !== span) {
        invalid(`RAW chunk ${read} at offset ${at} carries ${payload} bytes for ${blocks} blocks of ${h.blockSize} (needs ${span})`, at);
        ok = false;
        break;
      }
      map.push(block, blocks, ChunkKind.Raw, dataAt);
      counts.raw++;
      dataBytes += span;
    } else if (type === CHUNK_FILL) {
      if (payload !== 4) {
        invalid(`FILL chunk ${read} at offset ${at} has a ${payload}-byte payload (needs 4)`, at);
        ok = false;
        break;
      }
      if (dataAt + 4 > src.size) {
        ctx.fact({ kind: 'truncated', message: `FILL chunk ${read} at offset ${at} is cut short`, offset: at });
        ok = false;
        break;
      }
      map.push(block, blocks, ChunkKind.Fill, (await r.read(dataAt, 4)).readUInt32LE(0));
      counts.fill++;
      fillBytes += span;
    } else if (type === CHUNK_DONT_CARE) {
      if (payload !== 0) {
        invalid(`DONT_CARE chunk ${read} at offset ${at} has a ${payload}-byte payload (needs 0)`, at);
        ok = false;
        break;
      }
      map.push(block, blocks, ChunkKind.DontCare, 0);
      counts.dontCare++;
      holeBytes += span;
    } else if (type === CHUNK_CRC32) {
      if (payload !== 4) {
        invalid(`CRC32 chunk ${read} at offset ${at} has a ${payload}-byte payload (needs 4)`, at);
        ok = false;
        break;
      }
      if (dataAt + 4 > src.size) {
        ctx.fact({ kind: 'truncated', message: `CRC32 chunk ${read} at offset ${at} is cut short`, offset: at });
        ok = false;
        break;
      }
      crcs.push({ end: block * h.blockSize, crc: (await r.read(dataAt, 4)).readUInt32LE(0), chunkOffset: at });
      counts.crc32++;
    } else {
      invalid(`chunk ${read} at offset ${at} has unknown type 0x${type.toString(16)}`, at);
      ok = false;
      break;
    }
    if (type !== CHUNK_CRC32) block += blocks;
    pos += total;
    if (pos > src.size) {
      ctx.fact({ kind: 'truncated', message: `chunk ${read} at offset ${at} needs ${total} bytes, the file ends at ${src.size}`, offset: at });
      ok = false;
      break;
    }
  }
  if (ok && block !== h.totalBlocks) {
    invalid(`chunks cover ${block} blocks, the header declares ${h.totalBlocks}`);
    ok = false;
  }
  return { header: h, map, crcs, ok, counts, dataBytes, fillBytes, holeBytes, trailing: ok ? src.size - pos : 0 };
}

export const sparseHandler: ContainerHandler = {
  id: 'android-sparse',
  summary: (i) => phrases(sized('expands to', i.expandedSize), counted((i.chunks as { total?: unknown } | undefined)?.total, 'chunk'), sized('blocks of', i.blockSize)),
  kind: 'container',
  traits: { role: 'partition-image', confidence: 'magic', wrapsImage: true },
  description: 'Android sparse image (libsparse): RAW/FILL/DONT_CARE/CRC32 chunks',
  detect: ({ peek }) => peek.length >= 4 && peek.readUInt32LE(0) === SPARSE_MAGIC,
  async decode(src, ctx): Promise<ContainerResult> {
    const s = await readSparse(src, ctx);
    if (!s) return { info: {}, children: [] };
    const h = s.header;
    const expandedSize = h.totalBlocks * h.blockSize;
    const info: AndroidSparseInfo = {
      version: `${h.majorVersion}.${h.minorVersion}`,
      blockSize: h.blockSize,
      totalBlocks: h.totalBlocks,
      expandedSize,
      chunks: { total: h.totalChunks, ...s.counts },
      dataBytes: s.dataBytes,
      fillBytes: s.fillBytes,
      holeBytes: s.holeBytes,
      headerSizes: h.fileHeaderSize !== 28 || h.chunkHeaderSize !== 12 ? { file: h.fileHeaderSize, chunk: h.chunkHeaderSize } : undefined,
      trailingBytes: s.trailing || undefined,
    };
    if (!s.ok) return { info, children: [] };
    try {
      // Holes cost nothing to store but everything to hash: they count against the expansion budget.
      ctx.budget.chargeExpanded(expandedSize);
    } catch (e) {
      if (!(e instanceof BudgetError)) throw e;
      ctx.fact({ kind: 'budget', message: `expands to ${expandedSize} bytes: ${e.message}` });
      return { info, children: [] };
    }
    const expect: ExpectedDigest[] = s.crcs.map((c) => ({
      algo: 'crc32',
      hex: c.crc.toString(16).padStart(8, '0'),
      kind: 'sparse-crc',
      from: `the CRC32 chunk at offset ${c.chunkOffset}`,
      range: { start: 0, end: c.end },
    }));
    return { info, children: [{ name: 'raw', source: new SparseExpandedSource('raw', { map: s.map, files: [src] }, h.blockSize, h.totalBlocks), expect }] };
  },
};
