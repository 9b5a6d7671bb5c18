/**
 * Android's forward error correction data (libfec, dm-verity FEC, what
 * update_engine writes into a partition's `fec_extent`): Reed-Solomon
 * codewords of 255 bytes over GF(2^8) (field polynomial 0x11d, first
 * consecutive root 0, primitive element 1), `roots` parity bytes each, so
 * `rsn = 255 - roots` data bytes per codeword.
 *
 * The data (a whole number of blocks, read as zeros past its end) is
 * interleaved: with `rounds = ceil(blocks / rsn)`, codeword `c = i * bs + k`
 * (round i, byte k of a block) takes byte k of the blocks i, i + rounds,
 * i + 2 * rounds..., so data byte j of the codeword sits in block
 * `i + j * rounds`. The parity bytes of codeword c are written at
 * `c * roots`, highest-degree coefficient first; the output is
 * `rounds * roots * bs` bytes, with no header.
 *
 * The code is linear, so the parity of a codeword is the sum, over its data
 * bytes, of each byte times the remainder of x^(rsn - 1 - j + roots) modulo
 * the generator: blocks can be added in any order, as they stream past,
 * each costing one table lookup per byte (for 2 roots, both parity bytes at
 * once, four data bytes read and two codewords updated per 32-bit word).
 */
import { endianness } from 'node:os';

const FIELD_POLY = 0x11d;
const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= FIELD_POLY;
  }
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255];
}

function mul(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : EXP[LOG[a] + LOG[b]];
}

/** The codeword length of libfec's code. */
const FEC_RSM = 255;

function fecRounds(dataBytes: number, blockSize: number, roots: number): number {
  return Math.ceil(dataBytes / blockSize / (FEC_RSM - roots));
}

/** Bytes of FEC data for `dataBytes` of input. */
export function fecSize(dataBytes: number, blockSize: number, roots: number): number {
  return fecRounds(dataBytes, blockSize, roots) * roots * blockSize;
}

/** For each data position j, the `roots` coefficients (highest first) of x^(rsn-1-j+roots) mod g(x). */
function positionRemainders(roots: number): Uint8Array[] {
  // g(x) = prod (x - a^i), i = 0..roots-1; g[0] = 1 is the x^roots coefficient.
  let g = [1];
  for (let i = 0; i < roots; i++) {
    const next = new Array<number>(g.length + 1).fill(0);
    g.forEach((c, k) => {
      next[k] ^= c;
      next[k + 1] ^= mul(c, EXP[i]);
    });
    g = next;
  }
  const rsn = FEC_RSM - roots;
  const out: Uint8Array[] = new Array<Uint8Array>(rsn);
  // j = rsn - 1: x^roots mod g = g[1..roots].
  let r = Uint8Array.from(g.slice(1));
  out[rsn - 1] = r;
  for (let j = rsn - 2; j >= 0; j--) {
    // Times x: shift up; the x^roots term folds back through g.
    const top = r[0];
    const next = new Uint8Array(roots);
    for (let k = 0; k < roots - 1; k++) next[k] = r[k + 1];
    for (let k = 0; k < roots; k++) next[k] ^= mul(top, g[k + 1]);
    r = next;
    out[j] = r;
  }
  return out;
}

const TABLES = new Map<number, { rem: Uint8Array[]; pair?: Uint16Array }>();

function tables(roots: number): { rem: Uint8Array[]; pair?: Uint16Array } {
  let t = TABLES.get(roots);
  if (!t) {
    const rem = positionRemainders(roots);
    t = { rem };
    if (roots === 2 && endianness() === 'LE') {
      // Both parity bytes of a data byte at position j, as one little-endian 16-bit word.
      const pair = new Uint16Array(rem.length * 256);
      rem.forEach((r, j) => {
        for (let m = 0; m < 256; m++) pair[j * 256 + m] = mul(m, r[0]) | (mul(m, r[1]) << 8);
      });
      t.pair = pair;
    }
    TABLES.set(roots, t);
  }
  return t;
}

/** Accumulates FEC parity over blocks of the data, given in any order. */
export class FecEncoder {
  readonly rounds: number;
  readonly parity: Uint8Array;
  private readonly pair?: Uint16Array;
  private readonly pair32?: Uint32Array;
  private readonly rem: Uint8Array[];
  /** An aligned copy of a block whose bytes cannot be read as 32-bit words where they are. */
  private readonly scratch: Uint32Array;

  constructor(
    readonly dataBytes: number,
    readonly blockSize: number,
    readonly roots: number,
  ) {
    if (!Number.isInteger(roots) || roots < 1 || roots > 254) throw new RangeError(`FEC roots ${roots} out of range`);
    this.rounds = fecRounds(dataBytes, blockSize, roots);
    this.parity = new Uint8Array(this.rounds * roots * blockSize);
    const t = tables(roots);
    this.rem = t.rem;
    this.pair = t.pair;
    // Two codewords' parity (4 bytes) per 32-bit word: blockSize is a multiple of 4.
    if (this.pair && blockSize % 4 === 0) this.pair32 = new Uint32Array(this.parity.buffer, 0, this.parity.length / 4);
    this.scratch = new Uint32Array(Math.ceil(blockSize / 4));
  }

  /** Adds whole blocks from `first` on (data.length a multiple of the block size), leaving out the all-zero ones. */
  addBlocks(first: number, data: Uint8Array): void {
    const bs = this.blockSize;
    this.zero ??= Buffer.alloc(bs);
    for (let o = 0, b = first; o < data.length; o += bs, b++) {
      const blk = data.subarray(o, o + bs);
      if (!this.zero.equals(blk)) this.addBlock(b, blk);
    }
  }

  private zero: Buffer | null = null;

  /** Adds data block `index` (0-based, a whole block; the zero blocks can be left out). */
  addBlock(index: number, block: Uint8Array): void {
    const bs = this.blockSize;
    if (block.length !== bs) throw new RangeError(`FEC block of ${block.length} bytes, not ${bs}`);
    const i = index % this.rounds;
    const j = (index - i) / this.rounds;
    const base = i * bs;
    if (this.pair32) {
      // Four data bytes per word read; the parity of two neighbouring codewords per word written.
      let words: Uint32Array;
      if ((block.byteOffset & 3) === 0) words = new Uint32Array(block.buffer, block.byteOffset, bs >> 2);
      else {
        new Uint8Array(this.scratch.buffer).set(block);
        words = this.scratch;
      }
      const t = this.pair!.subarray(j * 256, j * 256 + 256);
      const q = this.pair32.subarray(base >> 1, (base + bs) >> 1);
      for (let w = 0, k = 0; w < words.length; w++, k += 2) {
        const x = words[w];
        q[k] ^= t[x & 255] | (t[(x >>> 8) & 255] << 16);
        q[k + 1] ^= t[(x >>> 16) & 255] | (t[x >>> 24] << 16);
      }
      return;
    }
    const r = this.rem[j];
    const roots = this.roots;
    const par = this.parity;
    for (let k = 0; k < bs; k++) {
      const m = block[k];
      if (m === 0) continue;
      const lm = LOG[m];
      const at = (base + k) * roots;
      for (let q = 0; q < roots; q++) if (r[q]) par[at + q] ^= EXP[lm + LOG[r[q]]];
    }
  }
}
