import { Readable, type Transform } from 'node:stream';
import { RomscopeError } from './errors';
import type { Budget } from './limits';

export interface ZlibProgress {
  /** Compressed bytes handed to the decoder so far (an offset in the artifact's own bytes). */
  consumed: number;
  /** Decoded bytes produced so far. */
  produced: number;
}

/**
 * Runs a node:zlib decoder (inflate, gunzip, brotli) over a stream: every
 * decoded chunk is charged to the expansion budget, and a zlib error goes to
 * `onError`, which throws the finding-shaped error for its format or returns
 * to end the stream quietly. Errors of our own (budget) pass through.
 */
export async function* zlibDecode(input: AsyncIterable<Buffer>, decoder: Transform, budget: Budget, onError: (e: Error, p: ZlibProgress) => void): AsyncGenerator<Buffer> {
  const p: ZlibProgress = { consumed: 0, produced: 0 };
  const counted = (async function* () {
    for await (const c of input) {
      p.consumed += c.length;
      yield c;
    }
  })();
  const out = Readable.from(counted).pipe(decoder);
  try {
    for await (const chunk of out as AsyncIterable<Buffer>) {
      budget.chargeExpanded(chunk.length);
      p.produced += chunk.length;
      yield chunk;
    }
  } catch (e) {
    if (e instanceof RomscopeError) throw e;
    onError(e as Error, p);
  } finally {
    decoder.destroy();
  }
}
