import { mkdtempSync, rmSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BufferSource, FileSource, type RandomSource } from './source';

/** Everything spilled to disk lives under these directories; all are removed at exit. */
const liveTempDirs = new Set<string>();
let exitHookInstalled = false;

function removeAllTemps(): void {
  for (const d of liveTempDirs) {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {
      /* best effort at exit */
    }
  }
  liveTempDirs.clear();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', removeAllTemps);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      removeAllTemps();
      process.kill(process.pid, sig);
    });
  }
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
  /** Called with each chunk as it passes (for hashing while spilling). */
  onChunk?: (b: Buffer) => void;
  tempDir?: string;
}

/**
 * The one helper that gives a decoder random access over a sequential source:
 * small inputs are buffered in memory under a cap, larger ones go to a temp
 * file that is removed on release and, whatever happens, at process exit.
 */
export async function spillToRandom(input: AsyncIterable<Buffer>, name: string, opts: SpillOptions): Promise<Spilled> {
  const mem: Buffer[] = [];
  let memBytes = 0;
  let fd = -1;
  let dir = '';
  let file = '';
  let total = 0;
  try {
    for await (const chunk of input) {
      opts.onChunk?.(chunk);
      total += chunk.length;
      if (fd < 0 && memBytes + chunk.length <= opts.memoryCap) {
        mem.push(chunk);
        memBytes += chunk.length;
        continue;
      }
      if (fd < 0) {
        installExitHook();
        dir = mkdtempSync(join(opts.tempDir ?? tmpdir(), 'romscope-'));
        liveTempDirs.add(dir);
        file = join(dir, 'spill.bin');
        fd = openSync(file, 'w', 0o600);
        for (const m of mem) writeAll(fd, m);
        mem.length = 0;
        memBytes = 0;
      }
      writeAll(fd, chunk);
    }
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    if (dir) {
      rmSync(dir, { recursive: true, force: true });
      liveTempDirs.delete(dir);
    }
    throw e;
  }
  if (fd < 0) {
    const buf = mem.length === 1 ? mem[0] : Buffer.concat(mem, memBytes);
    return { source: new BufferSource(buf, name), where: 'memory', bytes: total, release: async () => {} };
  }
  closeSync(fd);
  const src = await FileSource.open(file, name);
  return {
    source: src,
    where: 'tempfile',
    bytes: total,
    release: async () => {
      await src.close();
      rmSync(dir, { recursive: true, force: true });
      liveTempDirs.delete(dir);
    },
  };
}

function writeAll(fd: number, b: Buffer): void {
  let o = 0;
  while (o < b.length) o += writeSync(fd, b, o, b.length - o);
}
