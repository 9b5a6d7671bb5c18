/**
 * Compression formats romscope recognises but does not decode yet: they are
 * named and hashed so the report says what they are instead of "data".
 */
import type { OpaqueHandler } from '../types';

function opaque(id: string, description: string, magic: number[]): OpaqueHandler {
  return {
    id,
    kind: 'opaque',
    description,
    detect: ({ peek }) => peek.length >= magic.length && magic.every((b, i) => peek[i] === b),
  };
}

export const xzHandler = opaque('xz', 'xz compressed stream (not decoded)', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
export const zstdHandler = opaque('zstd', 'Zstandard compressed stream (not decoded)', [0x28, 0xb5, 0x2f, 0xfd]);
export const bzip2Handler: OpaqueHandler = {
  id: 'bzip2',
  kind: 'opaque',
  description: 'bzip2 compressed stream (not decoded)',
  detect: ({ peek }) => peek.length >= 4 && peek.toString('latin1', 0, 3) === 'BZh' && peek[3] >= 0x31 && peek[3] <= 0x39,
};
