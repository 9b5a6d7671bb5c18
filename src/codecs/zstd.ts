/**
 * Zstandard: libzstd through zstd-napi when that native module loads (off
 * with ROMSCOPE_ZSTD=js), else fzstd (pure JavaScript, about 30x slower).
 */
import { Decompress as ZstdDecompress } from 'fzstd';
import { CodecError, tooLarge } from './errors';
import { FormatError, TruncatedError } from '../io/errors';
import { StreamReader } from '../io/stream-reader';
import { loadXxhash, xxhashApi } from '../io/hash';
import { MEMBER_CHUNK, type MemberHooks } from './member';

/** The part of zstd-napi's low-level binding used here: a decompression context (`ZSTD_DCtx`) and the library version. */
interface NativeDCtx {
  /** `ZSTD_decompressStream`: [bytes still to flush or input hint (0 at a frame's end), bytes written, bytes read]; throws on an error. */
  decompressStream(dst: Uint8Array, src: Uint8Array): [number, number, number];
  /** `ZSTD_DCtx_setParameter`. */
  setParameter(param: number, value: number): void;
  /** `ZSTD_DCtx_reset`. */
  reset(directive: number): void;
}
interface ZstdBinding {
  DCtx: new () => NativeDCtx;
  DParameter: { windowLogMax: number };
  ResetDirective: { sessionOnly: number };
  versionString(): string;
}

/** One frame holding PROBE_TEXT as a single raw block, no checksum: the probe a loaded module must decode. */
const PROBE_TEXT = Buffer.from('romscope');
const PROBE_FRAME = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x20, PROBE_TEXT.length, (PROBE_TEXT.length << 3) | 1, 0, 0]), PROBE_TEXT]);

let nativeZstd: ZstdBinding | null | undefined;

/**
 * zstd-napi's binding (libzstd, compiled from the source the package
 * carries), or null when it is not installed, does not load (built without
 * a compiler at install time), has not the shape known (package.json pins
 * the version) or fails the probe; ROMSCOPE_ZSTD=js turns it off.
 */
export function nativeZstdDecoder(): ZstdBinding | null {
  if (nativeZstd !== undefined) return nativeZstd;
  nativeZstd = null;
  if (process.env.ROMSCOPE_ZSTD === 'js') return null;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const m = require('zstd-napi/binding') as ZstdBinding;
    const ok = typeof m.DCtx === 'function' && typeof m.DParameter?.windowLogMax === 'number' && typeof m.ResetDirective?.sessionOnly === 'number';
    if (ok) {
      const d = newDCtx(m);
      const out = Buffer.alloc(PROBE_TEXT.length + 1);
      const [left, written, read] = d.decompressStream(out, PROBE_FRAME);
      if (left === 0 && read === PROBE_FRAME.length && out.subarray(0, written).equals(PROBE_TEXT)) nativeZstd = m;
    }
  } catch {
    nativeZstd = null;
  }
  return nativeZstd;
}

/** Which zstd decoder runs: 'auto' (libzstd when it loads) or 'js' (fzstd only). */
export function chooseZstdDecoder(which: 'auto' | 'js'): void {
  nativeZstd = which === 'js' ? null : undefined;
}

/** The zstd decoder in use, for reports and the benchmark. */
export function zstdDecoderName(): string {
  const m = nativeZstdDecoder();
  return m ? `libzstd ${m.versionString()} (zstd-napi)` : 'fzstd (JavaScript)';
}

/** A libzstd context taking windows up to ZSTD_MAX_WINDOW (what `zstd -d` takes without --memory). */
function newDCtx(m: ZstdBinding): NativeDCtx {
  const d = new m.DCtx();
  d.setParameter(m.DParameter.windowLogMax, Math.log2(ZSTD_MAX_WINDOW));
  return d;
}

/** libzstd's error text ("Data corruption detected", "Restored data doesn't match checksum"...) without the binding's prefix. */
const nativeMessage = (e: unknown) => String((e as Error)?.message ?? e).replace(/^Zstandard error: /i, '');

/**
 * zstd through libzstd's streaming decoder: frames and skippable frames,
 * concatenated, each frame's content checksum verified by libzstd. Output
 * comes in pieces of at most MEMBER_CHUNK bytes.
 */
async function* zstdNativeStream(m: ZstdBinding, input: AsyncIterable<Uint8Array>, maxOut: number): AsyncGenerator<Uint8Array> {
  const d = newDCtx(m);
  let total = 0;
  // 0 once a frame has ended and been flushed: where the input may stop.
  let hint = 1;
  let seen = false;
  const piece = Math.min(MEMBER_CHUNK, maxOut + 1);
  let out = Buffer.allocUnsafe(piece);
  for await (const c of input) {
    seen ||= c.length > 0;
    let off = 0;
    for (;;) {
      // Room for one byte past maxOut: filling it means the data expands too far.
      const room = out.subarray(0, Math.min(out.length, maxOut - total + 1));
      let r: [number, number, number];
      try {
        r = d.decompressStream(room, c.subarray(off));
      } catch (e) {
        throw new CodecError(`zstd data is corrupt (libzstd: ${nativeMessage(e)})`);
      }
      // A call that moves nothing (the output filled exactly, then asked again) says nothing new about where the frame is.
      if (r[1] || r[2]) hint = r[0];
      off += r[2];
      total += r[1];
      if (total > maxOut) throw tooLarge('zstd', maxOut);
      if (r[1]) {
        yield out.subarray(0, r[1]);
        out = Buffer.allocUnsafe(piece);
      }
      // Input used up and room left over: nothing more comes out until more input.
      if (off >= c.length && r[1] < room.length) break;
    }
  }
  if (!seen || hint !== 0) throw new CodecError('zstd data ends early (truncated)');
}

/** zstdNativeWhole's context, kept for this thread's next blob. */
let wholeCtx: NativeDCtx | null = null;

/**
 * One whole blob (a REPLACE_ZSTD operation) decoded by libzstd straight into
 * a buffer one byte larger than `maxOut`: filling that byte means the data
 * expands past its extents. Null without the native module.
 */
export function zstdNativeWhole(input: Uint8Array, maxOut: number): { buffer: Uint8Array; length: number } | null {
  const m = nativeZstdDecoder();
  if (!m) return null;
  // One context for every blob of this thread, reset before each (a blob that failed may have left it mid-frame):
  // a fresh context per blob allocated its window natively again, and it was freed only when the garbage
  // collector of a worker with little JavaScript garbage got round to it (tens of MiB of peak RSS per thread).
  const d = (wholeCtx ??= newDCtx(m));
  d.reset(m.ResetDirective.sessionOnly);
  const out = Buffer.allocUnsafeSlow(maxOut + 1);
  let length = 0;
  let off = 0;
  let hint = 1;
  for (;;) {
    let r: [number, number, number];
    try {
      r = d.decompressStream(out.subarray(length), input.subarray(off));
    } catch (e) {
      throw new CodecError(`zstd data is corrupt (libzstd: ${nativeMessage(e)})`);
    }
    if (r[1] || r[2]) hint = r[0];
    off += r[2];
    length += r[1];
    if (length > maxOut) throw tooLarge('zstd', maxOut);
    if (!r[1] && !r[2]) break;
  }
  if (input.length === 0 || off < input.length || hint !== 0) throw new CodecError('zstd data ends early (truncated)');
  return { buffer: out, length };
}

/** zstd decoded as it streams (libzstd, else fzstd); stops once the output would pass `maxOut`. */
export async function* zstdStream(input: AsyncIterable<Uint8Array>, maxOut: number): AsyncGenerator<Uint8Array> {
  const native = nativeZstdDecoder();
  if (native) yield* zstdNativeStream(native, input, maxOut);
  else yield* zstdJsStream(input, maxOut);
}

/** zstd through fzstd's streaming decoder, fed in small pieces so one push cannot expand far. */
async function* zstdJsStream(input: AsyncIterable<Uint8Array>, maxOut: number): AsyncGenerator<Uint8Array> {
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

const ZSTD_MAGIC = 0xfd2fb528;
const isSkippable = (m: number) => m >>> 4 === 0x184d2a5;
/** The largest window `zstd -d` accepts without --memory (ZSTD_WINDOWLOG_LIMIT_DEFAULT, 2^27): fzstd allocates the window whole. */
export const ZSTD_MAX_WINDOW = 1 << 27;
const BLOCK_MAX = 128 * 1024;

/**
 * A `.zst` file decoded as it streams past: Zstandard frames and skippable
 * frames, concatenated (RFC 8878 §3), as `zstd -d` accepts them. The frame
 * structure (header, block headers, checksum) is read here, so each frame's
 * end is known; fzstd decodes each frame's blocks. fzstd reads but does not
 * verify the content checksum: it is verified here (the low 32 bits of the
 * xxh64 of the frame's output, seed 0), as is the declared content size.
 * Data after the last frame is refused, as `zstd -d` refuses it.
 */
export async function* zstdMemberStream(input: AsyncIterable<Buffer>, hooks: MemberHooks): AsyncGenerator<Buffer> {
  await loadXxhash();
  const m = nativeZstdDecoder();
  // One context per member: members can be decoded interleaved (a .zst inside a .zst).
  const native: NativeMember | null = m ? { m, d: newDCtx(m), out: Buffer.alloc(0), pos: 0 } : null;
  const r = new StreamReader(input);
  let frames = 0;
  let skippable = 0;
  try {
    for (;;) {
      if (await r.atEnd()) break;
      const at = r.offset;
      const head = await r.read(4);
      const magic = head.length === 4 ? head.readUInt32LE(0) : -1;
      if (magic === ZSTD_MAGIC) {
        frames++;
        yield* zstdFrame(r, at, hooks, native);
      } else if (magic >= 0 && isSkippable(magic)) {
        const n = (await r.readExact(4, 'zstd skippable frame size')).readUInt32LE(0);
        if ((await r.skip(n)) < n) throw new TruncatedError(`zstd skippable frame at offset ${at} is cut short`, at);
        skippable++;
      } else if (frames + skippable === 0) {
        throw new FormatError('not a zstd stream', at);
      } else if (head.length < 4) {
        throw new TruncatedError(`zstd file ends with ${head.length} bytes that are not a whole frame magic`, at);
      } else {
        throw new FormatError(`data at offset ${at} after the last zstd frame is not a frame (zstd -d refuses it: "unsupported format")`, at);
      }
    }
    if (frames + skippable === 0) throw new TruncatedError('zstd file is empty', 0);
  } finally {
    hooks.info.frames = frames;
    if (skippable) hooks.info.skippableFrames = skippable;
    await r.close();
  }
}

async function* zstdFrame(r: StreamReader, start: number, hooks: MemberHooks, native: NativeMember | null): AsyncGenerator<Buffer> {
  // Frame header (RFC 8878 §3.1.1.1): descriptor, window descriptor unless single segment, dictionary id, content size.
  const fhd = (await r.readExact(1, 'zstd frame header'))[0];
  if (fhd & 0x08) throw new FormatError(`reserved bit set in the zstd frame header at offset ${start}`, start);
  const single = (fhd >> 5) & 1;
  const hasChecksum = (fhd >> 2) & 1;
  const didSize = [0, 1, 2, 4][fhd & 3];
  const fcsSize = [single, 2, 4, 8][fhd >> 6];
  const rest = await r.readExact((single ? 0 : 1) + didSize + fcsSize, 'zstd frame header');
  let p = single ? 0 : 1;
  const dictId = didSize ? rest.readUIntLE(p, didSize) : 0;
  p += didSize;
  let contentSize: number | undefined;
  if (fcsSize === 1) contentSize = rest[p];
  else if (fcsSize === 2) contentSize = rest.readUInt16LE(p) + 256;
  else if (fcsSize === 4) contentSize = rest.readUInt32LE(p);
  else if (fcsSize === 8) contentSize = Number(rest.readBigUInt64LE(p));
  let window: number;
  if (single) window = contentSize ?? 0;
  else {
    const base = 2 ** (10 + (rest[0] >> 3));
    window = base + (base / 8) * (rest[0] & 7);
  }
  if (dictId) throw new FormatError(`zstd frame at offset ${start} needs dictionary ${dictId}, which the file does not carry`, start, 'unsupported');
  if (window > ZSTD_MAX_WINDOW) {
    throw new FormatError(
      `zstd frame at offset ${start} needs a ${Math.ceil(window / 2 ** 20)} MiB window; like zstd -d without --memory, romscope decodes windows up to ${ZSTD_MAX_WINDOW / 2 ** 20} MiB`,
      start,
      'unsupported',
    );
  }
  const blockMax = Math.min(window, BLOCK_MAX);
  if (contentSize !== undefined) hooks.info.contentSize = ((hooks.info.contentSize as number | undefined) ?? 0) + contentSize;
  if (hasChecksum) hooks.info.contentChecksum = true;
  const blocks = frameDecoder(native, start, fhd, rest, window);
  const h64 = hasChecksum ? xxhashApi().create64(0n) : null;
  let produced = 0;
  for (;;) {
    // Block header (§3.1.1.2): bit 0 last block, bits 1-2 type (raw, RLE, compressed, reserved), then the size.
    const at = r.offset;
    const bh = await r.readExact(3, 'zstd block header');
    const v = bh[0] | (bh[1] << 8) | (bh[2] << 16);
    const type = (v >> 1) & 3;
    const size = v >>> 3;
    if (type === 3) throw new FormatError(`zstd block at offset ${at} has the reserved block type`, at);
    if (size > blockMax) throw new FormatError(`zstd block at offset ${at} holds ${size} bytes, more than the frame's ${blockMax}-byte block maximum`, at);
    const data = await r.readExact(type === 1 ? 1 : size, 'zstd block');
    for (const c of blocks.block(bh, data, at, (v & 1) === 1)) {
      h64?.update(c);
      produced += c.length;
      yield c;
    }
    if (v & 1) break;
  }
  if (h64) {
    const at = r.offset;
    const want = (await r.readExact(4, 'zstd content checksum')).readUInt32LE(0);
    const got = Number(h64.digest() & 0xffffffffn);
    if (want !== got)
      hooks.check(false, `zstd frame at offset ${start}: content checksum ${want.toString(16).padStart(8, '0')}, computed ${got.toString(16).padStart(8, '0')} (low 32 bits of the xxh64 of its output)`, at);
    else hooks.check(true, `zstd frame at offset ${start}: content checksum (xxh64) matches`);
  }
  if (contentSize !== undefined && contentSize !== produced) {
    hooks.check(false, `zstd frame at offset ${start} declares ${contentSize} bytes of content, decoded ${produced}`, start);
  }
}

/** Decodes one frame's blocks, given one at a time (header, data), into output pieces. */
interface FrameDecoder {
  block(header: Buffer, data: Buffer, at: number, last: boolean): Buffer[];
}

/** A member stream's libzstd context and the output buffer its pieces are cut from (each piece its own bytes of it). */
interface NativeMember {
  m: ZstdBinding;
  d: NativeDCtx;
  out: Buffer;
  pos: number;
}

/**
 * The frame's blocks through libzstd when it loads, else fzstd. libzstd is
 * given the frame with its header rewritten to carry neither the content
 * size nor the checksum flag (a single-segment frame gets the window
 * descriptor of the smallest power-of-two window holding its content
 * size): both are verified by the caller, so a mismatch is the same
 * finding whichever decoder runs, not an error that stops the decoding.
 * The block data is the file's own.
 */
function frameDecoder(native: NativeMember | null, start: number, fhd: number, rest: Buffer, window: number): FrameDecoder {
  if (!native) return jsFrameDecoder(start, Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, fhd]), rest]));
  const { m, d } = native;
  const single = (fhd >> 5) & 1;
  const didSize = [0, 1, 2, 4][fhd & 3];
  const wd = single ? Math.max(0, Math.ceil(Math.log2(Math.max(window, 1))) - 10) << 3 : rest[0];
  const did = rest.subarray(single ? 0 : 1, (single ? 0 : 1) + didSize);
  const header = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, fhd & 0x03, wd]), did]);
  d.reset(m.ResetDirective.sessionOnly);
  const feed = (src: Uint8Array, at: number, pieces: Buffer[]): number => {
    let off = 0;
    let hint = 1;
    for (;;) {
      // A block decodes to at most BLOCK_MAX bytes: a new buffer unless more than that is left, so a block's output never fills it.
      if (native.out.length - native.pos <= BLOCK_MAX) {
        native.out = Buffer.allocUnsafe(MEMBER_CHUNK);
        native.pos = 0;
      }
      const room = native.out.length - native.pos;
      let r: [number, number, number];
      try {
        r = d.decompressStream(native.out.subarray(native.pos), src.subarray(off));
      } catch (e) {
        d.reset(m.ResetDirective.sessionOnly);
        throw new FormatError(`corrupt zstd block at offset ${at} (libzstd: ${nativeMessage(e)})`, at);
      }
      if (r[1] || r[2]) hint = r[0];
      off += r[2];
      if (r[1]) pieces.push(native.out.subarray(native.pos, native.pos + r[1]));
      native.pos += r[1];
      if (off >= src.length && r[1] < room) return hint;
    }
  };
  feed(header, start, []);
  return {
    block(bh, data, at, last) {
      const pieces: Buffer[] = [];
      feed(bh, at, pieces);
      const hint = feed(data, at, pieces);
      // libzstd read the same block structure: the frame ends with its last block, not before.
      if (last !== (hint === 0)) throw new FormatError(`corrupt zstd block at offset ${at} (libzstd ${last ? 'expects more of the frame after its last block' : 'ends the frame before its last block'})`, at);
      return pieces;
    },
  };
}

function jsFrameDecoder(start: number, header: Buffer): FrameDecoder {
  let out: Buffer[] = [];
  const d = new ZstdDecompress((chunk) => {
    if (chunk.length) out.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
  });
  const push = (b: Uint8Array, at: number) => {
    try {
      d.push(b, false);
    } catch (e) {
      throw new FormatError(`corrupt zstd block at offset ${at} (fzstd: ${(e as Error).message})`, at);
    }
  };
  push(header, start);
  return {
    block(bh, data, at) {
      push(Buffer.concat([bh, data]), at);
      const pieces = out;
      out = [];
      return pieces;
    },
  };
}
