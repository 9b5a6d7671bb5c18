/**
 * Benchmark inputs, generated at run time and streamed to disk chunk by chunk,
 * so a 1 GiB input never needs 1 GiB of memory in this process.
 */
import { randomFillSync } from 'node:crypto';
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
    for (let done = 0; done < bytes; ) {
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
  for (let off = 0; off < chunk.length; ) {
    const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
    off += bytesWritten;
  }
}
