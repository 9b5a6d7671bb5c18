/**
 * xz: liblzma through node-liblzma when that native module loads (off with
 * ROMSCOPE_XZ=wasm), else xz-embedded compiled to WebAssembly
 * (xz-decompress, the decoder update_engine itself links).
 */
import { crc32 as zlibCrc32 } from 'node:zlib';
import type * as XzDecompress from 'xz-decompress';
import { CodecError, tooLarge } from './errors';
import { FormatError, TruncatedError } from '../io/errors';
import { MEMBER_CHUNK, type MemberHooks } from './member';

export const XZ_ERRORS: Record<number, string> = {
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

let xzDecompress: typeof XzDecompress | undefined;
/** xz-decompress (the wasm decoder, used when liblzma is not there), loaded at first use rather than when the CLI starts (5 to 9 ms). */
function xzReadableStream(): typeof XzDecompress.XzReadableStream {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  xzDecompress ??= require('xz-decompress') as typeof XzDecompress;
  return xzDecompress.XzReadableStream;
}

export async function* xzStream(input: AsyncIterable<Uint8Array>, maxOut: number): AsyncGenerator<Uint8Array> {
  let total = 0;
  const XzReadableStream = xzReadableStream();
  const stream = new XzReadableStream(ReadableStream.from(input));
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
export async function xzModule(): Promise<XzExports | null> {
  if (xzExports !== undefined) return xzExports;
  const cls = xzReadableStream() as unknown as { _getModuleInstance?: () => Promise<void>; _moduleInstance?: { exports: unknown } };
  try {
    if (!cls._moduleInstance && typeof cls._getModuleInstance === 'function') await cls._getModuleInstance();
    const ex = cls._moduleInstance?.exports as XzExports | undefined;
    const ok = ex && ex.memory?.buffer instanceof ArrayBuffer && ['create_context', 'destroy_context', 'supply_input', 'get_next_output'].every((f) => typeof (ex as unknown as Record<string, unknown>)[f] === 'function');
    xzExports = ok ? ex : null;
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
export function xzDirect(ex: XzExports, input: Uint8Array, maxOut: number): { buffer: Uint8Array; length: number } {
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
export function xzHeaderCheck(input: Uint8Array): { route: 'any' | 'wasm'; dictProp: number | null } {
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
  const m: (NodeLiblzma & { versionString?: () => string }) | null = nativeXzDecoder();
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
export function xzNative(m: NodeLiblzma, input: Uint8Array, maxOut: number): { buffer: Uint8Array; length: number } {
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
export function xzNativeKept(m: NodeLiblzma, input: Uint8Array, maxOut: number, dictProp: number): { buffer: Uint8Array; length: number } {
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

/** Names of the xz integrity check ids (the low 4 bits of the stream flags). */
export const XZ_CHECK_NAMES = XZ_CHECKS;

/**
 * A `.xz` file (xz streams, concatenated, with stream padding between and
 * after them, as `xz -dc` accepts) decoded as it streams past. liblzma
 * verifies everything the format carries: each stream header's and footer's
 * CRC32, each block header's CRC32, each block's check (CRC32, CRC64 or
 * SHA-256, whichever the stream declares) and each index (its records
 * against the blocks decoded, its CRC32). It reports any of those failing,
 * and LZMA2 data that does not decode, alike (LZMA_DATA_ERROR, which `xz`
 * prints as "Compressed data is corrupt"), so they are thrown alike:
 * a FormatError with factKind 'xz-checksum'. Under ROMSCOPE_XZ=wasm (or
 * without node-liblzma) xz-embedded does the same checks except SHA-256,
 * which it cannot compute: such a stream is 'unsupported' there.
 */
export async function* xzMemberStream(input: AsyncIterable<Buffer>, hooks: MemberHooks): AsyncGenerator<Buffer> {
  const native = nativeXzDecoder();
  if (native) {
    yield* xzNativeMember(native, input, hooks);
    return;
  }
  const ex = await xzModule();
  if (ex) {
    yield* xzWasmMember(ex, input, hooks);
    return;
  }
  // xz-decompress's public stream (its module shape unknown): one stream, its checks verified.
  try {
    for await (const c of xzStream(input, Number.MAX_SAFE_INTEGER)) yield Buffer.from(c.buffer, c.byteOffset, c.length);
  } catch (e) {
    const m = (e as Error).message;
    if (/truncated|ends early/.test(m)) throw new TruncatedError(m);
    throw new FormatError(m, undefined, /is corrupt/.test(m) ? 'xz-checksum' : undefined);
  }
}

function xzCheckSeen(b: Buffer, hooks: MemberHooks): void {
  if (hooks.info.check !== undefined || b.length < 8) return;
  hooks.info.check = XZ_CHECKS[b[7] & 0x0f] ?? `type ${b[7] & 0x0f}`;
}

function xzCheckedOk(hooks: MemberHooks, by: string): void {
  const check = hooks.info.check as string | undefined;
  hooks.check(true, `xz stream headers, block headers and index CRC32s match${check && check !== 'none' ? ` and every block's ${check} check matches` : ' (the stream declares no per-block check)'} (verified by ${by})`);
}

async function* xzNativeMember(m: NodeLiblzma, input: AsyncIterable<Buffer>, hooks: MemberHooks): AsyncGenerator<Buffer> {
  // node-liblzma's decoder is liblzma's stream decoder in LZMA_CONCATENATED mode, no memory limit:
  // memory grows with the dictionary only as it fills, so at most with the output (which the walk's budget caps).
  const dec = new m.Unxz();
  let consumed = 0;
  const fail = (status: number): never => {
    const msg = `${nativeMessage(m, status)} (liblzma, by input byte ${consumed})`;
    if (status === m.LZMA_BUF_ERROR) throw new TruncatedError(msg, consumed);
    if (status === m.LZMA_DATA_ERROR) throw new FormatError(`xz data fails liblzma's verification: a block check, a header or index CRC32 or the LZMA2 data itself is wrong (${msg})`, consumed, 'xz-checksum');
    if (status === m.LZMA_OPTIONS_ERROR) throw new FormatError(`${msg}: a filter or option liblzma does not support`, consumed, 'unsupported');
    throw new FormatError(msg, consumed);
  };
  try {
    let out = Buffer.allocUnsafe(MEMBER_CHUNK);
    // One call at a time: returns the output made and whether the input offset moved.
    const step = (action: number, chunk: Buffer | null, off: number): { used: number; produced: number; status: number } => {
      const len = chunk ? chunk.length - off : 0;
      const [status, availIn, availOut] = dec.lzma.codeSync(action, chunk, off, len, out, 0);
      return { used: len - availIn, produced: out.length - availOut, status };
    };
    for await (const chunk of input) {
      if (consumed === 0) xzCheckSeen(chunk, hooks);
      let off = 0;
      for (;;) {
        const r = step(m.LZMA_RUN, chunk, off);
        off += r.used;
        consumed += r.used;
        if (r.produced) {
          yield out.subarray(0, r.produced);
          out = Buffer.allocUnsafe(MEMBER_CHUNK);
        }
        if (r.status !== m.LZMA_OK && r.status !== m.LZMA_STREAM_END) fail(r.status);
        if (off >= chunk.length && r.produced < out.length) break;
      }
    }
    if (consumed === 0) throw new TruncatedError('xz file is empty', 0);
    for (;;) {
      const r = step(m.LZMA_FINISH, null, 0);
      if (r.produced) {
        yield out.subarray(0, r.produced);
        out = Buffer.allocUnsafe(MEMBER_CHUNK);
      }
      if (r.status === m.LZMA_STREAM_END) break;
      if (r.status !== m.LZMA_OK) fail(r.status);
      if (!r.produced) fail(m.LZMA_BUF_ERROR);
    }
    xzCheckedOk(hooks, 'liblzma');
  } finally {
    dec.close();
  }
}

/**
 * xz-embedded through the module's context API (see xzDirect), one context
 * per stream: at a stream's end the bytes after it are stream padding (zero
 * bytes, a multiple of four) then the next stream, as liblzma accepts.
 */
async function* xzWasmMember(ex: XzExports, input: AsyncIterable<Buffer>, hooks: MemberHooks): AsyncGenerator<Buffer> {
  const it = input[Symbol.asyncIterator]();
  let pending: Buffer | null = null;
  let consumed = 0;
  let eof = false;
  const next = async (): Promise<Buffer | null> => {
    if (pending?.length) {
      const p = pending;
      pending = null;
      return p;
    }
    if (eof) return null;
    const r = await it.next();
    if (r.done) {
      eof = true;
      return null;
    }
    return r.value;
  };
  let streams = 0;
  try {
    for (;;) {
      // Stream padding, then a stream or the end.
      let zeros = 0;
      let piece: Buffer | null;
      for (;;) {
        piece = await next();
        if (!piece) break;
        let i = 0;
        while (i < piece.length && piece[i] === 0) i++;
        zeros += i;
        consumed += i;
        if (i < piece.length) {
          piece = piece.subarray(i);
          break;
        }
      }
      if (streams > 0 && zeros % 4) throw new FormatError(`xz stream padding of ${zeros} bytes is not a multiple of four (xz: "Compressed data is corrupt")`, consumed, 'xz-checksum');
      if (!piece) {
        if (streams === 0) throw new TruncatedError('xz file holds no stream', consumed);
        break;
      }
      if (streams === 0) xzCheckSeen(piece, hooks);
      const check = piece.length >= 8 ? piece[7] & 0x0f : -1;
      if (streams > 0 && !(piece.length >= 6 && piece.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])))) {
        throw new FormatError(`data after xz stream ${streams} at byte ${consumed} is not another xz stream`, consumed, 'xz-checksum');
      }
      streams++;
      const ctx = ex.create_context();
      try {
        const fields = () => new Uint32Array(ex.memory.buffer, ctx, 6);
        const bufSize = fields()[0];
        let cur: Buffer | null = piece;
        let idle = 0;
        for (;;) {
          let f = fields();
          if (f[2] === f[3]) {
            cur ??= await next();
            const n: number = cur ? Math.min(bufSize, cur.length) : 0;
            if (cur && n) new Uint8Array(ex.memory.buffer, f[1], n).set(cur.subarray(0, n));
            ex.supply_input(ctx, n);
            cur = cur && n < cur.length ? cur.subarray(n) : null;
          }
          const before = fields()[2];
          const r = ex.get_next_output(ctx);
          f = fields();
          consumed += f[2] - before;
          const produced = f[5];
          if (produced) yield Buffer.from(new Uint8Array(ex.memory.buffer, f[4], produced));
          f = fields();
          f[5] = 0;
          if (r === 1) {
            // The rest of this piece and of the buffer belongs to what follows the stream.
            const left = Buffer.from(new Uint8Array(ex.memory.buffer, f[1] + f[2], f[3] - f[2]));
            pending = cur ? Buffer.concat([left, cur]) : left;
            break;
          }
          // xz-embedded as built here refuses a check type it cannot compute (SHA-256) as an options error.
          if ((r === 2 || r === 6) && check !== 0 && check !== 1 && check !== 4) {
            throw new FormatError(`xz stream ${streams} uses a ${XZ_CHECKS[check] ?? `type ${check}`} check, which xz-embedded (ROMSCOPE_XZ=wasm, or no node-liblzma) cannot verify`, consumed, 'unsupported');
          }
          if (r === 8) throw new TruncatedError(`xz data ${XZ_ERRORS[8]} (xz-embedded)`, consumed);
          if (r === 7) throw new FormatError(`xz data fails xz-embedded's verification: a block check, a header or index CRC32 or the LZMA2 data itself is wrong (by input byte ${consumed})`, consumed, 'xz-checksum');
          if (r !== 0) throw new FormatError(`${xzMessage(new Error(`error code ${r}`))} (xz-embedded, by input byte ${consumed})`, consumed, r === 6 ? 'unsupported' : undefined);
          idle = produced === 0 && f[2] === f[3] && !cur && eof ? idle + 1 : 0;
          if (idle > 2) throw new TruncatedError(`xz data ${XZ_ERRORS[8]} (xz-embedded)`, consumed);
        }
      } finally {
        ex.destroy_context(ctx);
      }
    }
    hooks.info.streams = streams;
    xzCheckedOk(hooks, 'xz-embedded');
  } finally {
    await it.return?.();
  }
}
