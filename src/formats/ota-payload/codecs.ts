/**
 * The decompressors of REPLACE_XZ (xz-decompress: xz-embedded compiled to
 * WebAssembly, the decoder update_engine itself links), REPLACE_BZ
 * (seek-bzip) and REPLACE_ZSTD (fzstd). Every one stops as soon as its
 * output would pass `maxOut` (the bytes the operation's extents hold), so a
 * blob that expands without bound costs at most that much memory and time.
 * Used both inside the decode worker threads and, for operations too large
 * to hand to a worker, in the main thread.
 */
import { XzReadableStream } from 'xz-decompress';
import { Decompress as ZstdDecompress } from 'fzstd';
import * as bunzip from 'seek-bzip';

export type Codec = 'xz' | 'bzip2' | 'zstd';

/** Corrupt or oversized compressed data; the message says which. */
export class CodecError extends Error {}

const XZ_ERRORS: Record<number, string> = {
  2: 'uses an integrity check xz-embedded does not support',
  3: 'needs more memory than allowed',
  4: 'needs a larger dictionary than allowed',
  5: 'is not an xz stream',
  6: 'uses options (filters) that are not supported',
  7: 'is corrupt',
  8: 'ends early (truncated)',
};

function xzMessage(e: unknown): string {
  const m = /error code (\d+)/.exec((e as Error)?.message ?? '');
  if (m) return `xz data ${XZ_ERRORS[Number(m[1])] ?? `fails to decode (xz-embedded error ${m[1]})`}`;
  // The library trips over input that ends before any xz header.
  return `xz data ends early or is not xz (${(e as Error)?.message ?? e})`;
}

function tooLarge(codec: Codec, maxOut: number): CodecError {
  return new CodecError(`${codec} data decodes to more than the ${maxOut} bytes its extents hold`);
}

async function* xzStream(input: AsyncIterable<Uint8Array>, maxOut: number): AsyncGenerator<Uint8Array> {
  let total = 0;
  const stream = new XzReadableStream(ReadableStream.from(input) as unknown as ReadableStream<Uint8Array>);
  const reader = stream.getReader();
  try {
    for (;;) {
      let r: { done: boolean; value?: Uint8Array };
      try {
        r = await reader.read();
      } catch (e) {
        throw new CodecError(xzMessage(e));
      }
      if (r.done || !r.value) return;
      total += r.value.length;
      if (total > maxOut) throw tooLarge('xz', maxOut);
      if (r.value.length) yield r.value;
    }
  } finally {
    // Releases the decoder (and its lock) when stopped early.
    await reader.cancel().catch(() => {});
  }
}

/** zstd through fzstd's streaming decoder, fed in small pieces so one push cannot expand far. */
async function* zstdStream(input: AsyncIterable<Uint8Array>, maxOut: number): AsyncGenerator<Uint8Array> {
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

/** bzip2 through seek-bzip (synchronous, whole input): output goes to a buffer of at most maxOut bytes. */
function bzip2Whole(input: Uint8Array, maxOut: number, into?: Uint8Array): Uint8Array {
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

async function collect(input: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const c of input) {
    parts.push(c);
    n += c.length;
  }
  return parts.length === 1 ? parts[0] : Buffer.concat(parts, n);
}

/** Decoded output as it is produced (bzip2 decodes its whole input at once, then yields). */
export async function* decodeStream(codec: Codec, input: AsyncIterable<Uint8Array>, maxOut: number): AsyncGenerator<Uint8Array> {
  if (codec === 'xz') yield* xzStream(input, maxOut);
  else if (codec === 'zstd') yield* zstdStream(input, maxOut);
  else yield bzip2Whole(await collect(input), maxOut);
}

/** The WebAssembly exports of xz-decompress (xz-embedded) that its stream class drives. */
interface XzExports {
  memory: { buffer: ArrayBuffer };
  create_context(): number;
  destroy_context(ptr: number): void;
  supply_input(ptr: number, length: number): void;
  get_next_output(ptr: number): number;
}

let xzExports: XzExports | null | undefined;

/**
 * xz-decompress's module, to decode straight into the output buffer. Its
 * stream API copies every output chunk, and in a worker decoding 2 MiB
 * operations back to back those copies are most of the memory. This uses the
 * module the stream class loads (xz-decompress 0.2.x; package.json pins it)
 * and returns null when its shape is not the one known, so the public stream
 * API is used instead.
 */
async function xzModule(): Promise<XzExports | null> {
  if (xzExports !== undefined) return xzExports;
  const cls = XzReadableStream as unknown as { _getModuleInstance?: () => Promise<void>; _moduleInstance?: { exports: unknown } };
  try {
    if (!cls._moduleInstance && typeof cls._getModuleInstance === 'function') await cls._getModuleInstance();
    const ex = cls._moduleInstance?.exports as unknown as XzExports | undefined;
    const ok = ex && ex.memory?.buffer instanceof ArrayBuffer && ['create_context', 'destroy_context', 'supply_input', 'get_next_output'].every((f) => typeof (ex as unknown as Record<string, unknown>)[f] === 'function');
    xzExports = ok ? ex! : null;
  } catch {
    xzExports = null;
  }
  return xzExports;
}

/**
 * One xz stream decoded with the module's context API: the context is a
 * struct of u32 fields (buffer size, input buffer, input position, input
 * size, output buffer, output position); input goes in buffer-sized pieces,
 * an empty piece marks its end, output is copied once, into `out`.
 */
function xzDirect(ex: XzExports, input: Uint8Array, maxOut: number): { buffer: Uint8Array; length: number } {
  const out = new Uint8Array(maxOut);
  const ctx = ex.create_context();
  let length = 0;
  let pos = 0;
  let idle = 0;
  try {
    const fields = () => new Uint32Array(ex.memory.buffer, ctx, 6);
    const bufSize = fields()[0];
    for (;;) {
      let f = fields();
      if (f[2] === f[3]) {
        // Input consumed: the next piece (an empty one once all is given: the end of input).
        const n = Math.min(bufSize, input.length - pos);
        if (n > 0) new Uint8Array(ex.memory.buffer, f[1], n).set(input.subarray(pos, pos + n));
        ex.supply_input(ctx, n);
        pos += n;
      }
      const r = ex.get_next_output(ctx);
      f = fields();
      const produced = f[5];
      if (length + produced > maxOut) throw tooLarge('xz', maxOut);
      if (produced) out.set(new Uint8Array(ex.memory.buffer, f[4], produced), length);
      length += produced;
      f[5] = 0;
      if (r === 1) return { buffer: out, length };
      if (r !== 0) throw new CodecError(xzMessage(new Error(`error code ${r}`)));
      // No input left and nothing coming out: the stream ends early.
      idle = produced === 0 && pos >= input.length ? idle + 1 : 0;
      if (idle > 2) throw new CodecError(XZ_ERRORS[8] ? `xz data ${XZ_ERRORS[8]}` : 'xz data ends early');
    }
  } finally {
    ex.destroy_context(ctx);
  }
}

/**
 * Decodes a whole blob into one buffer of at most `maxOut` bytes (the worker
 * threads' job). Returns the buffer and how many bytes of it are output.
 */
export async function decodeWhole(codec: Codec, input: Uint8Array, maxOut: number): Promise<{ buffer: Uint8Array; length: number }> {
  if (codec === 'bzip2') {
    const out = bzip2Whole(input, maxOut);
    return { buffer: out, length: out.length };
  }
  if (codec === 'xz') {
    const ex = await xzModule();
    if (ex) return xzDirect(ex, input, maxOut);
  }
  const buffer = new Uint8Array(maxOut);
  let length = 0;
  for await (const c of decodeStream(codec, (async function* () {
    yield input;
  })(), maxOut)) {
    buffer.set(c, length);
    length += c.length;
  }
  return { buffer, length };
}
