/**
 * LZ4DIFF patches (A/B payloads' LZ4DIFF_BSDIFF and LZ4DIFF_PUFFDIFF
 * operations, minor version 9), our own code after update_engine's
 * lz4diff/lz4diff.proto, lz4diff_format.h, lz4patch.cc and
 * lz4diff_compress.cc:
 *
 *   "LZ4DIFF" (7 bytes), at offset 7 a u32 BE version (1), at 11 a u32 BE
 *   header size, one unused byte (update_engine's fixed header is 16 bytes,
 *   its fields end at 15), at 16 an Lz4diffHeader protobuf of that size,
 *   then the inner patch.
 *
 *   Lz4diffHeader        { CompressionInfo src_info = 1; CompressionInfo dst_info = 2; InnerPatchType inner_type = 3 (BSDIFF 0, PUFFDIFF 1) }
 *   CompressionInfo      { CompressionAlgorithm algo = 1; repeated CompressedBlockInfo block_info = 2; bool zero_padding_enabled = 3 }
 *   CompressionAlgorithm { Type type = 1 (UNCOMPRESSED 0, LZ4 1, LZ4HC 2); int32 level = 2 }
 *   CompressedBlockInfo  { uint64 uncompressed_offset = 1; uint64 uncompressed_length = 2; uint64 compressed_length = 3;
 *                          bytes sha256_hash = 4; bytes postfix_bspatch = 5 }
 *
 * Applying, as update_engine does: the operation's source bytes are the
 * source blocks back to back (a block whose compressed length is not below
 * its uncompressed length is stored as is; the others are raw LZ4 blocks,
 * after leading zero bytes when zero padding is on, as EROFS writes them),
 * decoded into the decompressed source; the inner patch (bsdiff or puffin)
 * makes the decompressed target; each target block is recompressed with
 * liblz4's LZ4_compress_destSize (LZ4_compress_HC_destSize for LZ4HC) into exactly its compressed length (the
 * input offered is everything from the block's start to the end of the
 * blocks, as update_engine offers it; the shortfall is zero-filled, before
 * the data with zero padding, after it without); a block with a
 * postfix_bspatch has its recompressed bytes checked against sha256_hash
 * and patched; bytes of the target past the last block follow as they are.
 * LZ4HC recompression (LZ4_compress_HC_destSize) is reproduced for every
 * level: 1-9 liblz4's hash-chain parser, 10-12 its optimal parser
 * (src/codecs/lz4hc-block-compress.ts; below 1 is 9, above 12 is 12).
 */
import { createHash } from 'node:crypto';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { CodecError } from './errors';
import { lz4BlockDecode } from './lz4-block';
import { lz4CompressDestSize } from './lz4-block-compress';
import { lz4hcCompressDestSize } from './lz4hc-block-compress';
import { bspatchBuffer, parseBspatchHeader } from './bspatch';

export const LZ4DIFF_MAGIC = 'LZ4DIFF';
export const LZ4DIFF_VERSION = 1;
/** Where the protobuf header starts: update_engine's 16-byte fixed header (magic, version, header size, one unused byte). */
const PB_OFFSET = 16;
/** Cap on the blocks one side of a patch may list. docs/limits.md. */
export const LZ4DIFF_MAX_BLOCKS = 1 << 20;
/** The zero padding update_engine skips before a zero-padded block is at most one 4 KiB block. */
const PAD_MAX = 4096;

export const LZ4DIFF_ALGOS = ['UNCOMPRESSED', 'LZ4', 'LZ4HC'] as const;

export interface Lz4diffBlock {
  uncompressedOffset: number;
  uncompressedLength: number;
  compressedLength: number;
  sha256: Buffer | null;
  postfix: Buffer | null;
}

export interface Lz4diffCompression {
  /** CompressionAlgorithm.type (0 UNCOMPRESSED, 1 LZ4, 2 LZ4HC; others as read). */
  algo: number;
  level: number;
  blocks: Lz4diffBlock[];
  zeroPadding: boolean;
}

export interface Lz4diffPatch {
  version: number;
  src: Lz4diffCompression;
  dst: Lz4diffCompression;
  /** 0 bsdiff, 1 puffin; others as read. */
  innerType: number;
  inner: Uint8Array;
}

export function lz4diffAlgoName(t: number): string {
  return LZ4DIFF_ALGOS[t] ?? `type ${t}`;
}

function fail(why: string): never {
  throw new CodecError(`LZ4DIFF patch: ${why}`);
}

function num(v: bigint | string | number, what: string): number {
  const n = typeof v === 'bigint' ? v : BigInt(v);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${what} ${n} is too large`);
  return Number(n);
}

function fields(buf: Uint8Array, what: string, on: (f: number, wt: WireType, r: BinaryReader) => boolean): void {
  const r = new BinaryReader(buf);
  try {
    while (r.pos < r.len) {
      const [no, wt] = r.tag();
      if (!on(no, wt, r)) r.skip(wt, no);
    }
  } catch (e) {
    if (e instanceof CodecError) throw e;
    fail(`the ${what} does not decode as protobuf (${(e as Error).message})`);
  }
}

function want(wt: WireType, expected: WireType, what: string): void {
  if (wt !== expected) fail(`${what} has the wrong wire type`);
}

function readBlock(buf: Uint8Array): Lz4diffBlock {
  const b: Lz4diffBlock = { uncompressedOffset: 0, uncompressedLength: 0, compressedLength: 0, sha256: null, postfix: null };
  fields(buf, 'block info', (f, wt, r) => {
    if (f === 1) (want(wt, WireType.Varint, 'uncompressed_offset'), (b.uncompressedOffset = num(r.uint64(), 'uncompressed_offset')));
    else if (f === 2) (want(wt, WireType.Varint, 'uncompressed_length'), (b.uncompressedLength = num(r.uint64(), 'uncompressed_length')));
    else if (f === 3) (want(wt, WireType.Varint, 'compressed_length'), (b.compressedLength = num(r.uint64(), 'compressed_length')));
    else if (f === 4) (want(wt, WireType.LengthDelimited, 'sha256_hash'), (b.sha256 = Buffer.from(r.bytes())));
    else if (f === 5) (want(wt, WireType.LengthDelimited, 'postfix_bspatch'), (b.postfix = Buffer.from(r.bytes())));
    else return false;
    return true;
  });
  return b;
}

function readCompression(buf: Uint8Array, side: string): Lz4diffCompression {
  const c: Lz4diffCompression = { algo: 0, level: 0, blocks: [], zeroPadding: false };
  fields(buf, `${side}_info`, (f, wt, r) => {
    if (f === 1) {
      want(wt, WireType.LengthDelimited, `${side}_info.algo`);
      fields(r.bytes(), `${side}_info.algo`, (g, wt2, r2) => {
        if (g === 1) (want(wt2, WireType.Varint, 'algo.type'), (c.algo = r2.int32()));
        else if (g === 2) (want(wt2, WireType.Varint, 'algo.level'), (c.level = r2.int32()));
        else return false;
        return true;
      });
    } else if (f === 2) {
      want(wt, WireType.LengthDelimited, `${side}_info.block_info`);
      if (c.blocks.length >= LZ4DIFF_MAX_BLOCKS) fail(`${side}_info lists more than ${LZ4DIFF_MAX_BLOCKS} blocks`);
      c.blocks.push(readBlock(r.bytes()));
    } else if (f === 3) (want(wt, WireType.Varint, `${side}_info.zero_padding_enabled`), (c.zeroPadding = r.bool()));
    else return false;
    return true;
  });
  return c;
}

/** Reads an LZ4DIFF patch's header; throws CodecError when it is not one or does not decode. */
export function readLz4diffPatch(patch: Uint8Array): Lz4diffPatch {
  if (patch.length < PB_OFFSET || Buffer.from(patch.subarray(0, 7)).toString('latin1') !== LZ4DIFF_MAGIC) fail('no "LZ4DIFF" magic');
  const dv = new DataView(patch.buffer, patch.byteOffset, patch.byteLength);
  const version = dv.getUint32(7);
  if (version !== LZ4DIFF_VERSION) fail(`version ${version}, not ${LZ4DIFF_VERSION}`);
  const size = dv.getUint32(11);
  if (PB_OFFSET + size > patch.length) fail(`its ${size}-byte header runs past the end of the ${patch.length}-byte patch`);
  let src: Lz4diffCompression | null = null;
  let dst: Lz4diffCompression | null = null;
  let innerType = 0;
  fields(patch.subarray(PB_OFFSET, PB_OFFSET + size), 'header', (f, wt, r) => {
    if (f === 1) (want(wt, WireType.LengthDelimited, 'src_info'), (src = readCompression(r.bytes(), 'src')));
    else if (f === 2) (want(wt, WireType.LengthDelimited, 'dst_info'), (dst = readCompression(r.bytes(), 'dst')));
    else if (f === 3) (want(wt, WireType.Varint, 'inner_type'), (innerType = r.int32()));
    else return false;
    return true;
  });
  const empty = (): Lz4diffCompression => ({ algo: 0, level: 0, blocks: [], zeroPadding: false });
  return { version, src: src ?? empty(), dst: dst ?? empty(), innerType, inner: patch.subarray(PB_OFFSET + size) };
}

const isCompressed = (b: Lz4diffBlock): boolean => b.compressedLength < b.uncompressedLength;

/** Checks the blocks are back to back from 0 (update_engine aborts otherwise) and returns their uncompressed and compressed totals. */
function totals(c: Lz4diffCompression, side: string, maxBytes: number): { uncompressed: number; compressed: number } {
  let uncompressed = 0;
  let compressed = 0;
  c.blocks.forEach((b, i) => {
    if (b.uncompressedOffset !== uncompressed) fail(`${side} block ${i} starts at uncompressed offset ${b.uncompressedOffset}, not ${uncompressed} where block ${i - 1} ends`);
    uncompressed += b.uncompressedLength;
    compressed += b.compressedLength;
    if (uncompressed > maxBytes || compressed > maxBytes) fail(`the ${side} blocks hold more than the ${maxBytes} bytes romscope patches in one operation`);
  });
  return { uncompressed, compressed };
}

export interface Lz4diffInner {
  /** Applies a puffin patch (src/codecs/puffin's applyPuffPatch with bspatchBuffer), or null when puffin patches are not applied. */
  puffpatch: ((source: Uint8Array, patch: Uint8Array, maxBytes: number) => Buffer) | null;
}

/**
 * Applies an LZ4DIFF patch to an operation's source bytes and returns its
 * target bytes; throws CodecError naming what is wrong (or what romscope
 * does not reproduce). `maxBytes` caps each decompressed side and the output.
 */
export function applyLz4diffPatch(source: Uint8Array, patchBytes: Uint8Array, inner: Lz4diffInner, maxBytes: number): Buffer {
  const patch = readLz4diffPatch(patchBytes);
  const { src, dst } = patch;
  // Source: decompress block by block (TryDecompressBlob).
  if (src.blocks.length === 0) fail('the source lists no blocks');
  const st = totals(src, 'source', maxBytes);
  if (source.length < st.compressed) fail(`the source blocks are ${st.compressed} bytes, more than the ${source.length} bytes of the operation's source extents`);
  if (source.length > st.compressed) fail(`the source blocks are ${st.compressed} bytes, fewer than the ${source.length} bytes of the operation's source extents (update_engine refuses this)`);
  const decSrc = Buffer.alloc(st.uncompressed);
  let at = 0;
  src.blocks.forEach((b, i) => {
    const cluster = source.subarray(at, at + b.compressedLength);
    if (!isCompressed(b)) {
      if (cluster.length === 0) fail(`source block ${i} is empty`);
      // update_engine copies compressed_length bytes; a stored block longer than its uncompressed length would shift every later block.
      if (cluster.length !== b.uncompressedLength) fail(`source block ${i} is stored uncompressed in ${cluster.length} bytes for ${b.uncompressedLength} uncompressed bytes`);
      decSrc.set(cluster, b.uncompressedOffset);
    } else {
      let margin = 0;
      if (src.zeroPadding) while (margin < Math.min(PAD_MAX, cluster.length) && cluster[margin] === 0) margin++;
      try {
        decSrc.set(lz4BlockDecode(cluster.subarray(margin), b.uncompressedLength, { partial: true }), b.uncompressedOffset);
      } catch (e) {
        if (e instanceof CodecError) fail(`source block ${i} (${b.compressedLength} bytes at ${at}) does not decode: ${e.message}`);
        throw e;
      }
    }
    at += b.compressedLength;
  });

  // The inner patch.
  let decDst: Buffer;
  if (patch.innerType === 0) {
    const h = parseBspatchHeader(patch.inner);
    if (h.newSize > maxBytes) fail(`its bsdiff patch makes ${h.newSize} bytes, more than the ${maxBytes} romscope applies in one operation`);
    decDst = bspatchBuffer(decSrc, patch.inner);
  } else if (patch.innerType === 1) {
    if (!inner.puffpatch) fail('its inner patch is a puffin patch, and no puffin patch applier is set');
    decDst = inner.puffpatch(decSrc, patch.inner, maxBytes);
  } else {
    fail(`inner patch type ${patch.innerType} (update_engine knows BSDIFF 0 and PUFFDIFF 1)`);
  }

  // Target: recompress block by block (TryCompressBlob), then the postfix patches.
  const dt = totals(dst, 'target', maxBytes);
  if (decDst.length < dt.uncompressed) fail(`the inner patch makes ${decDst.length} bytes, fewer than the ${dt.uncompressed} the target blocks hold`);
  const anyCompressed = dst.blocks.some(isCompressed);
  if (anyCompressed && dst.algo !== 1 && dst.algo !== 2) fail(`target compression algorithm ${lz4diffAlgoName(dst.algo)} (update_engine recompresses with LZ4 or LZ4HC)`);
  const anyPostfix = dst.blocks.some((b) => b.postfix && b.postfix.length > 0);
  const parts: Buffer[] = [];
  let outBytes = 0;
  const emit = (b: Buffer): void => {
    outBytes += b.length;
    if (outBytes > maxBytes) fail(`its target is more than the ${maxBytes} bytes romscope patches in one operation`);
    parts.push(b);
  };
  dst.blocks.forEach((b, i) => {
    let block: Buffer;
    if (!isCompressed(b)) {
      block = decDst.subarray(b.uncompressedOffset, b.uncompressedOffset + b.uncompressedLength);
    } else {
      const input = decDst.subarray(b.uncompressedOffset, dt.uncompressed);
      const r = dst.algo === 2 ? lz4hcCompressDestSize(input, b.compressedLength, dst.level) : lz4CompressDestSize(input, b.compressedLength);
      if (r.block.length === 0) fail(`target block ${i}: liblz4 writes nothing into ${b.compressedLength} bytes, which update_engine refuses`);
      block = Buffer.alloc(b.compressedLength);
      block.set(r.block, dst.zeroPadding ? b.compressedLength - r.block.length : 0);
    }
    if (anyPostfix) {
      if (block.length !== b.compressedLength) fail(`target block ${i} is ${block.length} bytes, not its compressed length ${b.compressedLength} (update_engine refuses this when postfix patches are present)`);
      if (b.postfix && b.postfix.length > 0) {
        if (b.sha256 && b.sha256.length > 0) {
          const got = createHash('sha256').update(block).digest();
          if (!got.equals(b.sha256))
            fail(`target block ${i}: the recompressed block's SHA-256 is ${got.toString('hex')}, the patch expects ${b.sha256.toString('hex')} (the generator's LZ4 output differs from liblz4's)`);
        }
        const h = parseBspatchHeader(b.postfix);
        if (h.newSize > maxBytes) fail(`target block ${i}: its postfix patch makes ${h.newSize} bytes`);
        block = bspatchBuffer(block, b.postfix);
      }
    }
    emit(block);
  });
  if (decDst.length > dt.uncompressed) emit(decDst.subarray(dt.uncompressed));
  return Buffer.concat(parts, outBytes);
}
