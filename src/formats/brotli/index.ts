import { decodedTo } from '../summary';
/**
 * Brotli streams (`<part>.new.dat.br` in block OTAs). Brotli has no magic
 * number: the `.br` suffix is the only evidence, as it is for the updater
 * itself (FORMATS.md §8.5). Decoded as a stream with node:zlib.
 */
import { createBrotliDecompress } from 'node:zlib';
import { FormatError, TruncatedError } from '../../io/errors';
import { zlibDecode } from '../../io/zlib-stream';
import type { TransformHandler, DecodeContext } from '../types';

export function brotliDecode(input: AsyncIterable<Buffer>, ctx: DecodeContext, what = 'brotli stream'): AsyncGenerator<Buffer> {
  return zlibDecode(input, createBrotliDecompress({ chunkSize: 256 * 1024 }), ctx.budget, (e, p) => {
    // Offsets are in the compressed stream (the artifact's own bytes): how far the decoder had read.
    if (/unexpected end of file/i.test(e.message)) throw new TruncatedError(`${what} ends early at byte ${p.consumed} (${p.produced} bytes decoded)`, p.consumed);
    throw new FormatError(`corrupt ${what} by byte ${p.consumed} (${p.produced} bytes decoded; ${e.message})`, p.consumed);
  });
}

export const brotliHandler: TransformHandler = {
  id: 'brotli',
  summary: decodedTo,
  kind: 'transform',
  traits: { role: 'compression', confidence: 'name' },
  description: 'Brotli compressed stream (recognised by the .br suffix; brotli has no magic)',
  detect: ({ name, peek }) => /\.br$/i.test(name) && peek.length > 0,
  childName: (name) => name.replace(/\.br$/i, ''),
  transform: (input, ctx) => brotliDecode(input, ctx),
};
