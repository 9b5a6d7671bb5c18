/**
 * The puffer: deflate bits -> puffin's "puff" bytes, byte for byte as puffin's
 * Puffer and BufferPuffWriter write them (learned from puffin's public sources;
 * our own code). A puff stream is a list of blocks; each block is
 *
 *   u16 BE (metadata length - 1), metadata:
 *     byte 0: BFINAL << 7 | BTYPE << 5 | the stored block's padding bits (OR-ed in, as puffin does)
 *     dynamic blocks then: HLIT, HDIST, HCLEN (one byte each), the HCLEN+4 code-length
 *     code lengths two per byte (high nibble first, in RFC order), then one byte per
 *     code-length symbol: 0..15 a length, 16+extra (16..19), 20+extra (20..27), 28+extra (28..155)
 *   then tokens until the end of block:
 *     literals: a run of 1..127 bytes is (n-1) then the bytes; a longer run (up to 65663)
 *       is 0x7f, u16 BE (n-128), then the bytes
 *     a match: 0x80 | (len-3) for len < 130, else 0xff, (len-130); then u16 BE (distance-1)
 *     end of block: 0xff 0x81 (a "length" of 259)
 *
 * A stored block is its metadata byte, one literal run (none when empty) and the end of block.
 */
import { BitReader, type BitExtent, CLEN_ORDER, DIST_BASE, DIST_EXTRA, type HuffmanCode, LENGTH_BASE, LENGTH_EXTRA, PuffinError, buildCode, fixedCodes, readSymbol } from './deflate';

const LITERALS_MAX = 65663;

/** Collects puff bytes in chunks; refuses to grow past `limit` bytes. */
export class PuffWriter {
  private chunks: Uint8Array[] = [];
  private cur = new Uint8Array(1 << 16);
  private at = 0;
  private done = 0;
  private readonly lit = new Uint8Array(LITERALS_MAX);
  private nlit = 0;

  constructor(private limit: number) {}

  /** Starts a new puff, which may take at most `limit` bytes. */
  reset(limit: number): void {
    this.chunks = [];
    this.at = 0;
    this.done = 0;
    this.nlit = 0;
    this.limit = limit;
  }

  private put(b: Uint8Array | number[]): void {
    if (this.done + this.at + b.length > this.limit) throw new PuffinError(`puffed data would pass the limit of ${this.limit} bytes`);
    let i = 0;
    while (i < b.length) {
      if (this.at === this.cur.length) {
        this.chunks.push(this.cur);
        this.done += this.cur.length;
        this.cur = new Uint8Array(1 << 16);
        this.at = 0;
      }
      const n = Math.min(b.length - i, this.cur.length - this.at);
      if (Array.isArray(b)) for (let k = 0; k < n; k++) this.cur[this.at + k] = b[i + k];
      else this.cur.set(b.subarray(i, i + n), this.at);
      this.at += n;
      i += n;
    }
  }

  private flushLiterals(): void {
    const n = this.nlit;
    if (!n) return;
    this.nlit = 0;
    if (n <= 127) this.put([n - 1]);
    else this.put([0x7f, (n - 128) >>> 8, (n - 128) & 0xff]);
    this.put(this.lit.subarray(0, n));
  }

  literal(b: number): void {
    this.lit[this.nlit++] = b;
    if (this.nlit === LITERALS_MAX) this.flushLiterals();
  }

  literals(b: Uint8Array): void {
    for (let i = 0; i < b.length;) {
      const n = Math.min(b.length - i, LITERALS_MAX - this.nlit);
      this.lit.set(b.subarray(i, i + n), this.nlit);
      this.nlit += n;
      i += n;
      if (this.nlit === LITERALS_MAX) this.flushLiterals();
    }
  }

  match(len: number, dist: number): void {
    this.flushLiterals();
    if (len < 3 || len > 258 || dist < 1 || dist > 32768) throw new PuffinError(`match of length ${len} at distance ${dist} is outside deflate's range`);
    if (len < 130) this.put([0x80 | (len - 3)]);
    else this.put([0xff, len - 130]);
    this.put([(dist - 1) >>> 8, (dist - 1) & 0xff]);
  }

  metadata(m: Uint8Array): void {
    this.flushLiterals();
    this.put([(m.length - 1) >>> 8, (m.length - 1) & 0xff]);
    this.put(m);
  }

  endOfBlock(): void {
    this.flushLiterals();
    this.put([0xff, 259 - 3 - 127]);
  }

  /** The puff bytes written so far (literals flushed). */
  finish(): Buffer {
    this.flushLiterals();
    const out = Buffer.allocUnsafe(this.done + this.at);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    out.set(this.cur.subarray(0, this.at), o);
    return out;
  }
}

/** Reads a dynamic block's table description, appending puffin's metadata form of it to `meta`. */
function readDynamicTables(br: BitReader, meta: number[]): { lit: HuffmanCode; dist: HuffmanCode } {
  const hlit = br.read(5, 'a dynamic block header');
  const hdist = br.read(5, 'a dynamic block header');
  const hclen = br.read(4, 'a dynamic block header');
  meta.push(hlit, hdist, hclen);
  const nlit = hlit + 257;
  const ndist = hdist + 1;
  const ncodes = hclen + 4;
  if (nlit > 286 || ndist > 30) throw new PuffinError(`dynamic block declares ${nlit} literal/length and ${ndist} distance codes (at most 286 and 30)`);
  const clens = new Uint8Array(19);
  for (let i = 0; i < ncodes; i++) {
    const l = br.read(3, 'the code length code');
    clens[CLEN_ORDER[i]] = l;
    if (i & 1) meta[meta.length - 1] |= l;
    else meta.push(l << 4);
  }
  const clc = buildCode(clens, 'code length code');
  const lens = new Uint8Array(nlit + ndist);
  for (let i = 0; i < lens.length;) {
    const s = readSymbol(br, clc, 'the code lengths');
    if (s < 16) {
      meta.push(s);
      lens[i++] = s;
      continue;
    }
    let n: number;
    let v = 0;
    if (s === 16) {
      if (i === 0) throw new PuffinError('code length repeat (16) with no previous length');
      const x = br.read(2, 'the code lengths');
      meta.push(16 + x);
      n = 3 + x;
      v = lens[i - 1];
    } else if (s === 17) {
      const x = br.read(3, 'the code lengths');
      meta.push(20 + x);
      n = 3 + x;
    } else {
      const x = br.read(7, 'the code lengths');
      meta.push(28 + x);
      n = 11 + x;
    }
    if (i + n > lens.length) throw new PuffinError('code length repeat runs past the declared number of codes');
    lens.fill(v, i, i + n);
    i += n;
  }
  return { lit: buildCode(lens.subarray(0, nlit), 'literal/length code'), dist: buildCode(lens.subarray(nlit), 'distance code') };
}

/**
 * Puffs deflate blocks from bit `start` as puffin does: blocks are read while at
 * least 8 bits remain before `end` (so `end` must be where the deflate data
 * ends, rounded up to a byte as puffin's reader is). With `blocks`, the search
 * stops after the final block and the extent of every block that is not stored
 * is pushed (puffin's sub-block deflate locations). Returns the bit position
 * after the last block read.
 */
export function puffDeflate(data: Uint8Array, start: number, end: number, pw: PuffWriter | null, blocks?: BitExtent[]): number {
  const br = new BitReader(data, start, end);
  for (;;) {
    if (br.remaining() < 8) break;
    const blockStart = br.pos;
    const final = br.read(1, 'a block header');
    const type = br.read(2, 'a block header');
    let header = (final << 7) | (type << 5);
    if (type === 0) {
      const pad = (8 - (br.pos & 7)) & 7;
      header |= br.read(pad, 'a stored block header');
      if (br.remaining() < 32) throw new PuffinError('deflate data ends inside a stored block header');
      const len = br.read(16, 'a stored block header');
      const nlen = br.read(16, 'a stored block header');
      if ((len ^ nlen) !== 0xffff) throw new PuffinError(`stored block LEN ${len} and NLEN ${nlen} do not match`);
      pw?.metadata(Uint8Array.of(header & 0xff));
      const bytes = br.bytes(len, 'a stored block');
      pw?.literals(bytes);
      pw?.endOfBlock();
      if (blocks && final) break;
      continue;
    }
    let codes: { lit: HuffmanCode; dist: HuffmanCode };
    if (type === 1) {
      codes = fixedCodes();
      pw?.metadata(Uint8Array.of(header));
    } else if (type === 2) {
      const meta = [header];
      codes = readDynamicTables(br, meta);
      pw?.metadata(Uint8Array.from(meta));
    } else {
      throw new PuffinError('block type 3 is reserved');
    }
    for (;;) {
      const s = readSymbol(br, codes.lit, 'a literal/length code');
      if (s < 256) {
        pw?.literal(s);
      } else if (s === 256) {
        pw?.endOfBlock();
        break;
      } else {
        if (s > 285) throw new PuffinError(`literal/length symbol ${s} is not a deflate symbol`);
        const li = s - 257;
        const len = LENGTH_BASE[li] + br.read(LENGTH_EXTRA[li], 'a length');
        const d = readSymbol(br, codes.dist, 'a distance code');
        const dist = DIST_BASE[d] + br.read(DIST_EXTRA[d], 'a distance');
        pw?.match(len, dist);
      }
    }
    blocks?.push({ offset: blockStart, length: br.pos - blockStart });
    if (blocks && final) break;
  }
  return br.pos;
}
