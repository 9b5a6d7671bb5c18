/**
 * The kernel's banner and the FDT magics its appended trees start from are
 * found in one pass over the kernel in order (scanKernel), without holding
 * it in memory; the answers must be those of the whole-buffer search
 * (findBanner, fdtMagicOffsets, then appendedTrees) on the same bytes,
 * wherever a banner, an FDT magic or a tree falls relative to the 1 MiB
 * pieces a scan reads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scanKernel, findBanner } from '../../src/formats/linux-kernel';
import { appendedTrees, fdtMagicOffsets } from '../../src/formats/fdt';
import { BufferSource, STREAM_CHUNK } from '../../src/io/source';
import { buildFdt } from '../../fixtures/builders/fdt';
import { pseudoRandom } from '../../fixtures/builders/data';

const MAGIC = Buffer.from([0xd0, 0x0d, 0xfe, 0xed]);

function put(b: Buffer, at: number, what: Buffer | string): void {
  (typeof what === 'string' ? Buffer.from(what, 'latin1') : what).copy(b, at);
}

/** A kernel-like buffer: random bytes, with a fake and a real banner, stray FDT magics, and trees (or none) at the end. */
function kernel(seed: number, opts: { bannerAt: number; strayAt: number[]; trees: Buffer[]; pad: number; size: number }): Buffer {
  const body = pseudoRandom(opts.size, seed);
  // Random bytes rarely hold the magic or the banner by chance; plant them where the case wants them.
  put(body, 1000, 'Linux version %s (%s@%s) (%s) %s\n\0');
  put(body, opts.bannerAt, 'Linux version 6.1.57-android14-11-g0123abcd (build-user@build-host) (Android clang version 17.0.2) #1 SMP PREEMPT Mon Jan 1 00:00:00 UTC 2024\n\0');
  for (const at of opts.strayAt) put(body, at, MAGIC);
  return Buffer.concat([body, ...opts.trees.flatMap((t) => [t, Buffer.alloc(opts.pad)])]);
}

test('scanKernel agrees with findBanner and the whole-buffer FDT magics wherever the banner, magics and trees fall', async () => {
  const a = buildFdt({ name: '', props: { model: 'board A', compatible: ['acme,a'] }, children: [{ name: 'chosen', props: { bootargs: 'console=ttyS0' } }] });
  const b = buildFdt({ name: '', props: { model: 'board B', compatible: ['acme,b'] } });
  const boundary = STREAM_CHUNK;
  const cases = [
    // The banner across the first piece boundary; a stray magic across the second.
    { bannerAt: boundary - 20, strayAt: [2 * boundary - 2, 5000], trees: [a, b], pad: 0, size: 2 * boundary + 777 },
    // The banner's text runs past the boundary; trees with zero padding between and after them.
    { bannerAt: boundary - 400, strayAt: [], trees: [a, b, a], pad: 4096, size: boundary + 123 },
    // No trees; a stray magic that looks like a header start near the end.
    { bannerAt: 3 * boundary - 300, strayAt: [3 * boundary - 50], trees: [], pad: 0, size: 3 * boundary },
    // The banner right at the end of the bytes (the scan's last piece), trees starting across a boundary.
    { bannerAt: boundary - 150, strayAt: [10], trees: [b], pad: 100, size: boundary - 10 },
  ];
  let seed = 1;
  for (const c of cases) {
    const bytes = kernel(seed++, c);
    for (const from of [0, 64]) {
      const src = new BufferSource(bytes, 'Image');
      const scan = await scanKernel(src, from);
      assert.equal(scan.banner, findBanner(bytes), `banner, case ${seed - 1}`);
      assert.ok(scan.banner?.startsWith('Linux version 6.1.57'), 'the real banner, not the format string');
      const want = await appendedTrees(new BufferSource(bytes, 'Image'), fdtMagicOffsets(bytes, from));
      const got = await appendedTrees(src, scan.candidates);
      assert.deepEqual(got, want, `trees, case ${seed - 1}, from ${from}`);
      assert.equal(got?.trees.length ?? 0, c.trees.length);
      for (const at of c.strayAt) if (at >= from) assert.ok(scan.candidates.includes(at), `stray magic at ${at} is tried`);
    }
  }
});
