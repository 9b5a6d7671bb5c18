/**
 * Brotli streams (`<part>.new.dat.br` in block OTAs). Brotli has no magic
 * number: the `.br` suffix is the only evidence, as it is for the updater
 * itself (FORMATS.md §8.5). Decoded as a stream with node:zlib.
 */
import { Readable } from 'node:stream';
import { createBrotliDecompress } from 'node:zlib';
import { FormatError, TruncatedError, errorMessage } from '../../io/errors';
import type { TransformHandler, DecodeContext } from '../types';

export async function* brotliDecode(input: AsyncIterable<Buffer>, ctx: DecodeContext, what = 'brotli stream'): AsyncGenerator<Buffer> {
  const dec = createBrotliDecompress({ chunkSize: 256 * 1024 });
  const out = Readable.from(input).pipe(dec);
  let produced = 0;
  try {
    for await (const chunk of out as AsyncIterable<Buffer>) {
      ctx.budget.chargeExpanded(chunk.length);
      produced += chunk.length;
      yield chunk;
    }
  } catch (e) {
    if ((e as Error).name === 'BudgetError') throw e;
    const msg = errorMessage(e);
    if (/unexpected end of file/i.test(msg)) throw new TruncatedError(`${what} ends early (after ${produced} decoded bytes)`, produced);
    throw new FormatError(`corrupt ${what} after ${produced} decoded bytes (${msg})`, produced);
  } finally {
    dec.destroy();
  }
}

export const brotliHandler: TransformHandler = {
  id: 'brotli',
  kind: 'transform',
  description: 'Brotli compressed stream (recognised by the .br suffix; brotli has no magic)',
  detect: ({ name, peek }) => /\.br$/i.test(name) && peek.length > 0,
  childName: (name) => name.replace(/\.br$/i, ''),
  transform: (input, ctx) => brotliDecode(input, ctx),
};
