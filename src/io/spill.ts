import { mkdtempSync, rmSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BufferSource, FileSource, type RandomSource } from './source';
import { registerCleanup } from './cleanup';
import type { Budget } from './limits';

function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface Spilled {
  source: RandomSource;
  /** Where the bytes live: memory (small) or a temp file (large). */
  where: 'memory' | 'tempfile';
  bytes: number;
  release(): Promise<void>;
}

export interface SpillOptions {
  /** Inputs up to this many bytes stay in memory. */
  memoryCap: number;
  /**
   * The size the input declares (a zip member's or a chunk table's), when
   * known: one larger than `memoryCap` goes to the temp file from its first
   * byte, instead of filling `memoryCap` of memory first only to write it
   * out (up to 64 MiB of peak RSS for nothing). Only a hint: a stream that
   * lies about its size is still spilled whole, wherever it goes.
   */
  sizeHint?: number | null;
  /** Called with each chunk as it passes (for hashing while spilling). */
  onChunk?: (b: Buffer) => void;
  tempDir?: string;
  /**
   * Bytes kept in memory are charged to this budget's memory (released with
   * the walk's scope for the container); when it has no room for the next
   * chunk, the stream goes to the temp file instead.
   */
  budget?: Budget;
}

/**
 * The one helper that gives a decoder random access over a sequential source:
 * small inputs are buffered in memory under a cap, larger ones go to a temp
 * file that is removed on release and, whatever happens, at process exit or
 * on an interrupt (the cleanup registry of ./cleanup.ts).
 */
export async function spillToRandom(input: AsyncIterable<Buffer>, name: string, opts: SpillOptions): Promise<Spilled> {
  const mem: Buffer[] = [];
  let memBytes = 0;
  let fd = -1;
  let dir = '';
  let file = '';
  let total = 0;
  let unregister = (): void => {};
  try {
    const large = opts.sizeHint != null && opts.sizeHint > opts.memoryCap;
    for await (const chunk of input) {
      opts.onChunk?.(chunk);
      total += chunk.length;
      if (fd < 0 && !large && memBytes + chunk.length <= opts.memoryCap && (opts.budget?.memoryFits(chunk.length) ?? true)) {
        opts.budget?.chargeMemory(chunk.length, `the in-memory copy of ${name}`);
        mem.push(chunk);
        memBytes += chunk.length;
        continue;
      }
      if (fd < 0) {
        const made = mkdtempSync(join(opts.tempDir ?? tmpdir(), 'romscope-'));
        dir = made;
        unregister = registerCleanup(() => removeDir(made));
        file = join(dir, 'spill.bin');
        fd = openSync(file, 'w', 0o600);
        for (const m of mem) writeAll(fd, m);
        mem.length = 0;
        opts.budget?.releaseMemory(memBytes);
        memBytes = 0;
      }
      writeAll(fd, chunk);
    }
  } catch (e) {
    opts.budget?.releaseMemory(memBytes);
    if (fd >= 0) closeSync(fd);
    if (dir) {
      removeDir(dir);
      unregister();
    }
    throw e;
  }
  if (fd < 0) {
    const buf = mem.length === 1 ? mem[0] : Buffer.concat(mem, memBytes);
    let held = memBytes;
    const release = async (): Promise<void> => {
      opts.budget?.releaseMemory(held);
      held = 0;
    };
    return { source: new BufferSource(buf, name), where: 'memory', bytes: total, release };
  }
  closeSync(fd);
  const src = await FileSource.open(file, name);
  return {
    source: src,
    where: 'tempfile',
    bytes: total,
    release: async () => {
      await src.close();
      removeDir(dir);
      unregister();
    },
  };
}

function writeAll(fd: number, b: Buffer): void {
  let o = 0;
  while (o < b.length) o += writeSync(fd, b, o, b.length - o);
}
