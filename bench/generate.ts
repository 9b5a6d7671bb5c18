/**
 * Benchmark inputs, generated at run time and streamed to disk chunk by chunk,
 * so a 1 GiB input never needs 1 GiB of memory in this process.
 */
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { newRsaKeyPair } from '../fixtures/builders/keys';
import { buildVbmeta } from '../fixtures/builders/avb';
import { open } from 'node:fs/promises';

/**
 * `random`: incompressible bytes. `mixed`: compresses about 2:1 (see fillMixed).
 * `holes`: alternating 1 MiB of random bytes and 1 MiB of zeros, a partition
 * image that is half empty (img2simg stores the zeros as FILL chunks).
 */
export type Pattern = 'random' | 'mixed' | 'holes';

export const MiB = 1024 * 1024;

/** Written per call; a multiple of the mixed pattern's period, so every chunk starts a period. */
const CHUNK = 1 * MiB;
/** The mixed pattern alternates this much random data with this much text. */
const HALF = 64 * 1024;

/** 64 KiB of one repeated line: lz4 shrinks it to almost nothing. */
const TEXT = Buffer.alloc(HALF, 'romscope bench: the quick brown fox jumps over the lazy dog 0123456789\n');

/** Writes `bytes` bytes of `pattern` to `path`, one chunk at a time. */
export async function writeData(path: string, bytes: number, pattern: Pattern): Promise<void> {
  const fh = await open(path, 'w');
  try {
    const buf = Buffer.allocUnsafe(CHUNK); // reused: memory stays at one chunk
    for (let done = 0; done < bytes;) {
      const n = Math.min(CHUNK, bytes - done);
      const chunk = buf.subarray(0, n);
      if (pattern === 'random') randomFillSync(chunk);
      else if (pattern === 'holes') {
        // CHUNK is 1 MiB, so even chunks are the data and odd chunks the holes.
        if (Math.floor(done / CHUNK) % 2 === 0) randomFillSync(chunk);
        else chunk.fill(0);
      } else fillMixed(chunk);
      await writeAll(fh, chunk);
      done += n;
    }
  } finally {
    await fh.close();
  }
}

/** Half random (stored nearly as is), half repeated text (stored as almost nothing): about 2:1. */
function fillMixed(chunk: Buffer): void {
  for (let off = 0; off < chunk.length; off += 2 * HALF) {
    const rnd = chunk.subarray(off, Math.min(off + HALF, chunk.length));
    randomFillSync(rnd);
    const textStart = off + rnd.length;
    if (textStart < chunk.length) TEXT.copy(chunk, textStart, 0, Math.min(HALF, chunk.length - textStart));
  }
}

/** FileHandle.write may write less than asked; loop until the whole chunk is on disk. */
async function writeAll(fh: Awaited<ReturnType<typeof open>>, chunk: Buffer): Promise<void> {
  for (let off = 0; off < chunk.length;) {
    const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
    off += bytesWritten;
  }
}

/**
 * A partition image as `avbtool add_hashtree_footer` writes it (FORMATS.md
 * §5.7, §5.8): `bytes` of random data (a multiple of 4096), its dm-verity
 * tree (top level first), a vbmeta signed with a key generated here, zeros,
 * and the footer in the last 64 bytes. The tree is built from the file
 * streamed back from disk, keeping only the levels (8 MiB per GiB of data).
 * Returns the size of the data region and the root digest.
 */
export async function writeHashtreeImage(path: string, bytes: number): Promise<{ imageSize: number; rootDigest: string; fileSize: number }> {
  const BLOCK = 4096;
  const imageSize = Math.ceil(bytes / BLOCK) * BLOCK;
  await writeData(path, imageSize, 'random');
  const salt = randomBytes(32);
  const h = (b: Buffer) => createHash('sha256').update(salt).update(b).digest();
  const level0: Buffer[] = [];
  const fh = await open(path, 'r+');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (let pos = 0; pos < imageSize;) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, imageSize - pos), pos);
      for (let o = 0; o < bytesRead; o += BLOCK) level0.push(h(buf.subarray(o, o + BLOCK)));
      pos += bytesRead;
    }
    const levels: Buffer[] = [];
    let src = Buffer.concat(level0);
    const padTo = (b: Buffer) => Buffer.concat([b, Buffer.alloc(Math.ceil(b.length / BLOCK) * BLOCK - b.length)]);
    src = padTo(src);
    levels.push(src);
    while (src.length > BLOCK) {
      const next: Buffer[] = [];
      for (let o = 0; o < src.length; o += BLOCK) next.push(h(src.subarray(o, o + BLOCK)));
      src = padTo(Buffer.concat(next));
      levels.push(src);
    }
    const rootDigest = imageSize === BLOCK ? level0[0] : h(levels[levels.length - 1]);
    const tree = imageSize === BLOCK ? Buffer.alloc(0) : Buffer.concat(levels.slice(0, -1).reverse());
    const key = newRsaKeyPair(4096).privateKey;
    const vbmeta = buildVbmeta({
      algorithm: 'SHA256_RSA4096',
      key,
      descriptors: [{ type: 'hashtree', partition: 'system', imageSize, treeOffset: imageSize, treeSize: tree.length, salt, rootDigest }],
    });
    const vbmetaOffset = imageSize + tree.length;
    const fileSize = Math.ceil((vbmetaOffset + vbmeta.length) / BLOCK) * BLOCK + BLOCK;
    const footer = Buffer.alloc(64);
    footer.write('AVBf', 0, 'latin1');
    footer.writeUInt32BE(1, 4);
    footer.writeBigUInt64BE(BigInt(imageSize), 12);
    footer.writeBigUInt64BE(BigInt(vbmetaOffset), 20);
    footer.writeBigUInt64BE(BigInt(vbmeta.length), 28);
    const tail = Buffer.alloc(fileSize - imageSize);
    tree.copy(tail, 0);
    vbmeta.copy(tail, tree.length);
    footer.copy(tail, tail.length - 64);
    for (let off = 0; off < tail.length;) off += (await fh.write(tail, off, tail.length - off, imageSize + off)).bytesWritten;
    return { imageSize, rootDigest: rootDigest.toString('hex'), fileSize };
  } finally {
    await fh.close();
  }
}
