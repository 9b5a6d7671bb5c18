import { decodedTo } from '../summary';
/**
 * Legacy `.lzma` ("LZMA alone", what `lzma` / `xz --format=lzma` write and
 * old kernels take for ramdisks): a 13-byte header (properties byte lc/lp/pb,
 * u32 le dictionary size, u64 le uncompressed size or all ones for unknown),
 * then raw LZMA data with no checksum. Recognised and its header read, not
 * decoded: liblzma's alone decoder is not exposed by node-liblzma, and
 * xz-embedded has none, so the member gets an `unsupported` fact (not an
 * empty or guessed child).
 */
import { FormatError } from '../../io/errors';
import { strippedName } from '../compressed/member';
import type { TransformHandler } from '../types';

export const lzmaHandler: TransformHandler = {
  id: 'lzma',
  summary: decodedTo,
  kind: 'transform',
  traits: { role: 'compression', confidence: 'magic', kernelRamdisk: true },
  description: 'legacy LZMA compressed stream (not decoded)',
  // Properties byte 0x5D (lc=3, lp=0, pb=2: every preset) and a dictionary of at least 4 KiB.
  detect: ({ peek }) => peek.length >= 13 && peek[0] === 0x5d && peek[1] === 0 && peek.readUInt32LE(1) >= 4096,
  childName: (name) => strippedName(name, /\.lzma$/i, /\.tlz$/i),
  headerInfo: (peek) => {
    const size = peek.readBigUInt64LE(5);
    return {
      lc: peek[0] % 9,
      lp: Math.floor(peek[0] / 9) % 5,
      pb: Math.floor(peek[0] / 45),
      dictionarySize: peek.readUInt32LE(1),
      uncompressedSize: size === 0xffffffffffffffffn ? undefined : Number(size),
    };
  },
  // eslint-disable-next-line require-yield
  async *transform() {
    throw new FormatError("legacy .lzma (LZMA alone) data is not decoded: node-liblzma does not expose liblzma's alone decoder and xz-embedded has none; the member is listed, not checked", 0, 'unsupported');
  },
};
