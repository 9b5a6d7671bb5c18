/**
 * Random access into an LZ4 frame of independent blocks, so the image it
 * holds (a Samsung `super.img.lz4`: a sparse image whose LP metadata and file
 * systems are read at random) is decoded where it is read instead of being
 * decompressed whole into a temporary file first.
 *
 * The frame is indexed by hopping from block header to block header (4 bytes
 * read per block, nothing decoded). Every block before the last must decode
 * to the frame's block maximum (the lz4 tool and liblz4 always fill them);
 * the last block is decoded once to learn the decoded size. A frame this does
 * not fit (linked blocks, a dictionary, several frames, anything after the
 * frame, a cut or lying block header) is left to the streaming decoder,
 * which reports what is wrong with it.
 *
 * The checks the streaming decoder makes (block checksums, decoded sizes, the
 * content checksum, the expanded-size budget) are made here on the blocks in
 * order, the first time each is decoded in order by a stream, or by
 * `finish` for those no stream reached; their compressed bytes are then read
 * through `stream` of the source given, so a hashing pass riding on it (a
 * PassTee) sees every byte once.
 */
import type * as Lz4Napi from 'lz4-napi';
import { FormatError, TruncatedError, errorMessage } from '../../io/errors';
import { xxhashApi } from '../../io/hash';
import { scanRange, type RandomSource } from '../../io/source';
import type { DecodeContext, RandomView } from '../types';
import type { Fact } from '../../report/model';

let lz4napi: typeof Lz4Napi | undefined;
/**
 * lz4-napi's block decoder, loaded at the first LZ4 block rather than at start: loading the native
 * module takes 12 to 22 ms, which every command paid, LZ4 or not.
 */
function uncompressSync(data: Buffer, dict?: Buffer): Buffer {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  lz4napi ??= require('lz4-napi') as typeof Lz4Napi;
  return dict ? lz4napi.uncompressSync(data, dict) : lz4napi.uncompressSync(data);
}

/** More blocks than this (a frame of tiny blocks) is left to the streaming decoder. */
const MAX_BLOCKS = 1 << 22;
/** Decoded blocks kept for reads that come back to them. */
const CACHE_BLOCKS = 4;

interface Block {
  /** Offset of its 4-byte header in the frame. */
  at: number;
  len: number;
  stored: boolean;
}

export interface FrameLayout {
  /** Offset of the first block header (after the frame descriptor). */
  first: number;
  max: number;
  blockSums: boolean;
  contentSum: boolean;
  contentSize?: number;
  /** The header checksum fact, when it does not match (made only once the random view is taken). */
  headerFact?: Fact;
}

export class Lz4RandomSource implements RandomView {
  readonly kind = 'random' as const;
  readonly size: number;
  /**
   * A block did not decode, or decoded to a size the view did not expect (a
   * block before the last that is not full): the frame is to be decoded as a
   * stream instead, which reports the damage as it always has, on the frame,
   * with the child cut where the data ends.
   */
  streamInstead = false;
  private readonly cache: { i: number; b: Buffer }[] = [];
  /** The next block whose checks have not been made. */
  private verified = 0;
  private verifying = false;
  private readonly h32: ReturnType<ReturnType<typeof xxhashApi>['create32']> | null;
  /** Reused buffers for compressed blocks: the in-order checks', and reads at random. */
  private raw = Buffer.alloc(0);
  private scratch = Buffer.alloc(0);
  /** What stopped the checks (reported once by finish). */
  private failed: Error | null = null;

  private constructor(
    readonly name: string,
    private readonly src: RandomSource,
    private readonly layout: FrameLayout,
    private readonly blocks: Block[],
    /** Offset of the end mark. */
    private readonly endAt: number,
    lastLength: number,
    private readonly ctx: DecodeContext,
  ) {
    this.size = (blocks.length - 1) * layout.max + lastLength;
    this.h32 = layout.contentSum ? xxhashApi().create32(0) : null;
  }

  /**
   * The random view of the frame in `src` (whose frame descriptor `layout`
   * describes), or null when the frame does not fit it (see above).
   */
  static async open(name: string, src: RandomSource, layout: FrameLayout, ctx: DecodeContext): Promise<Lz4RandomSource | null> {
    const blocks: Block[] = [];
    const extra = layout.blockSums ? 4 : 0;
    let pos = layout.first;
    for (;;) {
      const h = await src.read(pos, 4);
      if (h.length < 4) return null;
      const word = h.readUInt32LE(0);
      if (word === 0) break;
      const len = word & 0x7fffffff;
      if (len > layout.max || blocks.length >= MAX_BLOCKS) return null;
      blocks.push({ at: pos, len, stored: (word & 0x80000000) !== 0 });
      pos += 4 + len + extra;
      if (pos > src.size) return null;
    }
    if (blocks.length === 0 || pos + 4 + (layout.contentSum ? 4 : 0) !== src.size) return null;
    const last = blocks[blocks.length - 1];
    let lastLength: number;
    if (last.stored) lastLength = last.len;
    else {
      try {
        const framed = Buffer.from(await src.read(last.at, 4 + last.len));
        if (framed.length < 4 + last.len) return null;
        lastLength = decodeFramed(framed, layout.max, last.at).length;
      } catch {
        return null;
      }
    }
    if (blocks.slice(0, -1).some((b) => b.stored && b.len !== layout.max)) return null;
    const r = new Lz4RandomSource(name, src, layout, blocks, pos, lastLength, ctx);
    if (layout.contentSize !== undefined && layout.contentSize !== r.size) return null;
    if (layout.headerFact) ctx.fact(layout.headerFact);
    return r;
  }

  /**
   * Block `i`'s decoded bytes, from `framed`: its 4-byte header then its
   * data (the header is overwritten: lz4-napi takes the bound there).
   */
  private decoded(i: number, framed: Buffer): Buffer {
    const b = this.blocks[i];
    const out = b.stored ? Buffer.from(framed.subarray(4)) : decodeFramed(framed, this.layout.max, b.at);
    const want = i === this.blocks.length - 1 ? this.size - i * this.layout.max : this.layout.max;
    if (out.length !== want) {
      throw new FormatError(`LZ4 block at offset ${b.at} decodes to ${out.length} bytes where ${want} were expected (a block before the last that is not full)`, b.at);
    }
    return out;
  }

  private cached(i: number): Buffer | undefined {
    return this.cache.find((c) => c.i === i)?.b;
  }

  private keep(i: number, b: Buffer): void {
    if (this.cached(i)) return;
    this.cache.push({ i, b });
    if (this.cache.length > CACHE_BLOCKS) this.cache.shift();
  }

  /** Stops a read once the view is given up, and gives it up when what `fn` decodes fails. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    if (this.streamInstead) throw new FormatError('LZ4 frame read at random was given up for a stream decode', 0);
    try {
      return await fn();
    } catch (e) {
      this.streamInstead = true;
      throw e;
    }
  }

  /** Block `i` decoded, without its checks (a read at random). */
  private block(i: number): Promise<Buffer> {
    return this.guard(() => this.blockNow(i));
  }

  private async blockNow(i: number): Promise<Buffer> {
    const hit = this.cached(i);
    if (hit) return hit;
    const b = this.blocks[i];
    const data = await this.src.read(b.at, 4 + b.len);
    if (data.length < 4 + b.len) throw new TruncatedError(`LZ4 block at offset ${b.at} is cut short`, b.at);
    // Copied: a read may lend the source's own bytes, and decoding overwrites the header.
    if (this.scratch.length < data.length) this.scratch = Buffer.allocUnsafeSlow(data.length);
    data.copy(this.scratch);
    const out = this.decoded(i, this.scratch.subarray(0, data.length));
    this.keep(i, out);
    return out;
  }

  /**
   * Block `i` (the next one to check) read in order through the source's
   * stream, checked and decoded: its checksum, its size, the content
   * checksum after the last one.
   */
  private checkNext(): Promise<Buffer> {
    return this.guard(() => this.checkNextNow());
  }

  private async checkNextNow(): Promise<Buffer> {
    const i = this.verified;
    const b = this.blocks[i];
    const end = i + 1 < this.blocks.length ? this.blocks[i + 1].at : this.endAt;
    // One buffer for every block's compressed bytes (fresh memory costs more than the copy into it).
    if (this.raw.length < end - b.at) this.raw = Buffer.allocUnsafeSlow(end - b.at);
    const raw = this.raw.subarray(0, end - b.at);
    let got = 0;
    // Scanned, not streamed: a file or stored member is then read into the read ring's shared slots, which the
    // container's digests riding on this pass take as they are, where a stream's chunks are fresh buffers they copy.
    await scanRange(this.src, b.at, end, (c) => {
      got += c.copy(raw, got);
    });
    if (got < raw.length) throw new TruncatedError(`LZ4 block at offset ${b.at} is cut short`, b.at);
    if (this.layout.blockSums) {
      const want = raw.readUInt32LE(4 + b.len);
      const sum = xxhashApi().h32Raw(raw.subarray(4, 4 + b.len), 0) >>> 0;
      if (want !== sum) this.ctx.fact({ kind: 'lz4-checksum', message: `LZ4 block at offset ${b.at}: checksum ${want.toString(16)}, computed ${sum.toString(16)}`, offset: b.at });
    }
    // A block a read at random has just decoded is not decoded again.
    const out = this.cached(i) ?? this.decoded(i, raw.subarray(0, 4 + b.len));
    this.h32?.update(out);
    this.ctx.budget.chargeExpanded(out.length);
    this.verified++;
    if (this.verified === this.blocks.length) await this.checkEnd();
    return out;
  }

  private async checkEnd(): Promise<void> {
    const tail: Buffer[] = [];
    for await (const c of this.src.stream(this.endAt, this.src.size)) tail.push(Buffer.from(c));
    if (!this.h32) return;
    const t = Buffer.concat(tail);
    const want = t.readUInt32LE(4);
    const sum = this.h32.digest() >>> 0;
    if (want !== sum) this.ctx.fact({ kind: 'lz4-checksum', message: `LZ4 content checksum ${want.toString(16)}, computed ${sum.toString(16)} over the decoded data`, offset: this.endAt + 4 });
    else this.ctx.fact({ kind: 'lz4-checksum-ok', message: 'LZ4 content checksum matches' });
  }

  /** Block `i` for a stream: checked on the way when it is the next to check and no other stream is checking. */
  private async streamed(i: number): Promise<Buffer> {
    if (i !== this.verified || this.verifying || this.failed) return this.block(i);
    this.verifying = true;
    try {
      const out = await this.checkNext();
      this.keep(i, out);
      return out;
    } catch (e) {
      this.failed = e instanceof Error ? e : new Error(String(e));
      throw e;
    } finally {
      this.verifying = false;
    }
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const start = Math.max(0, Math.min(offset, this.size));
    const end = Math.max(start, Math.min(offset + length, this.size));
    const max = this.layout.max;
    const parts: Buffer[] = [];
    for (let pos = start; pos < end;) {
      const i = Math.floor(pos / max);
      const b = await this.block(i);
      const from = pos - i * max;
      const to = Math.min(b.length, end - i * max);
      parts.push(b.subarray(from, to));
      pos += to - from;
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  async *stream(start = 0, end = this.size): AsyncGenerator<Buffer> {
    const s = Math.max(0, Math.min(start, this.size));
    const e = Math.max(s, Math.min(end, this.size));
    const max = this.layout.max;
    for (let pos = s; pos < e;) {
      const i = Math.floor(pos / max);
      const b = await this.streamed(i);
      const from = pos - i * max;
      const to = Math.min(b.length, e - i * max);
      yield from === 0 && to === b.length ? b : b.subarray(from, to);
      pos += to - from;
    }
  }

  /** Makes the checks on the blocks no stream checked (read in order, decoded, dropped); throws what stopped them. */
  async finish(): Promise<void> {
    if (this.failed) throw this.failed;
    while (this.verified < this.blocks.length) {
      try {
        await this.checkNext();
      } catch (e) {
        this.failed = e instanceof Error ? e : new Error(String(e));
        throw e;
      }
    }
  }
}

/**
 * Decodes the block in `framed` after its 4-byte header, which is overwritten
 * with the bound (lz4-napi's size-prepended form, the real length comes
 * back): no copy of the data. `dict` is the history linked blocks need.
 */
export function decodeFramed(framed: Buffer, max: number, at: number, dict: Buffer | null = null): Buffer {
  framed.writeUInt32LE(max, 0);
  let out: Buffer;
  try {
    out = dict && dict.length ? uncompressSync(framed, dict) : uncompressSync(framed);
  } catch (e) {
    throw new FormatError(`corrupt LZ4 block at offset ${at}: ${errorMessage(e)}`, at);
  }
  if (out.length > max) throw new FormatError(`block at offset ${at} decodes to ${out.length} bytes, more than the ${max} allowed`, at);
  return out;
}
