/**
 * Compression formats romscope recognises but does not decode yet: they are
 * named and hashed so the report says what they are instead of "data".
 */
import type { FormatTraits, OpaqueHandler } from '../types';

/** Each is a compression the kernel can unpack a ramdisk from (lib/decompress.c: xz, zstd, lzma, bzip2, lzo). */
const TRAITS: FormatTraits = { role: 'compression', confidence: 'magic', kernelRamdisk: true };

function opaque(id: string, description: string, magic: number[]): OpaqueHandler {
  return {
    id,
    kind: 'opaque',
    traits: TRAITS,
    description,
    detect: ({ peek }) => peek.length >= magic.length && magic.every((b, i) => peek[i] === b),
  };
}

export const xzHandler = opaque('xz', 'xz compressed stream (not decoded)', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
export const zstdHandler = opaque('zstd', 'Zstandard compressed stream (not decoded)', [0x28, 0xb5, 0x2f, 0xfd]);
/** Legacy .lzma: properties byte 0x5D and a power-of-two-ish dictionary size (what the kernel and `lzma` write). */
export const lzmaHandler: OpaqueHandler = {
  id: 'lzma',
  kind: 'opaque',
  traits: TRAITS,
  description: 'legacy LZMA compressed stream (not decoded)',
  detect: ({ peek }) => peek.length >= 13 && peek[0] === 0x5d && peek[1] === 0 && peek.readUInt32LE(1) >= 4096,
};
export const lzopHandler = opaque('lzop', 'lzop compressed stream (not decoded)', [0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a]);
export const bzip2Handler: OpaqueHandler = {
  id: 'bzip2',
  kind: 'opaque',
  traits: TRAITS,
  description: 'bzip2 compressed stream (not decoded)',
  detect: ({ peek }) => peek.length >= 4 && peek.toString('latin1', 0, 3) === 'BZh' && peek[3] >= 0x31 && peek[3] <= 0x39,
};
