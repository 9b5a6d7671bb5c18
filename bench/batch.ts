/**
 * Inputs of the `batch` bench cases (issue 20): a directory of many small
 * packages, and one of a few large ones, generated at bench time.
 *
 * - small: BENCH_BATCH_COUNT (default 200) OTA-style zips of about 100 KiB:
 *   a metadata file, a deflated build.prop, a stored 64 KiB member of random
 *   bytes; every one different (the bytes and the build id change).
 * - large: 4 stored zips, each one member of BENCH_BATCH_LARGE_MB (default
 *   256) random bytes, written by `zip -0`.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildZip } from '../fixtures/builders/zip';
import { MiB, writeData } from './generate';
import { mibFromEnv } from './packages';

/** BENCH_BATCH_COUNT: how many small packages (at least 2). */
export function batchCount(): number {
  const raw = process.env.BENCH_BATCH_COUNT;
  if (raw === undefined || raw === '') return 200;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 2) throw new Error(`BENCH_BATCH_COUNT must be a whole number of 2 or more, got "${raw}"`);
  return n;
}

export function largeBytes(): number {
  return mibFromEnv('BENCH_BATCH_LARGE_MB', 256);
}

/** Writes the small packages into `<dir>/small`; returns the directory and its total size. */
export function smallPackages(dir: string, count: number): { input: string; bytes: number; info: string[] } {
  const input = join(dir, 'small');
  mkdirSync(input);
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const prop = Array.from({ length: 400 }, (_, k) => `ro.bench.key${k}=value-${(i * 7919 + k) % 1000}`).join('\n');
    const zip = buildZip([
      { name: 'META-INF/com/android/metadata', data: Buffer.from(`ota-type=BLOCK\npre-device=bench\npost-timestamp=${1700000000 + i}\n`) },
      { name: 'system/build.prop', data: Buffer.from(`ro.product.device=bench\nro.build.id=BENCH.${i}\n${prop}\n`), method: 'deflate' },
      { name: 'firmware/blob.bin', data: randomBytes(64 * 1024) },
    ]);
    const file = join(input, `pkg-${String(i).padStart(4, '0')}.zip`);
    writeFileSync(file, zip);
    bytes += zip.length;
  }
  return { input, bytes, info: [`small/: ${count} zips (metadata, a deflated build.prop, a stored 64 KiB random member), ${(bytes / MiB).toFixed(1)} MiB in all`] };
}

/** Writes 4 large stored zips into `<dir>/large` (zip -0 of random data). */
export async function largePackages(dir: string, each: number): Promise<{ input: string; bytes: number; info: string[] }> {
  const input = join(dir, 'large');
  mkdirSync(input);
  let bytes = 0;
  for (let i = 0; i < 4; i++) {
    const raw = join(dir, `big-${i}.bin`);
    await writeData(raw, each, 'random');
    const r = spawnSync('zip', ['-0', '-q', '-j', join(input, `big-${i}.zip`), raw]);
    if (r.status !== 0) throw new Error(`zip -0 failed (${r.status}): ${r.stderr?.toString()}`);
    rmSync(raw);
    bytes += statSync(join(input, `big-${i}.zip`)).size;
  }
  return { input, bytes, info: [`large/: 4 stored zips (zip -0), each one member of ${(each / MiB).toFixed(0)} MiB random bytes; ${(bytes / MiB).toFixed(1)} MiB in all`] };
}
