import { decodedTo } from '../summary';
/**
 * gzip (RFC 1952): ramdisks, compressed images. node:zlib checks each member's
 * CRC-32 and length; concatenated members are decoded in turn.
 */
import { createGunzip } from 'node:zlib';
import { FormatError, TruncatedError } from '../../io/errors';
import { zlibDecode } from '../../io/zlib-stream';
import type { TransformHandler } from '../types';

function originalName(peek: Buffer): string | null {
  // FLG bit 3: a NUL-terminated original file name follows the 10-byte header
  // (after FEXTRA when bit 2 is set).
  const flg = peek[3];
  if (!(flg & 0x08)) return null;
  let p = 10;
  if (flg & 0x04) p += 2 + peek.readUInt16LE(10);
  const end = peek.indexOf(0, p);
  if (end < 0 || end - p > 255) return null;
  const n = peek.toString('latin1', p, end).split(/[\\/]/).pop();
  return n || null;
}

export const gzipHandler: TransformHandler = {
  id: 'gzip',
  summary: decodedTo,
  kind: 'transform',
  traits: { role: 'compression', confidence: 'magic', kernelRamdisk: true },
  description: 'gzip compressed stream',
  detect: ({ peek }) => peek.length >= 10 && peek[0] === 0x1f && peek[1] === 0x8b && peek[2] === 8,
  // Without a .gz suffix the decoded child keeps the parent's name (a boot image's `kernel` stays `kernel`).
  childName: (name, peek) => (/\.gz$/i.test(name) ? name.slice(0, -3) : /\.tgz$/i.test(name) ? `${name.slice(0, -4)}.tar` : (originalName(peek) ?? name)),
  headerInfo: (peek) => ({ originalName: originalName(peek) ?? undefined, mtime: peek.readUInt32LE(4) || undefined }),
  async *transform(input, ctx, info) {
    let ended = false;
    yield* zlibDecode(input, createGunzip({ chunkSize: 256 * 1024 }), ctx.budget, (e, p) => {
      ended = true;
      if (p.produced > 0 && /incorrect header check/i.test(e.message)) {
        // Data after the last member (an Image.gz-dtb kernel carries its DTBs
        // there); `gzip -d` ignores it too ("trailing garbage ignored").
        ctx.fact({ kind: 'gzip-checksum-ok', message: 'gzip members decode and their trailers match; data follows the last member' });
        info.trailingData = true;
        return;
      }
      if (/unexpected end of file/i.test(e.message)) throw new TruncatedError('gzip stream ends early', p.consumed);
      if (/incorrect data check|incorrect length check/i.test(e.message)) {
        ctx.fact({ kind: 'gzip-checksum', message: `gzip trailer disagrees with the data (${e.message})` });
        return;
      }
      throw new FormatError(`corrupt gzip data by byte ${p.consumed} (${e.message})`, p.consumed);
    });
    if (!ended) ctx.fact({ kind: 'gzip-checksum-ok', message: 'gzip CRC-32 and length trailers match' });
  },
};
