/**
 * The shared decompressors: xz (liblzma, or xz-embedded in WebAssembly),
 * Zstandard (libzstd through zstd-napi, or fzstd) and bzip2 (seek-bzip).
 *
 * `decodeStream` and `decodeWhole` are A/B payloads' REPLACE_XZ, REPLACE_BZ
 * and REPLACE_ZSTD operations: whole xz operations (the decode workers' jobs)
 * go through liblzma when it loads, else xz-embedded; operations decoded
 * streaming use xz-embedded. Every one stops as soon as its output would pass
 * `maxOut` (the bytes the operation's extents hold), so a blob that expands
 * without bound costs at most that much memory and time. Used both inside
 * the decode worker threads and, for operations too large to hand to a
 * worker, in the main thread.
 *
 * The member decoders (`xzMemberStream`, `zstdMemberStream`, `bzip2MemberStream`,
 * reporting through the hooks of `./member`) stream `.xz`, `.zst`, `.bz2` files and
 * verify each format's own checks.
 */
import { bzip2Whole } from './bzip2';
import { type Codec } from './errors';
import { nativeXzDecoder, xzDirect, xzHeaderCheck, xzModule, xzNative, xzNativeKept, xzStream } from './xz';
import { zstdNativeWhole, zstdStream } from './zstd';

export { CodecError, type Codec } from './errors';
export { chooseXzDecoder, nativeXzDecoder, xzDecoderName, xzProbeStream, XZ_MAX_DICT } from './xz';
export { chooseZstdDecoder, nativeZstdDecoder, zstdDecoderName, zstdMemberStream } from './zstd';

async function collect(input: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const c of input) {
    parts.push(c);
    n += c.length;
  }
  return parts.length === 1 ? parts[0] : Buffer.concat(parts, n);
}

/** The input, its first piece checked by xzHeaderCheck. */
async function* checkedXz(input: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let first = true;
  for await (const c of input) {
    if (first) xzHeaderCheck(c); // the streaming decoder is xz-embedded, which checks every block itself
    first = false;
    yield c;
  }
}

/** Decoded output as it is produced (bzip2 decodes its whole input at once, then yields). */
export async function* decodeStream(codec: Codec, input: AsyncIterable<Uint8Array>, maxOut: number): AsyncGenerator<Uint8Array> {
  if (codec === 'xz') yield* xzStream(checkedXz(input), maxOut);
  else if (codec === 'zstd') yield* zstdStream(input, maxOut);
  else yield bzip2Whole(await collect(input), maxOut);
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
    const head = xzHeaderCheck(input);
    const native = head.route === 'any' ? nativeXzDecoder() : null;
    if (native) return head.dictProp === null ? xzNative(native, input, maxOut) : xzNativeKept(native, input, maxOut, head.dictProp);
    const ex = await xzModule();
    if (ex) return xzDirect(ex, input, maxOut);
  }
  if (codec === 'zstd') {
    const whole = zstdNativeWhole(input, maxOut);
    if (whole) return whole;
  }
  const buffer = new Uint8Array(maxOut);
  let length = 0;
  for await (const c of decodeStream(
    codec,
    (async function* () {
      yield input;
    })(),
    maxOut,
  )) {
    buffer.set(c, length);
    length += c.length;
  }
  return { buffer, length };
}
