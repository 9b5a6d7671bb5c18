/**
 * Deflate (RFC 1951) pieces shared by the puffer and the huffer: an LSB-first
 * bit reader and writer over byte arrays with absolute bit positions, the
 * length/distance tables, and canonical Huffman codes.
 */
import { CodecError } from '../errors';

/** A puffin stream or patch that cannot be read, applied or re-encoded; the message says why. */
export class PuffinError extends CodecError {}

/** A run of bits: `offset` and `length` in bits (deflate extents). */
export interface BitExtent {
  offset: number;
  length: number;
}

/** A run of bytes (puff extents). */
export interface ByteExtent {
  offset: number;
  length: number;
}

export const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
export const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
export const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
export const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
/** The order in which a dynamic block lists its code-length code lengths. */
export const CLEN_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** Reads bits least significant first from `buf`, between bit `pos` and bit `end`. */
export class BitReader {
  constructor(
    private readonly buf: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}

  remaining(): number {
    return this.end - this.pos;
  }

  /** The next `n` (at most 24) bits; bits past the end read as zero. */
  peek(n: number): number {
    const i = this.pos >>> 3;
    if (this.pos + n <= this.end && i + 3 < this.buf.length) {
      const w = (this.buf[i] | (this.buf[i + 1] << 8) | (this.buf[i + 2] << 16) | (this.buf[i + 3] << 24)) >>> (this.pos & 7);
      return n === 0 ? 0 : w & (0xffffffff >>> (32 - n));
    }
    let v = 0;
    let got = 0;
    let p = this.pos;
    while (got < n && p < this.end) {
      const byte = this.buf[p >>> 3] >>> (p & 7);
      const take = Math.min(8 - (p & 7), n - got, this.end - p);
      v |= (byte & ((1 << take) - 1)) << got;
      got += take;
      p += take;
    }
    return v;
  }

  drop(n: number, what: string): void {
    if (n > this.end - this.pos) throw new PuffinError(`deflate data ends inside ${what}`);
    this.pos += n;
  }

  read(n: number, what: string): number {
    if (n > this.end - this.pos) throw new PuffinError(`deflate data ends inside ${what}`);
    const v = this.peek(n);
    this.pos += n;
    return v;
  }

  /** `n` whole bytes from a byte-aligned position. */
  bytes(n: number, what: string): Uint8Array {
    if (this.pos & 7) throw new PuffinError(`${what} is not byte-aligned`);
    if (n * 8 > this.end - this.pos) throw new PuffinError(`deflate data ends inside ${what}`);
    const at = this.pos >>> 3;
    this.pos += n * 8;
    return this.buf.subarray(at, at + n);
  }
}

/** Writes bits least significant first into a preallocated, zeroed buffer from bit `pos` up to bit `end`. */
export class BitWriter {
  constructor(
    readonly buf: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}

  /** Writes the low `n` bits of `v` (the caller guarantees `v < 2**n`). */
  write(n: number, v: number): void {
    if (n > this.end - this.pos) throw new PuffinError('re-encoded deflate data runs past its extent');
    if (n === 0) return;
    if (n <= 24) {
      // Up to 31 bits from the start of the current byte: the bits already written below `pos`, then `v`.
      const at = this.pos >>> 3;
      const sh = this.pos & 7;
      const w = (this.buf[at] & ((1 << sh) - 1)) | ((v & ((1 << n) - 1)) << sh);
      const last = (sh + n - 1) >>> 3;
      this.buf[at] = w;
      if (last >= 1) this.buf[at + 1] = w >>> 8;
      if (last >= 2) this.buf[at + 2] = w >>> 16;
      if (last >= 3) this.buf[at + 3] = w >>> 24;
      this.pos += n;
      return;
    }
    while (n > 0) {
      const at = this.pos >>> 3;
      const sh = this.pos & 7;
      const take = Math.min(8 - sh, n);
      this.buf[at] = (this.buf[at] & ((1 << sh) - 1)) | ((v & ((1 << take) - 1)) << sh);
      v >>>= take;
      n -= take;
      this.pos += take;
    }
  }

  bytes(b: Uint8Array): void {
    if (this.pos & 7) throw new PuffinError('stored block bytes are not byte-aligned');
    if (b.length * 8 > this.end - this.pos) throw new PuffinError('re-encoded deflate data runs past its extent');
    this.buf.set(b, this.pos >>> 3);
    this.pos += b.length * 8;
  }
}

/** A canonical Huffman code: per-symbol lengths, bit-reversed codes for writing, and a lookup table for reading. */
export interface HuffmanCode {
  lens: Uint8Array;
  /** Codes bit-reversed, ready to be written least significant bit first. */
  codes: Uint16Array;
  maxBits: number;
  /** Indexed by the next `maxBits` input bits: symbol | 0x8000, or 0 where no code matches. */
  table: Uint16Array;
}

/**
 * Builds the canonical code for `lens` (RFC 1951 3.2.2). An oversubscribed set of
 * lengths is refused; an incomplete one is accepted, as puffin and zlib's
 * single-distance-code case need (its unused bit patterns decode to nothing).
 */
export function buildCode(lens: Uint8Array, what: string): HuffmanCode {
  const count = new Uint16Array(16);
  for (const l of lens) count[l]++;
  count[0] = 0;
  let left = 1;
  let maxBits = 0;
  for (let b = 1; b <= 15; b++) {
    left = left * 2 - count[b];
    if (left < 0) throw new PuffinError(`${what}: oversubscribed code lengths`);
    if (count[b]) maxBits = b;
  }
  const next = new Uint16Array(16);
  let code = 0;
  for (let b = 1; b <= 15; b++) {
    code = (code + count[b - 1]) << 1;
    next[b] = code;
  }
  const codes = new Uint16Array(lens.length);
  const table = new Uint16Array(1 << maxBits);
  for (let s = 0; s < lens.length; s++) {
    const l = lens[s];
    if (!l) continue;
    let c = next[l]++;
    let r = 0;
    for (let i = 0; i < l; i++) {
      r = (r << 1) | (c & 1);
      c >>>= 1;
    }
    codes[s] = r;
    for (let i = r; i < table.length; i += 1 << l) table[i] = s | 0x8000;
  }
  return { lens, codes, maxBits, table };
}

/** Reads one symbol of `code`. */
export function readSymbol(br: BitReader, code: HuffmanCode, what: string): number {
  const e = code.table[br.peek(code.maxBits)];
  if (!(e & 0x8000)) throw new PuffinError(`${what}: bits that match no code`);
  const s = e & 0x7fff;
  br.drop(code.lens[s], what);
  return s;
}

/** Writes one symbol of `code`; a symbol without a code cannot be written. */
export function writeSymbol(bw: BitWriter, code: HuffmanCode, s: number, what: string): void {
  const l = s < code.lens.length ? code.lens[s] : 0;
  if (!l) throw new PuffinError(`${what}: symbol ${s} has no code in this block's table`);
  bw.write(l, code.codes[s]);
}

let fixed: { lit: HuffmanCode; dist: HuffmanCode } | null = null;

/** The fixed codes of block type 1 (288 literal/length and 30 distance symbols, as puffin builds them). */
export function fixedCodes(): { lit: HuffmanCode; dist: HuffmanCode } {
  if (!fixed) {
    const l = new Uint8Array(288);
    l.fill(8, 0, 144);
    l.fill(9, 144, 256);
    l.fill(7, 256, 280);
    l.fill(8, 280, 288);
    fixed = { lit: buildCode(l, 'fixed literal/length code'), dist: buildCode(new Uint8Array(30).fill(5), 'fixed distance code') };
  }
  return fixed;
}

/** The length symbol (257..285) and its extra bits for a match length, choosing 285 for 258 as zlib and puffin do. */
export function lengthSymbol(len: number): number {
  let i = 0;
  while (i < 28 && len >= LENGTH_BASE[i + 1]) i++;
  return i;
}

/** The distance symbol index (0..29) for a distance. */
export function distSymbol(dist: number): number {
  let i = 0;
  while (i < 29 && dist >= DIST_BASE[i + 1]) i++;
  return i;
}
