import { decodedTo } from '../summary';
/**
 * Zstandard (`.zst`, `.tzst`): `super.img.zst`, `*.tar.zst`. Frames and
 * skippable frames, concatenated, as `zstd -d` accepts them; the frame
 * structure is read in `src/codecs/zstd.ts`, libzstd (zstd-napi) or fzstd
 * decodes the blocks. Each frame's content checksum (low 32 bits of the
 * xxh64 of its output) and declared content size are verified there, not
 * by the decoder: a mismatch is a `zstd-checksum` fact. A frame that needs a dictionary or a
 * window over 128 MiB (what `zstd -d` takes without --memory) is
 * `unsupported`.
 */
import { zstdMemberStream } from '../../codecs/zstd';
import { memberTransform, strippedName } from '../compressed/member';
import type { TransformHandler } from '../types';

export const zstdHandler: TransformHandler = {
  id: 'zstd',
  summary: decodedTo,
  kind: 'transform',
  traits: { role: 'compression', confidence: 'magic', kernelRamdisk: true },
  description: 'Zstandard compressed stream',
  detect: ({ peek }) => {
    // Skippable frames (whose magic LZ4 shares) may come first: what follows them in the peek decides.
    let p = 0;
    for (let i = 0; i < 8 && p + 8 <= peek.length && peek.readUInt32LE(p) >>> 4 === 0x184d2a5; i++) p += 8 + peek.readUInt32LE(p + 4);
    return p + 6 <= peek.length && peek.readUInt32LE(p) === 0xfd2fb528;
  },
  childName: (name) => strippedName(name, /\.zstd?$/i, /\.tzst$/i),
  transform: (input, ctx, info) => memberTransform(zstdMemberStream, 'zstd-checksum', input, ctx, info),
};
