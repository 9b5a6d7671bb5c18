/**
 * The incremental payload bench input: a base partition image of
 * BENCH_DELTA_MB (default 1024) MiB of mixed data, a new image that differs
 * from it in one 2 MiB chunk of every eight (a few KiB changed in each), and
 * a delta payload of SOURCE_COPY operations for equal chunks and
 * SOURCE_BSDIFF operations with Debian bsdiff patches for the others. The
 * reference does the same work with `bspatch` in a shell loop: each chunk
 * cut from the base with dd, patched or copied, appended to the new image,
 * hashed with sha256sum. Images are streamed chunk by chunk, never held whole.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readSync, writeFileSync, writeSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeData, MiB } from './generate';
import { encodeManifest, payloadHeader, type OpInput } from '../fixtures/builders/payload';

const CHUNK = 2 * MiB;
const BS = 4096;

function readAt(fd: number, pos: number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let got = 0;
  while (got < n) {
    const k = readSync(fd, b, got, n - got, pos + got);
    if (k === 0) break;
    got += k;
  }
  return b.subarray(0, got);
}

export async function buildDeltaBench(dir: string, bytes: number): Promise<{ input: string; base: string; info: string[] }> {
  const size = Math.max(CHUNK, Math.floor(bytes / CHUNK) * CHUNK);
  const baseDir = join(dir, 'base');
  mkdirSync(baseDir, { recursive: true });
  const oldPath = join(baseDir, 'system.img');
  await writeData(oldPath, size, 'mixed');
  const fdOld = openSync(oldPath, 'r');
  const work = join(dir, 'work');
  mkdirSync(work, { recursive: true });
  const ops: OpInput[] = [];
  const blobs: string[] = [];
  const script: string[] = [];
  let cursor = 0;
  const oldHash = createHash('sha256');
  const newHash = createHash('sha256');
  let patched = 0;
  for (let i = 0; i < size / CHUNK; i++) {
    const old = readAt(fdOld, i * CHUNK, CHUNK);
    oldHash.update(old);
    const ext = [{ start: (i * CHUNK) / BS, blocks: CHUNK / BS }];
    const srcHash = createHash('sha256').update(old).digest();
    if (i % 8 !== 3) {
      newHash.update(old);
      ops.push({ type: 4, src: ext, dst: ext, srcHash });
      script.push(`dd if="$base" bs=2M skip=${i} count=1 status=none >> "$out"`);
      continue;
    }
    const next = Buffer.from(old);
    for (let k = 0; k < 8; k++) next.fill(k + i, (k * CHUNK) / 8, (k * CHUNK) / 8 + 512);
    newHash.update(next);
    const o = join(work, 'o');
    const n = join(work, 'n');
    const p = join(work, `p${i}`);
    writeFileSync(o, old);
    writeFileSync(n, next);
    const r = spawnSync('bsdiff', [o, n, p]);
    if (r.status !== 0) throw new Error(`bsdiff failed: ${r.stderr}`);
    const blob = readFileSync(p);
    ops.push({ type: 5, src: ext, dst: ext, srcHash, dataOffset: cursor, dataLength: blob.length, dataHash: createHash('sha256').update(blob).digest() });
    cursor += blob.length;
    blobs.push(p);
    patched++;
    script.push(`dd if="$base" bs=2M skip=${i} count=1 status=none > "$tmp/o"; bspatch "$tmp/o" "$tmp/n" "${p}"; cat "$tmp/n" >> "$out"`);
  }
  closeSync(fdOld);
  for (const f of ['o', 'n']) unlinkSync(join(work, f));
  const m = encodeManifest({ blockSize: BS, minorVersion: 7, partitions: [{ name: 'system', oldSize: size, oldHash: oldHash.digest(), newSize: size, newHash: newHash.digest(), operations: ops }] });
  const input = join(dir, 'payload.bin');
  const fd = openSync(input, 'w');
  writeSync(fd, payloadHeader(m.length, 0));
  writeSync(fd, m);
  for (const b of blobs) writeSync(fd, readFileSync(b));
  closeSync(fd);
  writeFileSync(join(dir, 'by-hand.sh'), ['out="$tmp/new.img"', `base="${oldPath}"`, ': > "$out"', ...script, 'sha256sum "$out"', ''].join('\n'));
  return {
    input,
    base: baseDir,
    info: [`system.img: ${size / MiB} MiB base, ${patched} of ${size / CHUNK} 2 MiB chunks patched (SOURCE_BSDIFF, Debian bsdiff), the rest SOURCE_COPY; payload ${cursor} bytes of patches`],
  };
}
