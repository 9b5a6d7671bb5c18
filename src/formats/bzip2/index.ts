import { decodedTo } from '../summary';
/**
 * bzip2 (`.bz2`, `.tbz2`): `*.tar.bz2`, images. Streams, concatenated, as
 * `bzip2 -d` accepts them (data after the last stream that is not a stream
 * header is ignored, as bzip2 ignores it, and counted in
 * `info.trailingBytes`). seek-bzip decodes each block; each block's CRC and
 * each stream's combined CRC are computed and compared in
 * `src/codecs/bzip2.ts`: a mismatch is a `bzip2-checksum` fact.
 */
import { bzip2MemberStream } from '../../codecs/bzip2';
import { memberTransform, strippedName } from '../compressed/member';
import type { TransformHandler } from '../types';

export const bzip2Handler: TransformHandler = {
  id: 'bzip2',
  summary: decodedTo,
  kind: 'transform',
  traits: { role: 'compression', confidence: 'magic', kernelRamdisk: true },
  description: 'bzip2 compressed stream',
  // `BZh` and the level digit, as the kernel's and bzip2's own header checks; what follows is the decoder's to judge.
  detect: ({ peek }) => peek.length >= 4 && peek.toString('latin1', 0, 3) === 'BZh' && peek[3] >= 0x31 && peek[3] <= 0x39,
  childName: (name) => strippedName(name, /\.bz2?$/i, /\.tbz2?$/i),
  headerInfo: (peek) => ({ blockSize: (peek[3] - 0x30) * 100_000 }),
  transform: (input, ctx, info) => memberTransform(bzip2MemberStream, 'bzip2-checksum', input, ctx, info),
};
