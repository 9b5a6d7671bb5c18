/**
 * The AVB footer at the end of a partition image (FORMATS.md §5.7): 64 bytes,
 * magic "AVBf", big-endian. Described here; verification belongs to the AVB
 * work (issue 6).
 */
import type { DocumentHandler } from '../types';

export const avbFooterHandler: DocumentHandler = {
  id: 'avb-footer',
  kind: 'document',
  description: 'AVB footer (last 64 bytes of a partition image)',
  maxBytes: 64,
  detect: ({ peek, size }) => size === 64 && peek.toString('latin1', 0, 4) === 'AVBf',
  decode(b) {
    return {
      version: `${b.readUInt32BE(4)}.${b.readUInt32BE(8)}`,
      originalImageSize: Number(b.readBigUInt64BE(12)),
      vbmetaOffset: Number(b.readBigUInt64BE(20)),
      vbmetaSize: Number(b.readBigUInt64BE(28)),
    };
  },
};
