/**
 * Compression formats romscope recognises but does not decode yet: they are
 * named and hashed so the report says what they are instead of "data".
 * (xz, zstd, bzip2 and legacy lzma have their own folders.)
 */
import type { FormatTraits, OpaqueHandler } from '../types';
import type { FormatId } from '../ids';

/** Each is a compression the kernel can unpack a ramdisk from (lib/decompress.c: xz, zstd, lzma, bzip2, lzo). */
const TRAITS: FormatTraits = { role: 'compression', confidence: 'magic', kernelRamdisk: true };

function opaque(id: FormatId, description: string, magic: number[]): OpaqueHandler {
  return {
    id,
    kind: 'opaque',
    traits: TRAITS,
    description,
    detect: ({ peek }) => peek.length >= magic.length && magic.every((b, i) => peek[i] === b),
  };
}

export const lzopHandler = opaque('lzop', 'lzop compressed stream (not decoded)', [0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a]);
