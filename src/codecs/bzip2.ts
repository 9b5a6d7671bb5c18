/** bzip2 through seek-bzip (pure JavaScript). */
import * as bunzip from 'seek-bzip';
import { CodecError, tooLarge } from './errors';

/** bzip2 through seek-bzip (synchronous, whole input): output goes to a buffer of at most maxOut bytes. */
export function bzip2Whole(input: Uint8Array, maxOut: number, into?: Uint8Array): Uint8Array {
  const buf = into ?? new Uint8Array(Math.min(maxOut, 1 << 20));
  let out = buf;
  let pos = 0;
  const sink = {
    writeByte(b: number) {
      if (pos >= out.length) {
        if (pos >= maxOut) throw tooLarge('bzip2', maxOut);
        const bigger = new Uint8Array(Math.min(maxOut, out.length * 2));
        bigger.set(out);
        out = bigger;
      }
      out[pos++] = b;
    },
    write(b: Uint8Array, off: number, len: number) {
      for (let i = 0; i < len; i++) this.writeByte(b[off + i]);
      return len;
    },
    flush() {},
  };
  if (input.length === 0) throw new CodecError('bzip2 data is empty');
  try {
    bunzip.decode(Buffer.from(input.buffer, input.byteOffset, input.length), sink as unknown as Buffer, false);
  } catch (e) {
    if (e instanceof CodecError) throw e;
    const msg = (e as Error)?.message ?? String(e);
    throw new CodecError(/unexpected|eof|end of/i.test(msg) ? `bzip2 data ends early (${msg})` : `bzip2 data is corrupt (${msg})`);
  }
  return out.subarray(0, pos);
}

