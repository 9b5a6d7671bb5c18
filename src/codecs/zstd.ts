/** Zstandard through fzstd (pure JavaScript). */
import { Decompress as ZstdDecompress } from 'fzstd';
import { CodecError, tooLarge } from './errors';

/** zstd through fzstd's streaming decoder, fed in small pieces so one push cannot expand far. */
export async function* zstdStream(input: AsyncIterable<Uint8Array>, maxOut: number): AsyncGenerator<Uint8Array> {
  let total = 0;
  let out: Uint8Array[] = [];
  const d = new ZstdDecompress((chunk) => {
    total += chunk.length;
    if (total > maxOut) throw tooLarge('zstd', maxOut);
    out.push(chunk);
  });
  const push = (b: Uint8Array, final: boolean) => {
    try {
      d.push(b, final);
    } catch (e) {
      if (e instanceof CodecError) throw e;
      const code = (e as { code?: number }).code;
      throw new CodecError(code === 5 ? 'zstd data ends early (truncated)' : `zstd data is corrupt (${(e as Error).message})`);
    }
  };
  const PIECE = 16 * 1024;
  for await (const c of input) {
    for (let i = 0; i < c.length; i += PIECE) {
      push(c.subarray(i, Math.min(c.length, i + PIECE)), false);
      if (out.length) {
        const ready = out;
        out = [];
        yield* ready;
      }
    }
  }
  push(new Uint8Array(0), true);
  yield* out;
}

