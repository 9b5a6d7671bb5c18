/**
 * The structure-aware mutator. It knows where structures start in a seed
 * (the magic numbers of every format romscope reads, found anywhere in the
 * bytes, so the headers of nested members count too) and aims most
 * mutations at field-aligned offsets near them: bit flips, byte overwrites,
 * "interesting" integers (0, 1, 0x7f, 0x80, 0xff, 2^31, 2^32 - 1 ... in LE
 * and BE, 1 to 8 bytes wide), length and offset fields nudged by small and
 * large deltas, cuts, zeroed regions, duplicated or repeated regions (many
 * copies of one header: the quadratic cases), and splices from other seeds.
 * Each mutation says what it did, in words a failure report can carry.
 */
import type { Rng } from './rng';

/** Mutated inputs are kept under this size (duplication could otherwise grow them without bound). */
export const MAX_MUTATED_BYTES = 4 * 1024 * 1024;

/** Format signatures whose offsets are structure starts; `back` moves from the signature to the start of its header. */
const SIGNATURES: { sig: Buffer; back: number }[] = [
  ...[
    'PK\x03\x04',
    'PK\x01\x02',
    'PK\x05\x06',
    'PK\x06\x06',
    'PK\x06\x07',
    '\x04\x22\x4d\x18',
    '\x02\x21\x4c\x18',
    '\x1f\x8b\x08',
    'ANDROID!',
    'VNDRBOOT',
    'AVB0',
    'AVBf',
    '\x3a\xff\x26\xed',
    'EFI PART',
    'CrAU',
    '\xd0\x0d\xfe\xed',
    '\xd7\xb7\xab\x1e',
    'gDla',
    '0PLA',
    '\xfd7zXZ',
    '\x28\xb5\x2f\xfd',
    'BZh',
    '070701',
    '\x76\x98\x34\x12',
    'ARM\x64',
    '\x5d\x00\x00',
    '\x89LZO',
    'META-INF/',
    'ota-property-files',
    'require ',
    'ro.',
    '<program ',
    'partition_index',
  ].map((s) => ({ sig: Buffer.from(s, 'latin1'), back: 0 })),
  // The ustar magic sits at 257 in its 512-byte header.
  { sig: Buffer.from('ustar', 'latin1'), back: 257 },
  { sig: Buffer.from([0x55, 0xaa]), back: 510 },
];

/** Offsets where a structure starts in `b` (at most `max`, spread over the buffer), always including 0. */
export function structureOffsets(b: Buffer, max = 4096): number[] {
  const found = new Set<number>([0]);
  for (const { sig, back } of SIGNATURES) {
    for (let at = b.indexOf(sig); at >= 0 && found.size < max; at = b.indexOf(sig, at + 1)) {
      if (at - back >= 0) found.add(at - back);
    }
  }
  return [...found].sort((x, y) => x - y);
}

export interface Mutated {
  bytes: Buffer;
  how: string;
}

type Width = 1 | 2 | 4 | 8;

/** The interesting integers, by field width. */
const INTERESTING: Record<Width, bigint[]> = {
  1: [0n, 1n, 0x7fn, 0x80n, 0xffn],
  2: [0n, 1n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn],
  4: [0n, 1n, 0x7fn, 0x80n, 0xffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0xfffffffen, 0x10000n],
  8: [0n, 1n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn],
};

const DELTAS = [1n, -1n, 2n, -2n, 4n, -4n, 8n, -8n, 16n, 512n, -512n, 4096n, -4096n, 65536n];

function readUint(b: Buffer, at: number, w: Width, le: boolean): bigint {
  let v = 0n;
  for (let i = 0; i < w; i++) v |= BigInt(b[at + (le ? i : w - 1 - i)]) << BigInt(8 * i);
  return v;
}

function writeUint(b: Buffer, at: number, w: Width, le: boolean, v: bigint): void {
  const mask = (1n << BigInt(8 * w)) - 1n;
  v &= mask;
  for (let i = 0; i < w; i++) b[at + (le ? i : w - 1 - i)] = Number((v >> BigInt(8 * i)) & 0xffn);
}

export class Mutator {
  /** `hot`: the structure offsets of the seed (structureOffsets), computed once per seed by the caller. */
  constructor(
    private readonly r: Rng,
    private readonly hot: readonly number[],
    private readonly donors: readonly Buffer[],
  ) {}

  /** An offset in [0, len): mostly within a header's first 512 bytes near a structure start, otherwise anywhere. */
  private where(len: number, align = 1): number {
    if (len <= 0) return 0;
    let at = this.r.below(10) < 7 ? (this.hot.length ? this.r.pick(this.hot) : 0) + (this.r.oneIn(2) ? this.r.below(64) : this.r.below(512)) : this.r.below(len);
    at -= at % align;
    return Math.min(Math.max(0, at), len - 1);
  }

  private width(): Width {
    return this.r.pick([1, 2, 4, 4, 4, 8] as const);
  }

  /** 1 to 4 stacked mutations (most often 1). */
  mutate(input: Buffer): Mutated {
    let b = input;
    const hows: string[] = [];
    const n = 1 + (this.r.oneIn(2) ? 0 : this.r.below(4));
    for (let i = 0; i < n; i++) {
      const m = this.once(b);
      b = m.bytes.length > MAX_MUTATED_BYTES ? m.bytes.subarray(0, MAX_MUTATED_BYTES) : m.bytes;
      hows.push(m.how);
    }
    return { bytes: b, how: hows.join('; ') };
  }

  once(input: Buffer): Mutated {
    const len = input.length;
    if (len === 0) return { bytes: Buffer.from([this.r.below(256)]), how: 'one byte added to an empty input' };
    const b = Buffer.from(input);
    switch (this.r.below(16)) {
      case 0:
      case 1: {
        const at: number[] = [];
        for (let k = 1 + this.r.below(4); k > 0; k--) {
          const p = this.where(len);
          b[p] ^= 1 << this.r.below(8);
          at.push(p);
        }
        return { bytes: b, how: `bit flips at ${at.join(',')}` };
      }
      case 2: {
        const p = this.where(len);
        const k = Math.min(1 + this.r.below(8), len - p);
        for (let i = 0; i < k; i++) b[p + i] = this.r.below(256);
        return { bytes: b, how: `${k} random bytes at ${p}` };
      }
      case 3:
      case 4:
      case 5: {
        const w = this.width();
        if (len < w) return { bytes: b, how: 'too short for a field' };
        const p = Math.min(this.where(len, w), len - w);
        const le = this.r.below(3) > 0;
        const v = this.r.pick(INTERESTING[w]);
        writeUint(b, p, w, le, v);
        return { bytes: b, how: `u${8 * w}${le ? 'le' : 'be'} 0x${v.toString(16)} at ${p}` };
      }
      case 6:
      case 7: {
        // A length or offset field: a value that fits the input (or just past it), nudged.
        const w = this.r.pick([2, 4, 4, 8] as const);
        const le = this.r.below(4) > 0;
        let p = -1;
        let v = 0n;
        for (let tries = 0; tries < 32; tries++) {
          const q = this.where(len, w);
          if (q + w > len) continue;
          const x = readUint(b, q, w, le);
          if (x > 0n && x <= BigInt(len) * 2n + 4096n) {
            p = q;
            v = x;
            break;
          }
        }
        if (p < 0) return this.once(input);
        const choice = this.r.below(4);
        const nv = choice === 0 ? v * 2n : choice === 1 ? v / 2n : choice === 2 ? BigInt(len) - BigInt(p) : v + this.r.pick(DELTAS);
        writeUint(b, p, w, le, nv);
        return { bytes: b, how: `length field u${8 * w}${le ? 'le' : 'be'} at ${p}: ${v} -> ${nv < 0n ? nv + (1n << BigInt(8 * w)) : nv}` };
      }
      case 8:
      case 9: {
        const at = this.r.oneIn(2) ? this.where(len) : this.r.below(len);
        return { bytes: b.subarray(0, at), how: `cut at ${at}` };
      }
      case 10: {
        const a = this.where(len);
        const k = 1 + this.r.below(Math.min(len - a, this.r.oneIn(2) ? 64 : 4096));
        return { bytes: Buffer.concat([b.subarray(0, a), b.subarray(a + k)]), how: `${k} bytes removed at ${a}` };
      }
      case 11: {
        const a = this.where(len);
        const k = 1 + this.r.below(Math.min(len - a, 4096));
        b.fill(this.r.oneIn(4) ? 0xff : 0, a, a + k);
        return { bytes: b, how: `${k} bytes at ${a} set to 0x${b[a].toString(16)}` };
      }
      case 12:
      case 13: {
        // A region repeated in place: repeated headers and names, the inputs that make loops quadratic.
        const a = this.where(len);
        const k = 1 + this.r.below(Math.min(len - a, this.r.oneIn(2) ? 64 : 1024));
        const copies = this.r.oneIn(3) ? 2 + this.r.below(200) : 1;
        const region = b.subarray(a, a + k);
        const reps = Math.max(1, Math.min(copies, Math.floor(MAX_MUTATED_BYTES / 2 / k)));
        return { bytes: Buffer.concat([b.subarray(0, a + k), ...Array<Buffer>(reps).fill(region), b.subarray(a + k)]), how: `${k} bytes at ${a} repeated ${reps} more times` };
      }
      case 14: {
        // A region copied over another place of the same input.
        const a = this.where(len);
        const k = 1 + this.r.below(Math.min(len - a, 512));
        const to = this.where(len);
        b.set(input.subarray(a, a + Math.min(k, len - to)), to);
        return { bytes: b, how: `${k} bytes from ${a} copied over ${to}` };
      }
      default: {
        // Splice: a piece of another seed replaces a piece of this one.
        const d = this.donors.length ? this.r.pick(this.donors) : input;
        if (d.length === 0) return this.once(input);
        const da = this.r.below(d.length);
        const k = 1 + this.r.below(Math.min(d.length - da, 2048));
        const a = this.where(len);
        const drop = this.r.oneIn(2) ? k : 0;
        return { bytes: Buffer.concat([b.subarray(0, a), d.subarray(da, da + k), b.subarray(Math.min(len, a + drop))]), how: `${k} bytes of another seed (from ${da}) ${drop ? 'over' : 'inserted at'} ${a}` };
      }
    }
  }
}
