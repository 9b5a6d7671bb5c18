/**
 * MediaTek `efuse.img`: the e-fuse values SP Flash Tool can blow (the
 * `efuse` partition of a scatter file). No public layout is known; what is
 * known comes from real images: 512 bytes starting with the 8-byte magic
 * `87 65 43 21 AB CD EF 90`, the rest fields of zeros and values. romscope
 * identifies the file and lists where values are set (runs of non-zero
 * 32-bit words, with their bytes), without naming them.
 */
import type { DocumentHandler } from '../types';

const MAGIC = Buffer.from('87654321abcdef90', 'hex');
/** Real efuse images are 512 bytes; a few KiB is the most romscope reads as one. */
const MAX_EFUSE_BYTES = 64 * 1024;
/** Runs listed; the rest are counted. */
const MAX_RUNS = 64;

export const mtkEfuseHandler: DocumentHandler = {
  id: 'mtk-efuse',
  kind: 'document',
  description: 'MediaTek efuse.img: e-fuse values for SP Flash Tool (magic 87 65 43 21 AB CD EF 90)',
  traits: { role: 'partition-image', confidence: 'magic' },
  maxBytes: MAX_EFUSE_BYTES,
  detect: ({ peek, size }) => size !== null && size >= 64 && size <= MAX_EFUSE_BYTES && peek.length >= 8 && peek.subarray(0, 8).equals(MAGIC),
  decode(bytes) {
    const runs: { offset: number; bytes: number; hex: string }[] = [];
    let more = 0;
    let start = -1;
    const words = Math.floor(bytes.length / 4);
    const flush = (end: number) => {
      if (start < 0) return;
      if (runs.length < MAX_RUNS) runs.push({ offset: start, bytes: end - start, hex: bytes.subarray(start, end).toString('hex') });
      else more++;
      start = -1;
    };
    for (let w = 2; w < words; w++) {
      const set = bytes.readUInt32LE(w * 4) !== 0;
      if (set && start < 0) start = w * 4;
      if (!set) flush(w * 4);
    }
    flush(words * 4);
    return { size: bytes.length, valuesSet: runs, moreRuns: more || undefined };
  },
};
