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

/** After `BZh1`..`BZh9`: a block header (the BCD digits of pi) or, for an empty stream, the end-of-stream marker (of sqrt(pi)). */
const BLOCK = Buffer.from('314159265359', 'hex');
const END = Buffer.from('177245385090', 'hex');

export const bzip2Handler: TransformHandler = {
  id: 'bzip2',
  kind: 'transform',
  description: 'bzip2 compressed stream',
  detect: ({ peek }) =>
    peek.length >= 10 && peek.toString('latin1', 0, 3) === 'BZh' && peek[3] >= 0x31 && peek[3] <= 0x39 && (peek.subarray(4, 10).equals(BLOCK) || peek.subarray(4, 10).equals(END)),
  childName: (name) => strippedName(name, /\.bz2?$/i, /\.tbz2?$/i),
  headerInfo: (peek) => ({ blockSize: (peek[3] - 0x30) * 100_000 }),
  transform: (input, ctx, info) => memberTransform(bzip2MemberStream, 'bzip2-checksum', input, ctx, info),
};
