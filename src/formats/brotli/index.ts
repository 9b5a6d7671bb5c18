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
  let consumed = 0;
  const counted = (async function* () {
    for await (const c of input) {
      consumed += c.length;
      yield c;
    }
  })();
  const out = Readable.from(counted).pipe(dec);
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
    // Offsets are in the compressed stream (the artifact's own bytes): how far the decoder had read.
    if (/unexpected end of file/i.test(msg)) throw new TruncatedError(`${what} ends early at byte ${consumed} (${produced} bytes decoded)`, consumed);
    throw new FormatError(`corrupt ${what} by byte ${consumed} (${produced} bytes decoded; ${msg})`, consumed);
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
