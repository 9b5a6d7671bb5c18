/**
 * Checksums that vendor images carry over their own bytes (a Rockchip
 * CRC after a loader or KRNL payload, the CRC-32 in an Amlogic resource
 * header): computed in the image's single hashing pass through a range tap,
 * then recorded as an `image-checksum` or `image-checksum-ok` fact
 * (integrity/image-checksum).
 */
import type { RangeTap } from '../io/digest-set';
import type { DecodeContext } from './types';
import { crc16Arc } from '../io/crc16';

/** Rockchip's CRC-32 (rkcrc, rkdeveloptool `CRC_32`): polynomial 0x04C10DB7, MSB first, initial value 0, no final xor. */
const RK_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c10db7 : c << 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** The reflected CRC-32 table (zlib's polynomial 0xEDB88320). */
const REFLECTED = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

export function rkCrcUpdate(crc: number, b: Uint8Array): number {
  let c = crc >>> 0;
  for (let i = 0; i < b.length; i++) c = ((c << 8) ^ RK_TABLE[(c >>> 24) ^ b[i]]) >>> 0;
  return c;
}

/** CRC-32 as zlib computes it but without the final inversion (Amlogic's resource images store it so). */
export function crc32NoFinalXorUpdate(crc: number, b: Uint8Array): number {
  let c = crc >>> 0;
  for (let i = 0; i < b.length; i++) c = (REFLECTED[(c ^ b[i]) & 0xff] ^ (c >>> 8)) >>> 0;
  return c;
}

export type ImageCrc = 'rockchip-crc32' | 'crc32-no-final-xor' | 'crc16-arc';

const ALGOS: Record<ImageCrc, { init: number; update: (c: number, b: Uint8Array) => number; label: string; digits: number }> = {
  'rockchip-crc32': { init: 0, update: rkCrcUpdate, label: 'Rockchip CRC-32', digits: 8 },
  'crc32-no-final-xor': { init: 0xffffffff, update: crc32NoFinalXorUpdate, label: 'CRC-32', digits: 8 },
  // The Unisoc .pac's CRC2 (src/io/crc16.ts).
  'crc16-arc': { init: 0, update: (c, b) => crc16Arc(b, c), label: 'CRC-16/ARC', digits: 4 },
};

/**
 * A tap over [start, end) comparing the CRC of those bytes with `expected`;
 * `what` names the checksum in messages ("the loader's CRC"), `offset` is
 * where the stored value is, `covers` (optional) says what the bytes are.
 */
export function crcTap(ctx: DecodeContext, algo: ImageCrc, start: number, end: number, expected: number, what: string, offset: number, covers?: string): RangeTap {
  const a = ALGOS[algo];
  const hex = (n: number) => `0x${n.toString(16).padStart(a.digits, '0')}`;
  const bytes = `bytes ${start}-${end - 1}${covers ? ` (${covers})` : ''}`;
  let crc = a.init;
  let seen = 0;
  return {
    start,
    end,
    // Only this image's facts wait on it: the pass may follow its children's reads.
    standalone: true,
    update(b) {
      crc = a.update(crc, b);
      seen += b.length;
    },
    done() {
      if (seen !== end - start) return; // a cut image: its truncated fact says more
      if (crc === expected >>> 0) ctx.fact({ kind: 'image-checksum-ok', message: `${what} (${a.label} ${hex(expected)}) matches ${bytes}`, offset });
      else ctx.fact({ kind: 'image-checksum', message: `${what} is ${hex(expected)}, but ${bytes} give ${hex(crc)} (${a.label})`, offset });
    },
  };
}

/** A SHA-256 over [start, end) compared with a stored digest. */
export function sha256Check(ctx: DecodeContext, start: number, end: number, expected: string, what: string, offset: number) {
  return {
    algo: 'sha256' as const,
    start,
    end,
    standalone: true,
    done(hexDigest: string) {
      if (hexDigest === expected) ctx.fact({ kind: 'image-checksum-ok', message: `${what} (SHA-256) matches bytes ${start}-${end - 1}`, offset });
      else ctx.fact({ kind: 'image-checksum', message: `${what} is ${expected}, but bytes ${start}-${end - 1} give SHA-256 ${hexDigest}`, offset });
    },
  };
}

/** A fixed-size NUL-padded ASCII field, printable characters only. */
export function cString(b: Buffer, start: number, length: number): string {
  const s = b.subarray(start, Math.min(b.length, start + length));
  const end = s.indexOf(0);
  return s
    .toString('latin1', 0, end < 0 ? s.length : end)
    .replace(/[^\x20-\x7e]/g, '?')
    .trim();
}
