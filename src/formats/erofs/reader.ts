/**
 * Reads an EROFS image over a RandomSource: inodes, xattrs, directories,
 * symlinks and file data, touching only the metadata on the way and the
 * files asked for. Every offset and count is checked against the image
 * before it is used; a structure that does not hold is thrown as a
 * FormatError whose fact kind is `fs-invalid`, a feature romscope does not
 * read as `unsupported`.
 */
import { inflateRawSync } from 'node:zlib';
import { FormatError } from '../../io/errors';
import type { Budget } from '../../io/limits';
import { GeneratedStreamSource, STREAM_CHUNK, SliceSource, type RandomSource, type Source } from '../../io/source';
import { lz4BlockDecode } from '../../codecs/lz4-block';
import { zstdStream } from '../../codecs/zstd';
import { ALGORITHMS, INCOMPAT, LAYOUT, LAYOUT_NAMES, NULL_ADDR, XATTR_PREFIXES, type Superblock } from './layout';

/** Longest symlink target read (PATH_MAX). */
const MAX_LINK = 4096;
/** Symlinks followed in one lookup, and path components. */
const MAX_HOPS = 8;
const MAX_DEPTH = 64;
/** Largest directory read (its blocks are scanned one at a time). */
const MAX_DIR_BYTES = 256 << 20;
/** Largest decoded extent and stored pcluster one compressed read holds in memory. */
const MAX_EXTENT = 64 << 20;
const MAX_PCLUSTER = 16 << 20;
/** Logical clusters of one compressed file (an index past this is not believed). */
const MAX_LCLUSTERS = 1 << 26;

const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;

export function invalid(message: string, offset?: number): FormatError {
  return new FormatError(message, offset, 'fs-invalid');
}

function unsupported(message: string, offset?: number): FormatError {
  return new FormatError(message, offset, 'unsupported');
}

export interface ErofsInode {
  nid: number;
  /** Byte offset of the inode in the image. */
  offset: number;
  extended: boolean;
  layout: number;
  mode: number;
  nlink: number;
  size: number;
  uid: number;
  gid: number;
  /** Seconds (extended inodes; compact ones carry the build time). */
  mtime: number;
  ino: number;
  /** The i_u word: block address, chunk format, compressed block count or device number. */
  iu: number;
  inodeSize: number;
  xattrSize: number;
}

export interface ErofsDirent {
  name: string;
  nid: number;
  fileType: number;
}

export interface ErofsXattr {
  name: string;
  value: Buffer;
}

export const isDir = (i: ErofsInode): boolean => (i.mode & S_IFMT) === S_IFDIR;
export const isReg = (i: ErofsInode): boolean => (i.mode & S_IFMT) === S_IFREG;
export const isLink = (i: ErofsInode): boolean => (i.mode & S_IFMT) === S_IFLNK;

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

/** One decoded logical cluster of a compressed file's index. */
interface Lcluster {
  /** 0 plain, 1 head (algorithm 1), 2 non-head, 3 head (algorithm 2). */
  type: number;
  clusterofs: number;
  /** Head: first block of its pcluster. */
  pblk: number;
  /** Non-head: its delta[0] holds the compressed block count (big pclusters). */
  cblkcnt: number;
  partialRef: boolean;
}

export class ErofsReader {
  readonly bs: number;
  private readonly metaBase: number;
  /** Bytes of the image the file system may use (its block count, clamped to the source). */
  readonly end: number;

  constructor(
    readonly src: RandomSource,
    readonly sb: Superblock,
    /** The walk's budget: a compressed directory decoded whole is charged to its memory while it is read. */
    private readonly budget?: Budget,
  ) {
    this.bs = sb.blockSize;
    this.metaBase = sb.metaBlkaddr * this.bs;
    this.end = Math.min(src.size, sb.blocks * this.bs || src.size);
  }

  /** Exactly `len` bytes at `at`, inside the file system, or fs-invalid naming `what`. */
  async bytes(at: number, len: number, what: string): Promise<Buffer> {
    if (!Number.isSafeInteger(at) || at < 0 || len < 0 || at + len > this.end) {
      throw invalid(`${what} (${len} bytes at offset ${at}) lies past the end of the ${this.end}-byte file system`, Number.isSafeInteger(at) ? at : undefined);
    }
    const b = await this.src.read(at, len);
    if (b.length < len) throw invalid(`${what} at offset ${at} is cut short`, at);
    return b;
  }

  async inode(nid: number): Promise<ErofsInode> {
    if (!Number.isSafeInteger(nid) || nid < 0) throw invalid(`inode number ${nid} is out of range`);
    const offset = this.metaBase + nid * 32;
    const head = await this.bytes(offset, 32, `inode ${nid}`);
    const format = head.readUInt16LE(0);
    const extended = (format & 1) === 1;
    const layout = (format >> 1) & 7;
    if (layout > LAYOUT.CHUNK_BASED) throw invalid(`inode ${nid} (offset ${offset}) has data layout ${layout}, which EROFS does not define`, offset);
    const b = extended ? await this.bytes(offset, 64, `inode ${nid}`) : head;
    const icount = b.readUInt16LE(2);
    const inodeSize = extended ? 64 : 32;
    const xattrSize = icount === 0 ? 0 : 12 + (icount - 1) * 4;
    const ino: ErofsInode = extended
      ? {
          nid,
          offset,
          extended,
          layout,
          mode: b.readUInt16LE(4),
          size: Number(b.readBigUInt64LE(8)),
          iu: b.readUInt32LE(16),
          ino: b.readUInt32LE(20),
          uid: b.readUInt32LE(24),
          gid: b.readUInt32LE(28),
          mtime: Number(b.readBigUInt64LE(32)),
          nlink: b.readUInt32LE(44),
          inodeSize,
          xattrSize,
        }
      : {
          nid,
          offset,
          extended,
          layout,
          mode: b.readUInt16LE(4),
          nlink: b.readUInt16LE(6),
          size: b.readUInt32LE(8),
          iu: b.readUInt32LE(16),
          ino: b.readUInt32LE(20),
          uid: b.readUInt16LE(24),
          gid: b.readUInt16LE(26),
          mtime: this.sb.buildTime,
          inodeSize,
          xattrSize,
        };
    if (!Number.isSafeInteger(ino.size)) throw invalid(`inode ${nid} (offset ${offset}) claims a size of ${ino.size} bytes`, offset + 8);
    if ((layout === LAYOUT.COMPRESSED_FULL || layout === LAYOUT.COMPRESSED_COMPACT) && !isReg(ino)) {
      // Newer images may compress directories too; they are read the same way.
      if (!isDir(ino) && !isLink(ino)) throw invalid(`inode ${nid} (offset ${offset}) is compressed but is not a file, directory or symlink`, offset);
    }
    if (layout === LAYOUT.CHUNK_BASED && !(this.sb.featureIncompat & INCOMPAT.CHUNKED_FILE)) {
      throw invalid(`inode ${nid} (offset ${offset}) is chunk-based, but the superblock does not set the chunked_file feature`, offset);
    }
    return ino;
  }

  /** Where an inode's metadata ends (inode, then xattrs). */
  private metaEnd(i: ErofsInode): number {
    return i.offset + i.inodeSize + i.xattrSize;
  }

  // ---- xattrs ----

  private async xattrEntry(at: number, limit: number, what: string): Promise<{ x: ErofsXattr; next: number }> {
    if (at + 4 > limit) throw invalid(`${what} at offset ${at} runs past its area`, at);
    const h = await this.bytes(at, 4, what);
    const nameLen = h[0];
    const index = h[1];
    const valueSize = h.readUInt16LE(2);
    const end = at + 4 + nameLen + valueSize;
    if (end > limit) throw invalid(`${what} at offset ${at} (${nameLen}-byte name, ${valueSize}-byte value) runs past its area`, at);
    const body = await this.bytes(at + 4, nameLen + valueSize, what);
    const prefix = XATTR_PREFIXES[index] ?? (index & 0x80 ? `<long prefix ${index & 0x7f}>` : index === 0 ? '' : `<prefix ${index}>`);
    return { x: { name: prefix + body.subarray(0, nameLen).toString('latin1'), value: body.subarray(nameLen) }, next: align(end, 4) };
  }

  async xattrs(i: ErofsInode): Promise<ErofsXattr[]> {
    if (i.xattrSize === 0) return [];
    const start = i.offset + i.inodeSize;
    const limit = start + i.xattrSize;
    const h = await this.bytes(start, 12, `inode ${i.nid}'s xattr header`);
    const shared = h[4];
    if (12 + shared * 4 > i.xattrSize) throw invalid(`inode ${i.nid} lists ${shared} shared xattrs, more than its ${i.xattrSize}-byte xattr area holds`, start + 4);
    const out: ErofsXattr[] = [];
    if (shared > 0) {
      const ids = await this.bytes(start + 12, shared * 4, `inode ${i.nid}'s shared xattr ids`);
      const base = this.sb.xattrBlkaddr * this.bs;
      for (let k = 0; k < shared; k++) {
        const at = base + ids.readUInt32LE(k * 4) * 4;
        out.push((await this.xattrEntry(at, this.end, `shared xattr ${ids.readUInt32LE(k * 4)}`)).x);
      }
    }
    let at = start + 12 + shared * 4;
    for (let n = 0; at < limit && n < 4096; n++) {
      const r = await this.xattrEntry(at, limit, `inode ${i.nid}'s inline xattr`);
      out.push(r.x);
      at = r.next;
    }
    return out;
  }

  // ---- data ----

  /** A file's bytes: a random-access view for plain and chunk layouts, a decoding stream for compressed ones. */
  data(i: ErofsInode, name: string): Source {
    if (i.layout === LAYOUT.COMPRESSED_FULL || i.layout === LAYOUT.COMPRESSED_COMPACT) {
      return new GeneratedStreamSource(name, i.size, () => this.decompressed(i));
    }
    return this.plain(i, name);
  }

  /** Random access over a file stored flat or in chunks. */
  plain(i: ErofsInode, name: string): RandomSource {
    if (i.size === 0) return new SliceSource(this.src, 0, 0, name);
    if (i.layout === LAYOUT.FLAT_PLAIN) {
      const start = i.iu * this.bs;
      if (start + i.size > this.end) throw invalid(`inode ${i.nid}'s ${i.size} bytes at block ${i.iu} lie past the end of the file system`, i.offset + 16);
      return new SliceSource(this.src, start, i.size, name);
    }
    if (i.layout === LAYOUT.FLAT_INLINE) {
      const blocks = Math.ceil(i.size / this.bs) - 1;
      const tail = i.size - blocks * this.bs;
      const tailAt = this.metaEnd(i);
      if ((tailAt % this.bs) + tail > this.bs) throw invalid(`inode ${i.nid}'s ${tail}-byte inline tail at offset ${tailAt} crosses a block boundary`, tailAt);
      if (tailAt + tail > this.end) throw invalid(`inode ${i.nid}'s inline tail lies past the end of the file system`, tailAt);
      const head = i.iu * this.bs;
      if (blocks > 0 && head + blocks * this.bs > this.end) throw invalid(`inode ${i.nid}'s ${blocks} blocks at block ${i.iu} lie past the end of the file system`, i.offset + 16);
      return new MappedSource(name, i.size, async (pos) => (pos < blocks * this.bs ? { at: head + pos, len: blocks * this.bs - pos } : { at: tailAt + pos - blocks * this.bs, len: i.size - pos }), this.src);
    }
    if (i.layout === LAYOUT.CHUNK_BASED) return this.chunked(i, name);
    throw invalid(`inode ${i.nid} has layout ${LAYOUT_NAMES[i.layout]}, not a plain one`, i.offset);
  }

  private chunked(i: ErofsInode, name: string): RandomSource {
    const format = i.iu & 0xffff;
    const indexes = (format & 0x20) !== 0;
    const chunkBits = this.sb.blkszbits + (format & 0x1f);
    if (chunkBits > 47 || format & ~0x3f) throw invalid(`inode ${i.nid} has chunk format 0x${format.toString(16)}`, i.offset + 16);
    const chunk = 2 ** chunkBits;
    const count = Math.ceil(i.size / chunk);
    const unit = indexes ? 8 : 4;
    const base = align(this.metaEnd(i), unit);
    if (base + count * unit > this.end) throw invalid(`inode ${i.nid}'s ${count} chunk entries at offset ${base} lie past the end of the file system`, base);
    const map = async (pos: number) => {
      const c = Math.floor(pos / chunk);
      const e = await this.bytes(base + c * unit, unit, `inode ${i.nid}'s chunk entry ${c}`);
      const blk = indexes ? e.readUInt32LE(4) : e.readUInt32LE(0);
      if (indexes && e.readUInt16LE(2) !== 0) throw unsupported(`inode ${i.nid}'s chunk ${c} lies on extra device ${e.readUInt16LE(2)}`);
      const len = Math.min(chunk - (pos - c * chunk), i.size - pos);
      if (blk === NULL_ADDR) return { at: null, len };
      const at = blk * this.bs + (pos - c * chunk);
      if (at + len > this.end) throw invalid(`inode ${i.nid}'s chunk ${c} at block ${blk} lies past the end of the file system`, base + c * unit);
      return { at, len };
    };
    return new MappedSource(name, i.size, map, this.src);
  }

  /** Whole (small) data of a directory or symlink, or null when it is larger than `cap`. */
  async whole(i: ErofsInode, cap: number): Promise<Buffer> {
    if (i.size > cap) throw invalid(`inode ${i.nid} holds ${i.size} bytes, more than the ${cap} romscope reads for it`, i.offset + 8);
    const s = this.data(i, `inode ${i.nid}`);
    if (s.kind === 'random') return s.read(0, i.size);
    const parts: Buffer[] = [];
    for await (const p of s.stream()) parts.push(p);
    return Buffer.concat(parts);
  }

  // ---- directories ----

  /** A directory's entries, block by block (at most `max`). */
  async *dirents(dir: ErofsInode, max = Number.MAX_SAFE_INTEGER): AsyncGenerator<ErofsDirent> {
    if (!isDir(dir)) throw invalid(`inode ${dir.nid} is not a directory`, dir.offset);
    if (dir.size > MAX_DIR_BYTES) throw invalid(`directory inode ${dir.nid} claims ${dir.size} bytes`, dir.offset + 8);
    const src = this.data(dir, `directory ${dir.nid}`);
    const held = src.kind === 'random' ? 0 : dir.size;
    this.budget?.chargeMemory(held, `the compressed EROFS directory inode ${dir.nid} (${dir.size} bytes)`);
    try {
      yield* this.direntsOf(dir, src, held ? await this.whole(dir, MAX_DIR_BYTES) : null, max);
    } finally {
      this.budget?.releaseMemory(held);
    }
  }

  private async *direntsOf(dir: ErofsInode, src: Source, whole: Buffer | null, max: number): AsyncGenerator<ErofsDirent> {
    let count = 0;
    for (let pos = 0; pos < dir.size; pos += this.bs) {
      const len = Math.min(this.bs, dir.size - pos);
      const blk = whole ? whole.subarray(pos, pos + len) : await (src as RandomSource).read(pos, len);
      const where = `directory inode ${dir.nid}, block ${pos / this.bs}`;
      if (blk.length < 12) throw invalid(`${where}: ${blk.length} bytes cannot hold an entry`, dir.offset);
      const first = blk.readUInt16LE(8);
      if (first < 12 || first % 12 !== 0 || first > blk.length) throw invalid(`${where}: the first entry's name offset ${first} is not a multiple of 12 inside the block`, dir.offset);
      const n = first / 12;
      for (let k = 0; k < n; k++) {
        const nameOff = blk.readUInt16LE(k * 12 + 8);
        let nameEnd = k + 1 < n ? blk.readUInt16LE(k * 12 + 20) : blk.length;
        if (nameOff < first || nameEnd > blk.length || nameEnd <= nameOff) throw invalid(`${where}: entry ${k}'s name (${nameOff}..${nameEnd}) lies outside the name area`, dir.offset);
        if (k + 1 === n) {
          const z = blk.indexOf(0, nameOff);
          if (z >= 0 && z < nameEnd) nameEnd = z;
        }
        const nid = Number(blk.readBigUInt64LE(k * 12));
        if (++count > max) return;
        yield { name: blk.subarray(nameOff, nameEnd).toString('utf8'), nid, fileType: blk[k * 12 + 10] };
      }
    }
  }

  async lookupIn(dir: ErofsInode, name: string): Promise<ErofsInode | null> {
    for await (const d of this.dirents(dir)) if (d.name === name) return this.inode(d.nid);
    return null;
  }

  async readLink(i: ErofsInode): Promise<string> {
    if (!isLink(i)) throw invalid(`inode ${i.nid} is not a symlink`, i.offset);
    return (await this.whole(i, MAX_LINK)).toString('utf8');
  }

  /**
   * The inode at `path` (from the root; `.`/`..` resolved within the
   * image), following symlinks on the way (and at the end when `follow`),
   * never out of the image: a target is resolved from the image's root.
   */
  async lookup(path: string, follow = false): Promise<ErofsInode | null> {
    const root = await this.inode(this.sb.rootNid);
    if (!isDir(root)) throw invalid(`the root inode ${this.sb.rootNid} is not a directory`, root.offset);
    let hops = 0;
    let todo = path.split('/').filter((p) => p !== '' && p !== '.');
    const stack: ErofsInode[] = [];
    let cur = root;
    let steps = 0;
    while (todo.length > 0) {
      if (++steps > MAX_DEPTH * (MAX_HOPS + 1)) throw invalid(`the path ${path} is too deep`);
      const part = todo.shift()!;
      if (part === '..') {
        cur = stack.pop() ?? root;
        continue;
      }
      if (!isDir(cur)) return null;
      const next = await this.lookupIn(cur, part);
      if (!next) return null;
      if (isLink(next) && (todo.length > 0 || follow)) {
        if (++hops > MAX_HOPS) throw invalid(`more than ${MAX_HOPS} symlinks on the way to ${path} (a loop?)`);
        const target = await this.readLink(next);
        const parts = target.split('/').filter((p) => p !== '' && p !== '.');
        if (target.startsWith('/')) {
          stack.length = 0;
          cur = root;
        }
        todo = [...parts, ...todo];
        if (todo.length > MAX_DEPTH * 4) throw invalid(`the path ${path} is too deep`);
        continue;
      }
      stack.push(cur);
      cur = next;
    }
    return cur;
  }

  // ---- compressed files ----

  private async *decompressed(i: ErofsInode, depth = 0): AsyncGenerator<Buffer> {
    if (i.size === 0) return;
    const where = `inode ${i.nid}`;
    const hAt = align(this.metaEnd(i), 8);
    const h = await this.bytes(hAt, 8, `${where}'s compression header`);
    const advise = h.readUInt16LE(4);
    const algHead1 = h[6] & 0xf;
    const algHead2 = h[6] >> 4;
    const clusterBits = h[7];
    const fragmentOff = h.readUInt32LE(0);
    const idataSize = h.readUInt16LE(2);
    const packed = async function* (this: ErofsReader, from: number, len: number): AsyncGenerator<Buffer> {
      if (depth > 0) throw invalid(`${where}: the packed inode refers to itself`);
      if (!(this.sb.featureIncompat & INCOMPAT.FRAGMENTS)) throw invalid(`${where} keeps data in the packed inode, but the fragments feature is not set`, hAt);
      const p = await this.inode(this.sb.packedNid);
      if (from + len > p.size) throw invalid(`${where}'s fragment (${len} bytes at ${from}) lies past the end of the ${p.size}-byte packed inode`, hAt);
      const s = p.layout === LAYOUT.COMPRESSED_FULL || p.layout === LAYOUT.COMPRESSED_COMPACT ? null : this.plain(p, 'packed');
      if (s) {
        for (let o = 0; o < len; o += STREAM_CHUNK) yield await s.read(from + o, Math.min(STREAM_CHUNK, len - o));
        return;
      }
      let pos = 0;
      for await (const c of this.decompressed(p, depth + 1)) {
        const a = Math.max(from - pos, 0);
        const b = Math.min(from + len - pos, c.length);
        if (b > a) yield c.subarray(a, b);
        pos += c.length;
        if (pos >= from + len) return;
      }
    }.bind(this);
    if (clusterBits & 0x80) {
      // The whole file lies in the packed inode.
      yield* packed(fragmentOff, i.size);
      return;
    }
    const lclusterBits = this.sb.blkszbits + (clusterBits & 7);
    const lcs = 2 ** lclusterBits;
    const total = Math.ceil(i.size / lcs);
    if (total > MAX_LCLUSTERS) throw unsupported(`${where} has ${total} logical clusters, more than romscope reads`);
    const index = new LclusterIndex(this, i, hAt + 8, advise, lclusterBits, total);
    const ztail = (advise & 0x8) !== 0;
    const fragment = (advise & 0x20) !== 0;
    const interlaced = (advise & 0x10) !== 0;
    const big = (advise & 0x6) !== 0;

    // Heads in order: [lcn, record]; each extent runs to the next head.
    let cur: { lcn: number; rec: Lcluster; start: number } | null = null;
    let produced = 0;
    const emit = async function* (this: ErofsReader, head: { lcn: number; rec: Lcluster; start: number }, end: number, last: boolean): AsyncGenerator<Buffer> {
      const llen = end - head.start;
      if (llen <= 0) return;
      if (llen > MAX_EXTENT) throw unsupported(`${where}: an extent of ${llen} bytes at ${head.start}, more than romscope decodes at once`);
      if (last && fragment) {
        yield* packed(fragmentOff, llen);
        produced += llen;
        return;
      }
      let raw: Buffer;
      if (last && ztail) {
        const at = index.tailDataOffset(head.lcn);
        if ((at % this.bs) + idataSize > this.bs) throw invalid(`${where}'s ${idataSize}-byte inline tail at offset ${at} crosses a block boundary`, at);
        raw = await this.bytes(at, idataSize, `${where}'s inline compressed tail`);
      } else {
        let blocks = 1;
        if (big && head.lcn + 1 < total) {
          const n = await index.get(head.lcn + 1);
          if (n.type === 2 && n.cblkcnt > 0) blocks = n.cblkcnt;
        }
        const plen = big ? blocks * this.bs : Math.max(lcs, this.bs);
        if (plen > MAX_PCLUSTER) throw invalid(`${where}: a pcluster of ${plen} bytes`);
        raw = await this.bytes(head.rec.pblk * this.bs, plen, `${where}'s pcluster at block ${head.rec.pblk}`);
      }
      const out = await this.decodePcluster(raw, head.rec, llen, algHead1, algHead2, interlaced ? head.start % this.bs : 0, `${where}: the extent at ${head.start} (${llen} bytes)`);
      produced += out.length;
      yield out;
    }.bind(this);

    for (let lcn = 0; lcn < total; lcn++) {
      const rec = await index.get(lcn);
      if (rec.type === 2) {
        if (!cur) throw invalid(`${where}: logical cluster 0 is not the head of an extent`, index.offsetOf(0));
        continue;
      }
      const start = lcn * lcs + rec.clusterofs;
      if (rec.clusterofs >= lcs) throw invalid(`${where}: logical cluster ${lcn} starts its extent at ${rec.clusterofs}, past the cluster`, index.offsetOf(lcn));
      if (cur && start >= i.size) break; // a head at the very end (mkfs marks the end of the data)
      if (cur) {
        if (start < cur.start) throw invalid(`${where}: extents out of order at logical cluster ${lcn}`, index.offsetOf(lcn));
        yield* emit(cur, start, false);
      } else if (start !== 0) {
        throw invalid(`${where}: the first extent starts at ${start}, not 0`, index.offsetOf(lcn));
      }
      cur = { lcn, rec, start };
    }
    if (cur) yield* emit(cur, i.size, true);
    if (produced !== i.size) throw invalid(`${where}: its extents decode to ${produced} bytes, its size is ${i.size}`, i.offset + 8);
  }

  private async decodePcluster(raw: Buffer, rec: Lcluster, llen: number, alg1: number, alg2: number, interlacedOff: number, what: string): Promise<Buffer> {
    if (rec.type === 0) {
      // Stored uncompressed: plainly, or rotated by the extent's offset in its block (interlaced).
      if (llen > raw.length) throw invalid(`${what}: an uncompressed pcluster of ${raw.length} bytes cannot hold it`);
      if (interlacedOff === 0) return raw.subarray(0, llen);
      const rot = Buffer.concat([raw.subarray(interlacedOff), raw.subarray(0, interlacedOff)]);
      return rot.subarray(0, llen);
    }
    const alg = rec.type === 1 ? alg1 : alg2;
    const zeroPadding = (this.sb.featureIncompat & INCOMPAT.ZERO_PADDING) !== 0;
    let input = raw;
    if (zeroPadding) {
      let skip = 0;
      while (skip < raw.length && raw[skip] === 0) skip++;
      if (skip === raw.length) throw invalid(`${what}: its pcluster holds only zeros`);
      input = raw.subarray(skip);
    }
    try {
      // An extent may end before its pcluster's data does (the kernel decodes it partially too).
      if (alg === 0) return lz4BlockDecode(input, llen, { partial: true });
      if (alg === 2) {
        const out = inflateRawSync(input, { maxOutputLength: Math.max(llen, 1), finishFlush: 2 /* Z_SYNC_FLUSH: stop when the output is full */ });
        if (out.length < llen) throw new Error(`inflates to ${out.length} bytes`);
        return out.subarray(0, llen);
      }
      if (alg === 3) {
        const parts: Buffer[] = [];
        let n = 0;
        for await (const p of zstdStream(
          (async function* () {
            yield input;
          })(),
          llen,
        )) {
          parts.push(Buffer.from(p));
          n += p.length;
        }
        if (n < llen) throw new Error(`decodes to ${n} bytes`);
        return Buffer.concat(parts, n).subarray(0, llen);
      }
    } catch (e) {
      if (e instanceof FormatError && e.factKind === 'unsupported') throw e;
      throw invalid(`${what} does not decode: ${(e as Error).message}`);
    }
    throw unsupported(`${what} is compressed with ${ALGORITHMS[alg] === 'lzma' ? 'MicroLZMA' : (ALGORITHMS[alg] ?? `algorithm ${alg}`)}, which romscope does not decode`);
  }
}

/** A compressed file's logical-cluster index, full (8 bytes each) or compact (4- and 2-byte packs). */
class LclusterIndex {
  private readonly compact: boolean;
  private readonly base: number;
  private readonly init4: number = 0;
  private readonly n2: number = 0;
  private readonly big: boolean;
  private readonly lobits: number;
  private cache: { at: number; recs: Lcluster[] } | null = null;

  constructor(
    private readonly r: ErofsReader,
    private readonly i: ErofsInode,
    mapEnd: number,
    advise: number,
    lclusterBits: number,
    private readonly total: number,
  ) {
    this.compact = i.layout === LAYOUT.COMPRESSED_COMPACT;
    this.big = (advise & 0x6) !== 0;
    this.lobits = Math.max(lclusterBits, 12);
    if (this.compact) {
      this.base = mapEnd;
      if (lclusterBits > 14) throw unsupported(`inode ${i.nid}: compact indexes with ${2 ** lclusterBits}-byte logical clusters`);
      this.init4 = ((32 - (mapEnd % 32)) / 4) & 7;
      if (advise & 0x1 && this.init4 < total) {
        if (lclusterBits > 12) throw invalid(`inode ${i.nid}: 2-byte compact indexes with ${2 ** lclusterBits}-byte logical clusters`);
        this.n2 = Math.floor((total - this.init4) / 16) * 16;
      }
    } else {
      this.base = mapEnd + 8;
    }
  }

  /** Where lcn's index entry (compact: its pack) lies, and the pack's shape. */
  private locate(lcn: number): { pack: number; vcnt: number; size: number; k: number } {
    if (!this.compact) return { pack: this.base + lcn * 8, vcnt: 1, size: 8, k: 0 };
    let pos = this.base;
    let shift = 2;
    let l = lcn;
    if (l >= this.init4) {
      pos += this.init4 * 4;
      l -= this.init4;
      if (l < this.n2) shift = 1;
      else {
        pos += this.n2 * 2;
        l -= this.n2;
      }
    }
    pos += l * (1 << shift);
    const vcnt = shift === 2 ? 2 : 16;
    const size = vcnt << shift;
    const pack = pos - (pos % size); // packs are aligned in the image, not relative to the index start
    return { pack, vcnt, size, k: (pos - pack) >> shift };
  }

  offsetOf(lcn: number): number {
    const l = this.locate(lcn);
    return l.pack;
  }

  /** Where a ztailpacking tail's data lies: right after the pack (or entry) of the last logical cluster. */
  tailDataOffset(_headLcn: number): number {
    const l = this.locate(this.total - 1);
    return l.pack + l.size;
  }

  async get(lcn: number): Promise<Lcluster> {
    const l = this.locate(lcn);
    if (this.cache?.at !== l.pack) {
      const b = await this.r.bytes(l.pack, l.size, `inode ${this.i.nid}'s compressed index`);
      this.cache = { at: l.pack, recs: this.compact ? this.unpack(b, l.vcnt, l.size) : [this.full(b)] };
    }
    return this.cache.recs[l.k];
  }

  private full(b: Buffer): Lcluster {
    const adv = b.readUInt16LE(0);
    const type = adv & 3;
    const u = b.readUInt32LE(4);
    const d0 = u & 0xffff;
    return { type, clusterofs: b.readUInt16LE(2), pblk: u, cblkcnt: type === 2 && d0 & 0x800 ? d0 & 0x7ff : 0, partialRef: (adv & 0x8000) !== 0 };
  }

  private unpack(b: Buffer, vcnt: number, size: number): Lcluster[] {
    const bits = ((size - 4) * 8) / vcnt;
    const base = b.readUInt32LE(size - 4);
    const mask = 2 ** this.lobits - 1;
    const raw: { lo: number; type: number }[] = [];
    for (let k = 0; k < vcnt; k++) {
      const bit = k * bits;
      const byte = bit >> 3;
      const v = (b[byte] | (b[byte + 1] << 8) | ((b[byte + 2] ?? 0) << 16) | ((b[byte + 3] ?? 0) << 24)) >>> (bit & 7);
      raw.push({ lo: v & mask, type: (v >>> this.lobits) & 3 });
    }
    const recs: Lcluster[] = [];
    let counter = base;
    for (let k = 0; k < vcnt; k++) {
      const { lo, type } = raw[k];
      if (type === 2) {
        const cblk = lo & 0x800 ? lo & 0x7ff : 0;
        if (this.big && cblk) counter += cblk;
        recs.push({ type, clusterofs: 0, pblk: 0, cblkcnt: this.big ? cblk : 0, partialRef: false });
        continue;
      }
      // A pack's base address is one block before its first head's pcluster without big pclusters, the first head's with them.
      recs.push({ type, clusterofs: lo, pblk: this.big ? counter : counter + 1, cblkcnt: 0, partialRef: false });
      const next = raw[k + 1];
      const counted = this.big && next !== undefined && next.type === 2 && (next.lo & 0x800) !== 0;
      if (!counted) counter += 1;
    }
    return recs;
  }
}

/** A file whose bytes lie in runs of the image (or holes): `map(pos)` gives the run that starts at `pos`. */
export class MappedSource implements RandomSource {
  readonly kind = 'random' as const;
  constructor(
    readonly name: string,
    readonly size: number,
    private readonly map: (pos: number) => Promise<{ at: number | null; len: number }>,
    private readonly img: RandomSource,
  ) {}

  async read(offset: number, length: number): Promise<Buffer> {
    const s = Math.max(0, Math.min(offset, this.size));
    const e = Math.max(s, Math.min(offset + length, this.size));
    const parts: Buffer[] = [];
    for (let pos = s; pos < e;) {
      const run = await this.map(pos);
      if (run.len <= 0) throw invalid(`${this.name}: no data mapped at ${pos}`);
      const n = Math.min(run.len, e - pos);
      if (run.at === null) parts.push(Buffer.alloc(n));
      else {
        const b = await this.img.read(run.at, n);
        if (b.length < n) throw invalid(`${this.name}: data at offset ${run.at} is cut short`, run.at);
        parts.push(b);
      }
      pos += n;
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  async *stream(start = 0, end = this.size): AsyncIterable<Buffer> {
    const e = Math.min(end, this.size);
    for (let pos = Math.max(0, start); pos < e; pos += STREAM_CHUNK) yield await this.read(pos, Math.min(STREAM_CHUNK, e - pos));
  }
}
