/**
 * The decompressors of REPLACE_XZ, REPLACE_BZ (seek-bzip) and REPLACE_ZSTD
 * (fzstd). Whole xz operations (the decode workers' jobs) go through liblzma
 * via node-liblzma when that native module loads, else through
 * xz-decompress (xz-embedded compiled to WebAssembly, the decoder
 * update_engine itself links); operations decoded streaming use
 * xz-decompress. Every one stops as soon as its output would pass `maxOut`
 * (the bytes the operation's extents hold), so a blob that expands without
 * bound costs at most that much memory and time. Used both inside the
 * decode worker threads and, for operations too large to hand to a worker,
 * in the main thread.
 */
import { crc32 as zlibCrc32 } from 'node:zlib';
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

/** xz stream header check ids xz-embedded (update_engine's decoder) accepts: none, CRC32, CRC64. */
const XZ_CHECKS: Record<number, string> = { 0: 'none', 1: 'CRC32', 4: 'CRC64', 10: 'SHA-256' };

/** The largest LZMA2 dictionary update_engine's decoder allocates (xz_dec_init with 64 MiB). */
export const XZ_MAX_DICT = 64 * 1024 * 1024;

/** An xz variable-length integer at `pos`: [value, next position], or null past the end or over 9 bytes. */
function vli(b: Uint8Array, pos: number, end: number): [number, number] | null {
  let v = 0;
  for (let i = 0; i < 9 && pos < end; i++, pos++) {
    v += (b[pos] & 0x7f) * 2 ** (7 * i);
    if (!(b[pos] & 0x80)) return [v, pos + 1];
  }
  return null;
}

/**
 * Refuses what the device's decoder would refuse whichever decoder runs here:
 * an integrity check other than none, CRC32 or CRC64 (liblzma would accept
 * SHA-256; xz-embedded does not), and an LZMA2 dictionary over 64 MiB in the
 * first block (liblzma has no such limit). Says 'wasm' when the stream has
 * several blocks, whose later dictionaries only xz-embedded checks as it
 * goes; anything it cannot read is left to the decoder to report.
 */
function xzHeaderCheck(input: Uint8Array): { route: 'any' | 'wasm'; dictProp: number | null } {
  const any = { route: 'any' as const, dictProp: null };
  if (input.length < 12 || input[0] !== 0xfd || input[1] !== 0x37 || input[2] !== 0x7a || input[3] !== 0x58 || input[4] !== 0x5a || input[5] !== 0) return any; // the decoder says what is wrong
  const check = input[7] & 0x0f;
  if (input[6] === 0 && check !== 0 && check !== 1 && check !== 4) {
    throw new CodecError(`xz data uses a ${XZ_CHECKS[check] ?? `type ${check}`} integrity check, which update_engine's decoder (xz-embedded) does not support`);
  }
  // The first block header: size, flags (filter count, optional sizes), then each filter's id and properties.
  if (input.length < 14 || input[12] === 0) return any;
  const end = Math.min(input.length, 12 + (input[12] + 1) * 4);
  const flags = input[13];
  let pos = 14;
  for (const present of [flags & 0x40, flags & 0x80]) {
    if (!present) continue;
    const v = vli(input, pos, end);
    if (!v) return any;
    pos = v[1];
  }
  let dictProp: number | null = null;
  for (let f = 0; f <= (flags & 3); f++) {
    const id = vli(input, pos, end);
    const size = id && vli(input, id[1], end);
    if (!id || !size) return any;
    pos = size[1];
    if (id[0] === 0x21 && size[0] === 1 && pos < end) {
      const d = input[pos] & 0x3f;
      const dict = d >= 40 ? 2 ** 32 - 1 : (2 + (d & 1)) * 2 ** (Math.floor(d / 2) + 11);
      if (dict > XZ_MAX_DICT) throw new CodecError(`xz data needs a ${Math.round(dict / 2 ** 20)} MiB dictionary, more than the ${XZ_MAX_DICT / 2 ** 20} MiB update_engine's decoder allows`);
      // The only filter (no BCJ or delta in front) and a valid property: a decoder can be kept for it.
      if ((flags & 3) === 0 && input[pos] <= 40) dictProp = input[pos];
    }
    pos += size[0];
  }
  // The index, before the 12-byte footer: its record count is the block count.
  if (input.length < 24) return any;
  const backward = ((input[input.length - 8] | (input[input.length - 7] << 8) | (input[input.length - 6] << 16)) + input[input.length - 5] * 2 ** 24 + 1) * 4;
  const at = input.length - 12 - backward;
  if (at < 12 || input[at] !== 0) return { route: 'wasm', dictProp: null };
  const records = vli(input, at + 1, input.length - 12);
  return records && records[0] <= 1 ? { route: 'any', dictProp } : { route: 'wasm', dictProp: null };
}

const PROBE_TEXT = Buffer.from('romscope');

/**
 * A whole xz stream holding PROBE_TEXT in one uncompressed LZMA2 chunk, no
 * integrity check, its block declaring the LZMA2 dictionary property
 * `dictProp` (the same allocation as the streams it follows).
 */
export function xzProbeStream(dictProp: number): Buffer {
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    return b;
  };
  const flags = Buffer.from([0x00, 0x00]);
  const header = Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), flags, u32(zlibCrc32(flags))]);
  // Block header: 12 bytes, one filter (LZMA2, 1 property byte), no sizes, padding, CRC32.
  const bh = Buffer.from([0x02, 0x00, 0x21, 0x01, dictProp, 0, 0, 0]);
  // One uncompressed chunk resetting the dictionary, then the end marker: 12 bytes, so no block padding.
  const data = Buffer.concat([Buffer.from([0x01, 0x00, PROBE_TEXT.length - 1]), PROBE_TEXT, Buffer.from([0x00])]);
  const index = Buffer.from([0x00, 0x01, bh.length + 4 + data.length, PROBE_TEXT.length]);
  const footerBody = Buffer.concat([u32((index.length + 4) / 4 - 1), flags]);
  return Buffer.concat([header, bh, u32(zlibCrc32(bh)), data, index, u32(zlibCrc32(index)), u32(zlibCrc32(footerBody)), footerBody, Buffer.from('YZ')]);
}

/** The part of node-liblzma used here: a decoder object (its `lzma` field, the native liblzma stream) and constants. */
interface NativeLzmaStream {
  codeSync(action: number, input: Buffer | null, inOff: number, inLen: number, out: Buffer, outOff: number): [number, number, number];
  close(): void;
}
interface NodeLiblzma {
  Unxz: new () => { lzma: NativeLzmaStream; close(): void };
  LZMA_RUN: number;
  LZMA_FINISH: number;
  LZMA_OK: number;
  LZMA_STREAM_END: number;
  LZMA_MEM_ERROR: number;
  LZMA_MEMLIMIT_ERROR: number;
  LZMA_FORMAT_ERROR: number;
  LZMA_OPTIONS_ERROR: number;
  LZMA_DATA_ERROR: number;
  LZMA_BUF_ERROR: number;
}

let nativeXz: NodeLiblzma | null | undefined;

/**
 * node-liblzma (liblzma; about 1.4x the speed of the WebAssembly decoder),
 * or null when it is not installed, does not load (no prebuilt binary and
 * no compiler at install time, or a Node without require(esm)), has not the
 * shape known (package.json pins the version), or fails the probe;
 * ROMSCOPE_XZ=wasm turns it off.
 */
export function nativeXzDecoder(): NodeLiblzma | null {
  if (nativeXz !== undefined) return nativeXz;
  nativeXz = null;
  if (process.env.ROMSCOPE_XZ === 'wasm') return null;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const m = require('node-liblzma') as NodeLiblzma;
    const u = new m.Unxz();
    const ok = typeof u.lzma?.codeSync === 'function' && typeof m.LZMA_FINISH === 'number' && typeof m.LZMA_RUN === 'number' && typeof m.LZMA_STREAM_END === 'number';
    u.close();
    // The probe stream decoded once, whole, proves the module works as expected.
    if (ok && Buffer.from(xzNative(m, xzProbeStream(0x16), PROBE_TEXT.length).buffer.subarray(0, PROBE_TEXT.length)).equals(PROBE_TEXT)) nativeXz = m;
  } catch {
    nativeXz = null;
  }
  return nativeXz;
}

/** Which decoder decodeWhole uses for xz: 'auto' (liblzma when it loads) or 'wasm' (xz-embedded only). */
export function chooseXzDecoder(which: 'auto' | 'wasm'): void {
  nativeXz = which === 'wasm' ? null : undefined;
}

/** The decoder decodeWhole uses for xz, for reports and the benchmark. */
export function xzDecoderName(): string {
  const m = nativeXzDecoder() as (NodeLiblzma & { versionString?: () => string }) | null;
  return m ? `liblzma ${m.versionString?.() ?? ''} (node-liblzma)`.replace('  ', ' ') : 'xz-embedded (xz-decompress, WebAssembly)';
}

function nativeMessage(m: NodeLiblzma, status: number): string {
  switch (status) {
    case m.LZMA_FORMAT_ERROR:
      return `xz data ${XZ_ERRORS[5]}`;
    case m.LZMA_OPTIONS_ERROR:
      return `xz data ${XZ_ERRORS[6]}`;
    case m.LZMA_DATA_ERROR:
      return `xz data ${XZ_ERRORS[7]}`;
    case m.LZMA_BUF_ERROR:
      return `xz data ${XZ_ERRORS[8]}`;
    case m.LZMA_MEM_ERROR:
    case m.LZMA_MEMLIMIT_ERROR:
      return `xz data ${XZ_ERRORS[3]}`;
    default:
      return `xz data fails to decode (liblzma status ${status})`;
  }
}

/**
 * Drives a liblzma decoder over all of `input` into `out`; returns the bytes
 * written. With LZMA_FINISH it runs to the end of the stream; with LZMA_RUN
 * (a kept decoder, which must not be ended) until the input is used up.
 * Output past `cap` throws `over()`; every call either makes progress or
 * ends, so a call that makes none means the data ends early.
 */
function drive(m: NodeLiblzma, dec: NativeLzmaStream, action: number, input: Uint8Array, out: Buffer, cap: number, over: () => CodecError): number {
  const inp = Buffer.from(input.buffer, input.byteOffset, input.length);
  let inOff = 0;
  let outOff = 0;
  for (;;) {
    const [status, availIn, availOut] = dec.codeSync(action, inp, inOff, inp.length - inOff, out, outOff);
    const nextIn = inp.length - availIn;
    const nextOut = out.length - availOut;
    const progress = nextIn !== inOff || nextOut !== outOff;
    inOff = nextIn;
    outOff = nextOut;
    if (outOff > cap) throw over();
    if (status === m.LZMA_STREAM_END) {
      if (action === m.LZMA_FINISH) return outOff;
      throw new CodecError(`xz data ${XZ_ERRORS[7]}`);
    }
    if (status !== m.LZMA_OK) throw new CodecError(nativeMessage(m, status));
    if (!progress) throw new CodecError(`xz data ${XZ_ERRORS[8]}`);
    if (action === m.LZMA_RUN && inOff === inp.length) return outOff;
  }
}

/** One xz stream decoded by a fresh liblzma decoder into a buffer one byte larger than `maxOut`: filling that byte means the data expands past its extents. */
function xzNative(m: NodeLiblzma, input: Uint8Array, maxOut: number): { buffer: Uint8Array; length: number } {
  const out = Buffer.allocUnsafeSlow(maxOut + 1);
  const dec = new m.Unxz();
  try {
    return { buffer: out, length: drive(m, dec.lzma, m.LZMA_FINISH, input, out, maxOut, () => tooLarge('xz', maxOut)) };
  } finally {
    dec.close();
  }
}

/**
 * The decoder this thread keeps between streams, and the dictionary
 * property its streams declare. liblzma's decoder (in node-liblzma's
 * concatenated mode) goes on from one stream to the next and keeps its
 * dictionary when the next declares the same size: no new 64 MiB
 * allocation and no fresh pages per 2 MiB blob, as `xz -dc` over many
 * streams (about 7% less time on xz -9 blobs).
 */
let kept: { dec: { lzma: NativeLzmaStream; close(): void }; dictProp: number; probe: Buffer } | null = null;

/**
 * One xz stream through the kept decoder, fed without LZMA_FINISH (which
 * would end the decoder). Whether the stream ended where its bytes end is
 * proven by what follows it: a probe stream, which decodes to its text
 * only from a stream boundary (after a cut stream its bytes are read as the
 * rest of that stream and fail). Any error drops the decoder.
 */
function xzNativeKept(m: NodeLiblzma, input: Uint8Array, maxOut: number, dictProp: number): { buffer: Uint8Array; length: number } {
  if (kept && kept.dictProp !== dictProp) {
    kept.dec.close();
    kept = null;
  }
  kept ??= { dec: new m.Unxz(), dictProp, probe: xzProbeStream(dictProp) };
  const out = Buffer.allocUnsafeSlow(maxOut + 1);
  const scratch = Buffer.alloc(PROBE_TEXT.length + 1);
  try {
    const length = drive(m, kept.dec.lzma, m.LZMA_RUN, input, out, maxOut, () => tooLarge('xz', maxOut));
    const ends = () => new CodecError(`xz data ${XZ_ERRORS[8]}`);
    let got: number;
    try {
      got = drive(m, kept.dec.lzma, m.LZMA_RUN, kept.probe, scratch, PROBE_TEXT.length, ends);
    } catch {
      throw ends();
    }
    if (got !== PROBE_TEXT.length || !scratch.subarray(0, got).equals(PROBE_TEXT)) throw ends();
    return { buffer: out, length };
  } catch (e) {
    kept.dec.close();
    kept = null;
    throw e;
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
    const head = xzHeaderCheck(input);
    const native = head.route === 'any' ? nativeXzDecoder() : null;
    if (native) return head.dictProp === null ? xzNative(native, input, maxOut) : xzNativeKept(native, input, maxOut, head.dictProp);
    const ex = await xzModule();
    if (ex) return xzDirect(ex, input, maxOut);
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
