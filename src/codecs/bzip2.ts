/** bzip2 through seek-bzip (pure JavaScript). */
import * as bunzip from 'seek-bzip';
// seek-bzip's decoder class is its CommonJS export itself (export =), which only this import form types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import Bunzip = require('seek-bzip/lib/index');
import { CodecError, tooLarge } from './errors';
import { FormatError, RomscopeError, TruncatedError } from '../io/errors';
import { MEMBER_CHUNK, type MemberHooks } from './member';

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

/** bzip2's CRC-32: polynomial 0x04C11DB7, most significant bit first (not zlib's reflected one). */
const BZ_CRC = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/**
 * Input one bzip2 block at a time never needs more than this ahead of it:
 * a block holds at most 900 000 symbols plus its end symbol, each at most
 * 20 bits long, plus tables and selectors (about 2.3 MB in all). Running
 * past it (a crafted endless run of RUNA symbols) is corrupt data.
 */
const BZ_AHEAD = 3 * 1024 * 1024;

/** A byte source for seek-bzip over a window of the stream that is refilled between blocks. */
class WindowInput {
  buf = Buffer.alloc(0);
  pos = 0;
  /** Stream offset of buf[0]. */
  base = 0;
  eof = false;
  overrun = false;
  private readonly it: AsyncIterator<Buffer>;
  constructor(input: AsyncIterable<Buffer>) {
    this.it = input[Symbol.asyncIterator]();
  }
  get offset(): number {
    return this.base + this.pos;
  }
  async fill(): Promise<void> {
    if (this.buf.length - this.pos >= BZ_AHEAD || this.eof) return;
    const parts: Buffer[] = [this.buf.subarray(this.pos)];
    let n = parts[0].length;
    this.base += this.pos;
    this.pos = 0;
    while (n < BZ_AHEAD) {
      const r = await this.it.next();
      if (r.done) {
        this.eof = true;
        break;
      }
      parts.push(r.value);
      n += r.value.length;
    }
    this.buf = Buffer.concat(parts, n);
  }
  readByte(): number {
    if (this.pos < this.buf.length) return this.buf[this.pos++];
    this.overrun = true;
    return -1;
  }
  read(out: Uint8Array, off: number, len: number): number {
    let i = 0;
    while (i < len && this.pos < this.buf.length) out[off + i++] = this.buf[this.pos++];
    if (i < len) this.overrun = true;
    return i === 0 && len > 0 ? -1 : i;
  }
  seek(): void {
    throw new Error('not seekable');
  }
  async close(): Promise<void> {
    await this.it.return?.();
  }
}

function isBzipHeader(b: Buffer, at: number): boolean {
  return b.length - at >= 4 && b[at] === 0x42 && b[at + 1] === 0x5a && b[at + 2] === 0x68 && b[at + 3] >= 0x31 && b[at + 3] <= 0x39;
}

/**
 * A `.bz2` file decoded as it streams past: bzip2 streams, concatenated, as
 * `bzip2 -d` accepts them (data after the last stream that is not a stream
 * header is ignored, as bzip2 ignores "trailing garbage"). seek-bzip decodes
 * each block (Huffman tables, MTF, BWT); the output walk, each block's CRC
 * and each stream's combined CRC are computed and compared here (seek-bzip
 * would check them too, but only by decoding a whole block's output into
 * memory at once, up to 45 MB for a block of long runs). Memory: the 3 MiB
 * input window and seek-bzip's block buffer (3.6 MB at level 9).
 */
export async function* bzip2MemberStream(input: AsyncIterable<Buffer>, hooks: MemberHooks): AsyncGenerator<Buffer> {
  const src = new WindowInput(input);
  let streams = 0;
  let blocks = 0;
  const failed = (e: unknown, at: number): never => {
    if (e instanceof RomscopeError) throw e;
    if (src.overrun) {
      if (src.eof) throw new TruncatedError(`bzip2 stream ends early, inside the block at offset ${at}`, at);
      throw new FormatError(`bzip2 block at offset ${at} runs on past the ${BZ_AHEAD} bytes any block can take`, at);
    }
    const code = (e as { errorCode?: number }).errorCode;
    if (code === -2) throw new FormatError(`bzip2 block at offset ${at} is randomised (bzip2 0.9.0 and older), which romscope does not decode`, at, 'unsupported');
    throw new FormatError(`corrupt bzip2 data in the block at offset ${at} (seek-bzip: ${(e as Error)?.message ?? e})`, at);
  };
  try {
    for (;;) {
      await src.fill();
      const at = src.offset;
      if (streams > 0) {
        if (src.pos >= src.buf.length) break;
        if (!isBzipHeader(src.buf, src.pos)) {
          // bzip2 -d: "trailing garbage after EOF ignored" (exit 0), unless it begins like a header.
          if (
            src.buf.length - src.pos < 4 &&
            src.eof &&
            Buffer.from('BZh')
              .subarray(0, src.buf.length - src.pos)
              .equals(src.buf.subarray(src.pos))
          ) {
            throw new TruncatedError(`bzip2 stream header at offset ${at} is cut short`, at);
          }
          let n = src.buf.length - src.pos;
          src.pos = src.buf.length;
          while (!src.eof) {
            await src.fill();
            n += src.buf.length - src.pos;
            src.pos = src.buf.length;
          }
          hooks.info.trailingBytes = n;
          break;
        }
      } else if (!isBzipHeader(src.buf, src.pos)) {
        throw src.buf.length - src.pos < 4 && src.eof ? new TruncatedError('bzip2 file ends inside its header', 0) : new FormatError('not a bzip2 stream', 0);
      }
      let bz: Bunzip;
      try {
        bz = new Bunzip(src, null);
      } catch (e) {
        failed(e, at);
      }
      streams++;
      let combined = 0;
      let blockFailed = false;
      for (;;) {
        await src.fill();
        const blockAt = src.offset;
        let more: boolean;
        try {
          more = bz!._get_next_block();
        } catch (e) {
          failed(e, blockAt);
        }
        if (src.overrun) failed(null, blockAt);
        if (!more!) break;
        blocks++;
        // The output walk of the BWT-sorted block, then the RLE1 runs (four equal bytes and a count).
        const dbuf = bz!.dbuf;
        let pos = bz!.writePos;
        let current = bz!.writeCurrent;
        let count = bz!.writeCount;
        let run = bz!.writeRun;
        let crc = 0xffffffff;
        let out = Buffer.allocUnsafe(MEMBER_CHUNK);
        let o = 0;
        while (count) {
          count--;
          const previous = current;
          pos = dbuf[pos];
          current = pos & 0xff;
          pos >>>= 8;
          let copies = 1;
          let byte = current;
          if (run++ === 3) {
            copies = current;
            byte = previous;
            current = -1;
          }
          while (copies--) {
            crc = (crc << 8) ^ BZ_CRC[((crc >>> 24) ^ byte) & 0xff];
            out[o++] = byte;
            if (o === out.length) {
              yield out;
              out = Buffer.allocUnsafe(MEMBER_CHUNK);
              o = 0;
            }
          }
          if (current !== previous) run = 0;
        }
        if (o) yield out.subarray(0, o);
        crc = ~crc >>> 0;
        const want = bz!.targetBlockCRC >>> 0;
        if (crc !== want) blockFailed = true;
        if (crc !== want) hooks.check(false, `bzip2 block at offset ${blockAt} (bit-aligned; the byte it starts in): CRC ${want.toString(16).padStart(8, '0')}, computed ${crc.toString(16).padStart(8, '0')}`, blockAt);
        combined = (((combined << 1) | (combined >>> 31)) ^ crc) >>> 0;
      }
      const crcAt = src.offset;
      const stored = bz!.reader.read(32) >>> 0;
      if (src.overrun) throw new TruncatedError(`bzip2 stream ends inside its end-of-stream marker at offset ${crcAt}`, crcAt);
      if (stored !== combined) hooks.check(false, `bzip2 stream ${streams}: combined CRC ${stored.toString(16).padStart(8, '0')}, computed ${combined.toString(16).padStart(8, '0')} from its blocks`, crcAt);
      else if (!blockFailed) hooks.check(true, `bzip2 stream ${streams}: every block CRC and the combined stream CRC match`);
    }
  } finally {
    hooks.info.streams = streams;
    hooks.info.blocks = blocks;
    await src.close();
  }
}
