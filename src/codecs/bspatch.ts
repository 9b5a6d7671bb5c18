/**
 * bspatch: applies a bsdiff patch (FORMATS.md §6.2; the format of Colin
 * Percival's bsdiff 4 and of Android's bsdiff library, which update_engine
 * uses for BSDIFF, SOURCE_BSDIFF and BROTLI_BSDIFF operations).
 *
 * Two headers are read, both 32 bytes:
 *
 * - `BSDIFF40`, then three signed 64-bit integers: the compressed size of the
 *   control stream, that of the diff stream, and the size of the new file.
 *   The control, diff and extra streams follow, each compressed with bzip2.
 * - `BSDF2` and three bytes naming how the control, diff and extra streams
 *   are compressed (0 none, 1 bzip2, 2 brotli), then the same three integers.
 *
 * Integers are stored as sign and magnitude: 63 bits little-endian and the
 * top bit of the last byte as the sign. The control stream is a list of
 * triples (x, y, z): add x bytes of the diff stream to x bytes of the old
 * data from the old position; copy y bytes of the extra stream; move the
 * old position by z (which may be negative). Old bytes outside the old data
 * add nothing, as in bspatch.
 *
 * Memory: the diff and extra streams are decoded whole (each at most the new
 * size); the old data is read through a reader a piece at a time and the
 * new data is produced a piece at a time, so neither is ever whole in memory.
 */
import { brotliDecompressSync, constants as zlibConstants } from 'node:zlib';
import { bzip2Whole } from './bzip2';
import { CodecError } from './errors';

export const BSDIFF40_MAGIC = 'BSDIFF40';
export const BSDF2_MAGIC = 'BSDF2';
export const BSPATCH_HEADER = 32;
/** Largest decoded control stream read (24 bytes per entry). */
export const MAX_CONTROL_BYTES = 64 * 1024 * 1024;
/** Output and old reads are done in pieces of at most this many bytes. */
const PIECE = 1 << 20;

export type StreamCompression = 'none' | 'bzip2' | 'brotli';
const BSDF2_KINDS: StreamCompression[] = ['none', 'bzip2', 'brotli'];

export interface BspatchHeader {
  format: 'BSDIFF40' | 'BSDF2';
  /** How the control, diff and extra streams are compressed. */
  compression: [StreamCompression, StreamCompression, StreamCompression];
  controlLength: number;
  diffLength: number;
  newSize: number;
}

/** Sign-and-magnitude 64-bit integer (bsdiff's `offtin`), as a number; past 2^53 it is refused. */
export function readOfft(b: Uint8Array, at: number): number {
  const v = Buffer.from(b.buffer, b.byteOffset + at, 8);
  const lo = v.readUInt32LE(0);
  const hi = v.readUInt32LE(4);
  const mag = (hi & 0x7fffffff) * 2 ** 32 + lo;
  if ((hi & 0x7fffffff) >= 0x200000) throw new CodecError(`bsdiff patch: the integer at byte ${at} is larger than 2^53`);
  return hi & 0x80000000 ? -mag : mag;
}

/** Encodes a bsdiff integer (for builders and tests). */
export function writeOfft(n: number): Buffer {
  const b = Buffer.alloc(8);
  const mag = Math.abs(n);
  b.writeUInt32LE(mag % 2 ** 32, 0);
  b.writeUInt32LE(Math.floor(mag / 2 ** 32) + (n < 0 ? 0x80000000 : 0), 4);
  return b;
}

export function parseBspatchHeader(patch: Uint8Array): BspatchHeader {
  if (patch.length < BSPATCH_HEADER) throw new CodecError(`bsdiff patch: ${patch.length} bytes, shorter than its 32-byte header`);
  const magic8 = Buffer.from(patch.buffer, patch.byteOffset, 8).toString('latin1');
  let format: BspatchHeader['format'];
  let compression: BspatchHeader['compression'];
  if (magic8 === BSDIFF40_MAGIC) {
    format = 'BSDIFF40';
    compression = ['bzip2', 'bzip2', 'bzip2'];
  } else if (magic8.startsWith(BSDF2_MAGIC)) {
    format = 'BSDF2';
    const kinds = [patch[5], patch[6], patch[7]].map((k, i) => {
      const c = BSDF2_KINDS[k];
      if (!c) throw new CodecError(`bsdiff patch: BSDF2 ${['control', 'diff', 'extra'][i]} stream compression ${k} is not 0 (none), 1 (bzip2) or 2 (brotli)`);
      return c;
    });
    compression = kinds as BspatchHeader['compression'];
  } else throw new CodecError(`bsdiff patch: the magic is ${JSON.stringify(magic8)}, not BSDIFF40 or BSDF2`);
  const controlLength = readOfft(patch, 8);
  const diffLength = readOfft(patch, 16);
  const newSize = readOfft(patch, 24);
  if (controlLength < 0 || diffLength < 0 || newSize < 0) throw new CodecError(`bsdiff patch: negative length in the header (control ${controlLength}, diff ${diffLength}, new size ${newSize})`);
  if (BSPATCH_HEADER + controlLength + diffLength > patch.length) {
    throw new CodecError(`bsdiff patch: the header says ${controlLength} + ${diffLength} bytes of control and diff streams, the patch has ${patch.length - BSPATCH_HEADER} after its header`);
  }
  return { format, compression, controlLength, diffLength, newSize };
}

function decodeStreamWhole(kind: StreamCompression, data: Uint8Array, maxOut: number, what: string): Buffer {
  try {
    if (kind === 'none') {
      if (data.length > maxOut) throw new CodecError(`${data.length} bytes, more than the ${maxOut} it may hold`);
      return Buffer.from(data.buffer, data.byteOffset, data.length);
    }
    if (kind === 'bzip2') {
      const out = bzip2Whole(data, maxOut);
      return Buffer.from(out.buffer, out.byteOffset, out.length);
    }
    return brotliDecompressSync(data, { maxOutputLength: Math.max(1, maxOut), finishFlush: zlibConstants.BROTLI_OPERATION_FINISH });
  } catch (e) {
    const msg = (e as Error).message;
    throw new CodecError(
      `bsdiff patch: the ${what} stream (${kind}) does not decode: ${/Cannot create a Buffer larger|maxOutputLength|ERR_BUFFER_TOO_LARGE/.test(msg) ? `it decodes to more than the ${maxOut} bytes it may hold` : msg}`,
    );
  }
}

/** The three streams of a patch, decoded. */
export interface DecodedPatch {
  header: BspatchHeader;
  control: Buffer;
  diff: Buffer;
  extra: Buffer;
}

export function decodePatch(patch: Uint8Array, expectNewSize?: number): DecodedPatch {
  const header = parseBspatchHeader(patch);
  if (expectNewSize !== undefined && header.newSize !== expectNewSize) {
    throw new CodecError(`bsdiff patch: its header says the new data is ${header.newSize} bytes, the operation writes ${expectNewSize}`);
  }
  const c0 = BSPATCH_HEADER;
  const d0 = c0 + header.controlLength;
  const e0 = d0 + header.diffLength;
  const sub = (a: number, b: number) => patch.subarray(a, b);
  const control = decodeStreamWhole(header.compression[0], sub(c0, d0), Math.min(MAX_CONTROL_BYTES, 24 * (header.newSize + 1) + 24 * 1024), 'control');
  if (control.length % 24 !== 0) throw new CodecError(`bsdiff patch: the control stream is ${control.length} bytes, not a whole number of 24-byte entries`);
  const diff = decodeStreamWhole(header.compression[1], sub(d0, e0), header.newSize, 'diff');
  const extra = decodeStreamWhole(header.compression[2], sub(e0, patch.length), header.newSize, 'extra');
  return { header, control, diff, extra };
}

/** One step of the patch: `diff` bytes added to old bytes from `oldPos`, or `extra` bytes copied. */
type Step = { kind: 'diff'; from: number; length: number; oldPos: number } | { kind: 'extra'; from: number; length: number };

/** The patch's steps in order, each checked against what the streams hold and the new size. */
function* steps(p: DecodedPatch): Generator<Step> {
  const { control, diff, extra, header } = p;
  let newPos = 0;
  let oldPos = 0;
  let diffPos = 0;
  let extraPos = 0;
  for (let c = 0; newPos < header.newSize; c += 24) {
    if (c + 24 > control.length) throw new CodecError(`bsdiff patch: the control stream ends (${control.length / 24} entries) with ${header.newSize - newPos} of the ${header.newSize} new bytes not written`);
    const x = readOfft(control, c);
    const y = readOfft(control, c + 8);
    const z = readOfft(control, c + 16);
    const entry = `control entry ${c / 24}`;
    if (x < 0 || y < 0) throw new CodecError(`bsdiff patch: ${entry} has a negative length (${x < 0 ? x : y})`);
    if (newPos + x > header.newSize) throw new CodecError(`bsdiff patch: ${entry} adds ${x} bytes at new position ${newPos}, past the new size ${header.newSize}`);
    if (diffPos + x > diff.length) throw new CodecError(`bsdiff patch: ${entry} needs ${x} diff bytes from ${diffPos}, the diff stream has ${diff.length}`);
    if (x > 0) yield { kind: 'diff', from: diffPos, length: x, oldPos };
    newPos += x;
    oldPos += x;
    diffPos += x;
    if (newPos + y > header.newSize) throw new CodecError(`bsdiff patch: ${entry} copies ${y} extra bytes at new position ${newPos}, past the new size ${header.newSize}`);
    if (extraPos + y > extra.length) throw new CodecError(`bsdiff patch: ${entry} needs ${y} extra bytes from ${extraPos}, the extra stream has ${extra.length}`);
    if (y > 0) yield { kind: 'extra', from: extraPos, length: y };
    newPos += y;
    extraPos += y;
    oldPos += z;
    if (!Number.isSafeInteger(oldPos)) throw new CodecError(`bsdiff patch: ${entry} moves the old position out of range`);
  }
}

/** Adds old bytes [oldPos, oldPos + out.length) that lie inside the old data to `out`. */
function addOld(out: Buffer, oldPos: number, old: Uint8Array, oldStart: number): void {
  // `old` holds the old data from oldStart; out[i] pairs with old position oldPos + i.
  for (let i = 0; i < out.length; i++) {
    const j = oldPos + i - oldStart;
    if (j >= 0 && j < old.length) out[i] = (out[i] + old[j]) & 0xff;
  }
}

/** Reads `length` old bytes from `offset` (inside the old data). */
export type OldReader = (offset: number, length: number) => Uint8Array | Promise<Uint8Array>;

/**
 * Applies a patch, reading the old data through `old` and yielding the new
 * data in pieces (together `newSize` bytes; a patch whose header says
 * otherwise is refused). Throws CodecError for a patch that does not apply.
 */
export async function* bspatch(old: OldReader, oldSize: number, patch: Uint8Array, newSize: number): AsyncGenerator<Buffer> {
  const p = decodePatch(patch, newSize);
  for (const s of steps(p)) {
    for (let done = 0; done < s.length; done += PIECE) {
      const n = Math.min(PIECE, s.length - done);
      if (s.kind === 'extra') {
        yield Buffer.from(p.extra.subarray(s.from + done, s.from + done + n));
        continue;
      }
      const out = Buffer.from(p.diff.subarray(s.from + done, s.from + done + n));
      const a = Math.max(0, s.oldPos + done);
      const b = Math.min(oldSize, s.oldPos + done + n);
      if (a < b) {
        const got = await old(a, b - a);
        if (got.length !== b - a) throw new CodecError(`bsdiff patch: the old data reader gave ${got.length} bytes at ${a}, not ${b - a}`);
        addOld(out, s.oldPos + done, got, a);
      }
      yield out;
    }
  }
}

/** Applies a patch to old data in memory: the new data, whole (the size the patch's header gives). */
export function bspatchBuffer(old: Uint8Array, patch: Uint8Array): Buffer {
  const p = decodePatch(patch);
  const out = Buffer.alloc(p.header.newSize);
  let at = 0;
  for (const s of steps(p)) {
    if (s.kind === 'extra') p.extra.copy(out, at, s.from, s.from + s.length);
    else {
      const piece = out.subarray(at, at + s.length);
      p.diff.copy(piece, 0, s.from, s.from + s.length);
      addOld(piece, s.oldPos, old, 0);
    }
    at += s.length;
  }
  return out;
}
