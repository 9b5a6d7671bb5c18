import { phrases, str, decodedTo } from '../summary';
/**
 * LZ4 frame and legacy streams (FORMATS.md §12.2–12.3): Samsung `*.img.lz4`,
 * LZ4 ramdisks. Decoded block by block with lz4-napi, so memory stays at one
 * block plus the 64 KiB history linked blocks need. Header, block and content
 * checksums (xxh32) are verified when the frame declares them.
 */
import { StreamReader } from '../../io/stream-reader';
import { FormatError, TruncatedError } from '../../io/errors';
import { xxhashApi } from '../../io/hash';
import type { DecodeContext, TransformHandler } from '../types';
import type { RandomSource } from '../../io/source';
import { Lz4RandomSource, decodeFramed, type FrameLayout } from './random';

const LZ4_FRAME_MAGIC = 0x184d2204;
const LZ4_LEGACY_MAGIC = 0x184c2102;
const LEGACY_BLOCK = 8 << 20;
/** LZ4_compressBound(8 MiB): a legacy block can never be larger. */
const LEGACY_MAX_COMPRESSED = LEGACY_BLOCK + Math.floor(LEGACY_BLOCK / 255) + 16;
const BLOCK_MAX: Record<number, number> = { 4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20 };
const HISTORY = 64 << 10;

const isSkippable = (m: number) => m >>> 4 === 0x184d2a5;

function decodeBlock(block: Buffer, max: number, dict: Buffer | null, at: number): Buffer {
  const framed = Buffer.allocUnsafe(4 + block.length);
  block.copy(framed, 4);
  return decodeFramed(framed, max, at, dict);
}

export interface Lz4Info {
  variant?: 'frame' | 'legacy';
  frames?: number;
  blockMaxSize?: number;
  linkedBlocks?: boolean;
  blockChecksums?: boolean;
  contentChecksum?: boolean;
  contentSize?: number;
}

async function* decodeFrame(r: StreamReader, ctx: DecodeContext, info: Record<string, unknown>): AsyncGenerator<Buffer> {
  const start = r.offset - 4;
  const flg = (await r.readExact(1, 'LZ4 frame descriptor'))[0];
  const bd = (await r.readExact(1, 'LZ4 frame descriptor'))[0];
  if (flg >> 6 !== 1) throw new FormatError(`unsupported LZ4 frame version ${flg >> 6} at offset ${start}`, start);
  if (flg & 0x02 || bd & 0x8f) throw new FormatError(`reserved bits set in LZ4 frame descriptor at offset ${start}`, start);
  const max = BLOCK_MAX[(bd >> 4) & 7];
  if (!max) throw new FormatError(`invalid LZ4 block maximum size code ${(bd >> 4) & 7} at offset ${start}`, start);
  const linked = !(flg & 0x20);
  const blockSums = !!(flg & 0x10);
  const hasSize = !!(flg & 0x08);
  const contentSum = !!(flg & 0x04);
  const hasDict = !!(flg & 0x01);
  const extra = await r.readExact((hasSize ? 8 : 0) + (hasDict ? 4 : 0) + 1, 'LZ4 frame descriptor');
  const desc = Buffer.concat([Buffer.from([flg, bd]), extra.subarray(0, extra.length - 1)]);
  const hc = (xxhashApi().h32Raw(desc, 0) >>> 8) & 0xff;
  if (hc !== extra[extra.length - 1]) {
    ctx.fact({ kind: 'lz4-checksum', message: `LZ4 frame header checksum is ${extra[extra.length - 1]}, computed ${hc}`, offset: start });
  }
  const contentSize = hasSize ? Number(extra.readBigUInt64LE(0)) : undefined;
  if (hasDict) throw new FormatError(`LZ4 frame at offset ${start} needs an external dictionary`, start);
  Object.assign(info, { blockMaxSize: max, linkedBlocks: linked, blockChecksums: blockSums, contentChecksum: contentSum });
  if (contentSize !== undefined) info.contentSize = ((info.contentSize as number) ?? 0) + contentSize;

  const h32 = contentSum ? xxhashApi().create32(0) : null;
  let history: Buffer | null = null;
  let produced = 0;
  for (;;) {
    const at = r.offset;
    const word = (await r.readExact(4, 'LZ4 block header')).readUInt32LE(0);
    if (word === 0) break;
    const stored = (word & 0x80000000) !== 0;
    const len = word & 0x7fffffff;
    if (len > max) throw new FormatError(`LZ4 block at offset ${at} claims ${len} bytes, more than the frame's ${max}-byte blocks`, at);
    const data = await r.readExact(len, 'LZ4 block');
    if (blockSums) {
      const want = (await r.readExact(4, 'LZ4 block checksum')).readUInt32LE(0);
      const got = xxhashApi().h32Raw(data, 0) >>> 0;
      if (want !== got) ctx.fact({ kind: 'lz4-checksum', message: `LZ4 block at offset ${at}: checksum ${want.toString(16)}, computed ${got.toString(16)}`, offset: at });
    }
    const out: Buffer = stored ? Buffer.from(data) : decodeBlock(data, max, linked ? history : null, at);
    if (linked) history = out.length >= HISTORY ? out.subarray(out.length - HISTORY) : Buffer.concat(history ? [history, out] : [out]).subarray(-HISTORY);
    h32?.update(out);
    produced += out.length;
    ctx.budget.chargeExpanded(out.length);
    yield out;
  }
  if (h32) {
    const want = (await r.readExact(4, 'LZ4 content checksum')).readUInt32LE(0);
    const got = h32.digest() >>> 0;
    if (want !== got) ctx.fact({ kind: 'lz4-checksum', message: `LZ4 content checksum ${want.toString(16)}, computed ${got.toString(16)} over the decoded data`, offset: r.offset - 4 });
    else ctx.fact({ kind: 'lz4-checksum-ok', message: 'LZ4 content checksum matches' });
  }
  if (contentSize !== undefined && contentSize !== produced) {
    ctx.fact({ kind: 'lz4-checksum', message: `LZ4 frame declares ${contentSize} bytes of content, decoded ${produced}`, offset: start });
  }
}

async function* decodeLegacy(r: StreamReader, ctx: DecodeContext): AsyncGenerator<Buffer> {
  for (;;) {
    const peek = await r.peek(4);
    if (peek.length === 0) return;
    if (peek.length < 4) throw new TruncatedError(`LZ4 legacy stream ends inside a block header at offset ${r.offset}`, r.offset);
    const word = peek.readUInt32LE(0);
    // A new frame (or legacy stream) may follow; the caller picks it up.
    if (word === LZ4_FRAME_MAGIC || word === LZ4_LEGACY_MAGIC || isSkippable(word)) return;
    const at = r.offset;
    await r.readExact(4);
    if (word > LEGACY_MAX_COMPRESSED) throw new FormatError(`LZ4 legacy block at offset ${at} claims ${word} bytes, more than any 8 MiB block can compress to`, at);
    const data = await r.readExact(word, 'LZ4 legacy block');
    const out = decodeBlock(data, LEGACY_BLOCK, null, at);
    ctx.budget.chargeExpanded(out.length);
    yield out;
  }
}

async function* decodeLz4(input: AsyncIterable<Buffer>, ctx: DecodeContext, info: Record<string, unknown>): AsyncGenerator<Buffer> {
  const r = new StreamReader(input);
  let frames = 0;
  try {
    for (;;) {
      if (await r.atEnd()) break;
      const at = r.offset;
      const head = await r.read(4);
      const magic = head.length === 4 ? head.readUInt32LE(0) : -1;
      if (magic === LZ4_FRAME_MAGIC) {
        info.variant ??= 'frame';
        frames++;
        yield* decodeFrame(r, ctx, info);
      } else if (magic === LZ4_LEGACY_MAGIC) {
        info.variant ??= 'legacy';
        frames++;
        yield* decodeLegacy(r, ctx);
      } else if (magic >= 0 && isSkippable(magic)) {
        const n = (await r.readExact(4, 'skippable frame size')).readUInt32LE(0);
        if ((await r.skip(n)) < n) throw new TruncatedError(`LZ4 skippable frame at offset ${at} is cut short`, at);
      } else if (frames > 0) {
        // The lz4 CLI ignores what follows the last frame; so do we, but say so.
        const rest = head.length + (await r.skip(Infinity));
        info.trailingBytes = rest;
        break;
      } else {
        throw new FormatError('not an LZ4 stream', at);
      }
    }
  } finally {
    info.frames = frames;
    await r.close();
  }
}

/**
 * The frame at the start of `src` read at random (Lz4RandomSource), or null
 * when it is not one frame of independent blocks and nothing else: the
 * streaming decoder takes it then. Facts are made only when the random view
 * is taken, so none is made twice.
 */
async function randomView(src: RandomSource, ctx: DecodeContext, info: Record<string, unknown>, name: string): Promise<Lz4RandomSource | null> {
  const head = await src.read(0, 19);
  if (head.length < 7 || head.readUInt32LE(0) !== LZ4_FRAME_MAGIC) return null;
  const flg = head[4];
  const bd = head[5];
  if (flg >> 6 !== 1 || flg & 0x02 || bd & 0x8f || !(flg & 0x20) || flg & 0x01) return null;
  const max = BLOCK_MAX[(bd >> 4) & 7];
  if (!max) return null;
  const hasSize = !!(flg & 0x08);
  const descEnd = 6 + (hasSize ? 8 : 0);
  if (head.length < descEnd + 1) return null;
  const hc = (xxhashApi().h32Raw(head.subarray(4, descEnd), 0) >>> 8) & 0xff;
  const layout: FrameLayout = {
    first: descEnd + 1,
    max,
    blockSums: !!(flg & 0x10),
    contentSum: !!(flg & 0x04),
    ...(hasSize ? { contentSize: Number(head.readBigUInt64LE(6)) } : {}),
    ...(hc !== head[descEnd] ? { headerFact: { kind: 'lz4-checksum' as const, message: `LZ4 frame header checksum is ${head[descEnd]}, computed ${hc}`, offset: 0 } } : {}),
  };
  const r = await Lz4RandomSource.open(name, src, layout, ctx);
  if (!r) return null;
  // The keys in the order the stream decoder sets them.
  Object.assign(info, { variant: 'frame', blockMaxSize: max, linkedBlocks: false, blockChecksums: layout.blockSums, contentChecksum: layout.contentSum });
  if (layout.contentSize !== undefined) info.contentSize = layout.contentSize;
  info.frames = 1;
  return r;
}

export const lz4Handler: TransformHandler = {
  id: 'lz4',
  summary: (i) => phrases(str(i.variant), ...decodedTo(i)),
  kind: 'transform',
  traits: { role: 'compression', confidence: 'magic', kernelRamdisk: true },
  description: 'LZ4 compressed stream (frame or legacy format)',
  detect: ({ peek }) => {
    if (peek.length < 4) return false;
    const m = peek.readUInt32LE(0);
    return m === LZ4_FRAME_MAGIC || m === LZ4_LEGACY_MAGIC || isSkippable(m);
  },
  childName: (name) => (/\.lz4$/i.test(name) ? name.slice(0, -4) : name),
  transform: (input, ctx, info) => decodeLz4(input, ctx, info),
  random: (src, ctx, info, name) => randomView(src, ctx, info, name),
};
