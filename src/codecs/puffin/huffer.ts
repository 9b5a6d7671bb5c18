/**
 * The huffer: puff bytes (./puffer.ts describes them) -> deflate bits, as
 * puffin's Huffer and BufferPuffReader do (our own code). Where puffin would
 * write bits that its own puffer could not have read (a value wider than its
 * field, a symbol without a code, a stored block longer than 65535 bytes,
 * metadata left over), this throws PuffinError instead: such a puff stream does
 * not re-encode to the deflate data it claims to stand for.
 */
import { BitWriter, CLEN_ORDER, DIST_BASE, DIST_EXTRA, type HuffmanCode, LENGTH_BASE, LENGTH_EXTRA, PuffinError, buildCode, distSymbol, fixedCodes, lengthSymbol, writeSymbol } from './deflate';

type Item = { kind: 'literals'; at: number; length: number } | { kind: 'match'; length: number; distance: number } | { kind: 'eob' };

/** Reads puff items from `buf[start, end)` with puffin's bounds checks. */
class PuffReader {
  constructor(
    readonly buf: Uint8Array,
    public at: number,
    readonly end: number,
  ) {}

  left(): number {
    return this.end - this.at;
  }

  private need(n: number, what: string): void {
    if (this.at + n > this.end) throw new PuffinError(`puff data ends inside ${what}`);
  }

  metadata(): Uint8Array {
    // puffin asks for more than the two length bytes: a block's metadata is never empty.
    this.need(3, 'a block header');
    const n = ((this.buf[this.at] << 8) | this.buf[this.at + 1]) + 1;
    this.at += 2;
    if (n > 339) throw new PuffinError(`block metadata of ${n} bytes (at most 339)`);
    this.need(n, 'block metadata');
    const m = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return m;
  }

  next(): Item {
    this.need(1, 'a block');
    const b = this.buf[this.at++];
    if (b & 0x80) {
      let len = b & 0x7f;
      if (len === 127) {
        this.need(1, 'a match length');
        len = this.buf[this.at++] + 127;
      }
      len += 3;
      if (len > 259) throw new PuffinError(`match length ${len} (at most 258)`);
      if (len === 259) return { kind: 'eob' };
      this.need(2, 'a match distance');
      const d = (this.buf[this.at] << 8) | this.buf[this.at + 1];
      this.at += 2;
      if (d >= 32768) throw new PuffinError(`match distance ${d + 1} (at most 32768)`);
      return { kind: 'match', length: len, distance: d + 1 };
    }
    let n = b;
    if (n === 127) {
      this.need(2, 'a literal run length');
      n = ((this.buf[this.at] << 8) | this.buf[this.at + 1]) + 127;
      this.at += 2;
    }
    n += 1;
    this.need(n, 'a literal run');
    const at = this.at;
    this.at += n;
    return { kind: 'literals', at, length: n };
  }
}

function fits(v: number, bits: number, what: string): number {
  if (v >= 1 << bits) throw new PuffinError(`${what} ${v} does not fit in ${bits} bits`);
  return v;
}

/** Writes a dynamic block's table description from puffin's metadata form; returns its codes. */
function writeDynamicTables(meta: Uint8Array, bw: BitWriter): { lit: HuffmanCode; dist: HuffmanCode } {
  if (meta.length < 4) throw new PuffinError('dynamic block metadata is shorter than its header');
  const nlit = fits(meta[1], 5, 'HLIT') + 257;
  const ndist = fits(meta[2], 5, 'HDIST') + 1;
  const ncodes = fits(meta[3], 4, 'HCLEN') + 4;
  if (nlit > 286 || ndist > 30) throw new PuffinError(`dynamic block declares ${nlit} literal/length and ${ndist} distance codes (at most 286 and 30)`);
  bw.write(5, meta[1]);
  bw.write(5, meta[2]);
  bw.write(4, meta[3]);
  let i = 4;
  if (meta.length - i < (ncodes + 1) >> 1) throw new PuffinError('dynamic block metadata ends inside the code length code');
  const clens = new Uint8Array(19);
  for (let k = 0; k < ncodes; k++) {
    const l = k & 1 ? meta[i++] & 0x0f : meta[i] >> 4;
    clens[CLEN_ORDER[k]] = fits(l, 3, 'code length code length');
    bw.write(3, l);
  }
  if (ncodes & 1) i++;
  const clc = buildCode(clens, 'code length code');
  const lens = new Uint8Array(nlit + ndist);
  for (let k = 0; k < lens.length;) {
    if (i >= meta.length) throw new PuffinError('dynamic block metadata ends inside the code lengths');
    const p = meta[i++];
    if (p > 155) throw new PuffinError(`code length item ${p} (at most 155)`);
    const sym = p < 16 ? p : p < 20 ? 16 : p < 28 ? 17 : 18;
    writeSymbol(bw, clc, sym, 'code length code');
    if (sym < 16) {
      lens[k++] = sym;
      continue;
    }
    let n: number;
    let v = 0;
    if (sym === 16) {
      if (k === 0) throw new PuffinError('code length repeat (16) with no previous length');
      bw.write(2, p - 16);
      n = 3 + p - 16;
      v = lens[k - 1];
    } else if (sym === 17) {
      bw.write(3, p - 20);
      n = 3 + p - 20;
    } else {
      bw.write(7, p - 28);
      n = 11 + p - 28;
    }
    if (k + n > lens.length) throw new PuffinError('code length repeat runs past the declared number of codes');
    lens.fill(v, k, k + n);
    k += n;
  }
  if (i !== meta.length) throw new PuffinError(`dynamic block metadata has ${meta.length - i} bytes left over`);
  return { lit: buildCode(lens.slice(0, nlit), 'literal/length code'), dist: buildCode(lens.slice(nlit), 'distance code') };
}

/**
 * Huffs the puff bytes `puff[start, end)` into `bw`, block after block until the
 * puff bytes are used up. Does not pad: the caller's extents say where the
 * deflate bits end and what follows them.
 */
export function huffDeflate(puff: Uint8Array, start: number, end: number, bw: BitWriter): void {
  const pr = new PuffReader(puff, start, end);
  while (pr.left() > 0) {
    const meta = pr.metadata();
    const header = meta[0];
    const final = header >> 7;
    const type = (header >> 5) & 3;
    bw.write(1, final);
    bw.write(2, type);
    if (type === 0) {
      if (meta.length !== 1) throw new PuffinError(`stored block metadata of ${meta.length} bytes (puffin writes 1)`);
      const padBits = (8 - (bw.pos & 7)) & 7;
      bw.write(padBits, fits(header & 0x1f, padBits, 'stored block padding'));
      const it = pr.next();
      if (it.kind === 'literals') {
        if (it.length > 0xffff) throw new PuffinError(`stored block of ${it.length} bytes (at most 65535)`);
        bw.write(16, it.length);
        bw.write(16, ~it.length & 0xffff);
        bw.bytes(puff.subarray(it.at, it.at + it.length));
        if (pr.next().kind !== 'eob') throw new PuffinError('stored block does not end after its bytes');
      } else if (it.kind === 'eob') {
        bw.write(16, 0);
        bw.write(16, 0xffff);
      } else {
        throw new PuffinError('stored block holds a match');
      }
      continue;
    }
    let codes: { lit: HuffmanCode; dist: HuffmanCode };
    if (type === 1) {
      if (meta.length !== 1) throw new PuffinError(`fixed block metadata of ${meta.length} bytes (puffin writes 1)`);
      codes = fixedCodes();
    } else if (type === 2) {
      codes = writeDynamicTables(meta, bw);
    } else {
      throw new PuffinError('block type 3 is reserved');
    }
    for (;;) {
      const it = pr.next();
      if (it.kind === 'literals') {
        for (let k = it.at; k < it.at + it.length; k++) writeSymbol(bw, codes.lit, puff[k], 'literal');
      } else if (it.kind === 'match') {
        const li = lengthSymbol(it.length);
        writeSymbol(bw, codes.lit, 257 + li, 'length');
        bw.write(LENGTH_EXTRA[li], it.length - LENGTH_BASE[li]);
        const di = distSymbol(it.distance);
        writeSymbol(bw, codes.dist, di, 'distance');
        bw.write(DIST_EXTRA[di], it.distance - DIST_BASE[di]);
      } else {
        writeSymbol(bw, codes.lit, 256, 'end of block');
        break;
      }
    }
  }
}
