/**
 * The LZ4HC compressor (src/codecs/lz4hc-block-compress.ts) against Debian's
 * liblz4 1.9.4, which we did not write:
 * - LZ4_compress_HC_destSize at levels 10, 11 and 12 (the optimal parser;
 *   levels 1, 4 and 9 are in test/formats/ota-delta-lz4diff.test.ts), called
 *   by a small C program (fixtures/builders/lz4diff.ts), over pieces of an
 *   ext4 image from `mke2fs -d`, a system library, text, random bytes, long
 *   zero runs (one of 3 MiB, past the compressor's input window), inputs
 *   shorter than 13 bytes, EROFS-like 4 KiB clusters, and output sizes from
 *   1 byte up, most of which end inside a sequence: the same block and the
 *   same count of input bytes consumed, call by call;
 * - LZ4_compress_HC (the whole input, output not limited) at every level
 *   through the same program, and the blocks inside `lz4 -10`..`lz4 -12`
 *   frames (64 KiB and 256 KiB independent blocks);
 * - a 4 KiB block at level 12 from a long zero run does not read the run to
 *   its end (time bounded), and levels out of range map as liblz4 maps them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { lz4hcCompressBlock, lz4hcCompressDestSize } from '../../src/codecs/lz4hc-block-compress';
import { lz4BlockDecode } from '../../src/codecs/lz4-block';
import { liblz4DestSize, liblz4Version } from '../../fixtures/builders/lz4diff';
import { mke2fs } from '../../fixtures/builders/ext4';
import { pseudoRandom, wordText } from '../../fixtures/builders/data';
import { frameBlocks, requireTools, runTool } from '../helpers';

const text = (seed: number, n: number): Buffer => wordText(seed, n, ['optimal', 'parser']);

let ext4: Buffer | null = null;
/** An ext4 image from Debian's mke2fs -d: metadata, text, a random "library" and zero-filled free space. */
function ext4Image(): Buffer {
  ext4 ??= mke2fs(
    {
      'etc/build.prop': { type: 'file', data: 'ro.build.version.incremental=100\nro.product.name=romscope\n' },
      'etc/notes.txt': { type: 'file', data: text(5, 200 * 1024) },
      'lib/libfoo.so': { type: 'file', data: pseudoRandom(40 * 1024, 8) },
      'lib/libbar.so': { type: 'file', data: Buffer.concat([pseudoRandom(8 * 1024, 9), Buffer.alloc(20 * 1024, 0x90), pseudoRandom(8 * 1024, 9)]) },
    },
    ['-t', 'ext4', '-b', '4096'],
    1024,
    { mtime: 1700000000 },
  );
  return ext4;
}

function systemLibrary(): Buffer {
  for (const p of ['/usr/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/aarch64-linux-gnu/libc.so.6', '/bin/sh']) if (existsSync(p)) return readFileSync(p).subarray(0, 1 << 20);
  return text(9, 1 << 20);
}

/** Text with runs of one byte, of two and four-byte patterns, and a period-3 run (not a pattern liblz4 shortcuts). */
function runs(): Buffer {
  return Buffer.concat([text(21, 3000), Buffer.alloc(70_000), text(22, 2000), Buffer.from('ab'.repeat(9000)), Buffer.from('wxyz'.repeat(5000)), Buffer.from('abc'.repeat(7000)), Buffer.alloc(3000, 0xff), text(23, 5000)]);
}

const OPT_LEVELS = [10, 11, 12];

test('the installed liblz4 is 1.9.4, the version the compressor reproduces', (t) => {
  if (!requireTools(t, 'cc')) return;
  assert.equal(liblz4Version(), 10904, 'liblz4 1.9.4 expected; another version may parse differently and the comparisons below would not hold');
});

test("LZ4_compress_HC_destSize at levels 10-12 (liblz4's optimal parser): the same blocks and input consumed as Debian's liblz4, call by call", (t) => {
  if (!requireTools(t, 'cc', 'mke2fs')) return;
  // [what, data, how much further apart the calls are]
  const inputs: [string, Buffer, number][] = [
    ['ext4 image', ext4Image().subarray(0, 512 * 1024), 1],
    ['system library', systemLibrary().subarray(0, 200_000), 1],
    ['text', text(3, 120_000), 1],
    ['random', pseudoRandom(60_000, 4), 1],
    ['runs', runs(), 1],
    // Past destSizeWindow: a long run the compressor must not read to its end, and data after it.
    ['a 3 MiB zero run', Buffer.concat([Buffer.alloc(3 << 20), text(12, 50_000)]), 5],
  ];
  // [target, step, cap]: most targets end the block inside a sequence (its match cut, or dropped).
  const shapes = [
    [4096, 24_593, 0],
    [65536, 200_003, 0],
    [300, 12_289, 5000],
    [1000, 30_011, 0],
    [37, 9_973, 600],
    [17, 15_013, 100],
    [1, 50_021, 40],
  ];
  let compared = 0;
  for (const level of OPT_LEVELS) {
    for (const [what, data, scale] of inputs) {
      for (const [target, step0, cap] of shapes) {
        const step = step0 * scale;
        liblz4DestSize(data, target, step, cap, level).forEach((c, i) => {
          const off = i * step;
          const input = cap ? data.subarray(off, off + cap) : data.subarray(off);
          const got = lz4hcCompressDestSize(input, target, level);
          const where = `${what}, level ${level}, target ${target}, offset ${off}`;
          assert.equal(got.consumed, c.consumed, `${where}: input consumed`);
          assert.ok(c.block && got.block.equals(c.block), `${where}: the block`);
          if (got.consumed > 0) assert.ok(lz4BlockDecode(got.block, got.consumed).equals(input.subarray(0, got.consumed)), `${where}: decodes`);
          compared++;
        });
      }
    }
  }
  assert.ok(compared > 500, `${compared} blocks compared`);
});

test('LZ4_compress_HC_destSize at levels 10-12 over inputs shorter than 13 bytes (all literals) and outputs too small for them', (t) => {
  if (!requireTools(t, 'cc')) return;
  const data = Buffer.concat([Buffer.alloc(40), text(31, 400)]);
  let compared = 0;
  for (const level of [10, 12]) {
    for (const cap of [1, 2, 3, 4, 5, 8, 11, 12, 13, 14]) {
      for (const target of [1, 5, 13, 64]) {
        liblz4DestSize(data, target, 37, cap, level).forEach((c, i) => {
          const got = lz4hcCompressDestSize(data.subarray(i * 37, i * 37 + cap), target, level);
          assert.equal(got.consumed, c.consumed, `level ${level}, ${cap} bytes, target ${target}, offset ${i * 37}: input consumed`);
          assert.ok(c.block && got.block.equals(c.block), `level ${level}, ${cap} bytes, target ${target}, offset ${i * 37}: the block`);
          compared++;
        });
      }
    }
  }
  assert.ok(compared > 500, `${compared} blocks compared`);
});

test('EROFS-like 4 KiB LZ4HC clusters at levels 10-12 (each block from the rest of the data, as mkfs.erofs and update_engine call liblz4): the same blocks', (t) => {
  if (!requireTools(t, 'cc', 'mke2fs')) return;
  const data = Buffer.concat([ext4Image().subarray(0, 640 * 1024), systemLibrary().subarray(0, 128 * 1024), runs()]);
  let compared = 0;
  for (const level of OPT_LEVELS) {
    let off = 0;
    for (const c of liblz4DestSize(data, 4096, 0, 0, level)) {
      const got = lz4hcCompressDestSize(data.subarray(off), 4096, level);
      if (c.block === null) {
        // liblz4 held no more than 4096 bytes in the cluster (the program stores it then): so do we.
        assert.ok(got.consumed <= 4096, `level ${level}, offset ${off}: ${got.consumed} bytes consumed, liblz4 stored the cluster`);
      } else {
        assert.equal(got.consumed, c.consumed, `level ${level}, offset ${off}: input consumed`);
        assert.ok(got.block.equals(c.block), `level ${level}, offset ${off}: the block`);
        compared++;
      }
      off += c.consumed;
    }
    assert.equal(off, data.length);
  }
  assert.ok(compared > 60, `${compared} clusters compared`);
});

test('LZ4_compress_HC (whole input, output not limited) at every level: the same blocks as Debian liblz4', (t) => {
  if (!requireTools(t, 'cc', 'mke2fs')) return;
  const inputs: [string, Buffer][] = [
    ['ext4 image', ext4Image().subarray(0, 256 * 1024)],
    ['system library', systemLibrary().subarray(0, 128 * 1024)],
    ['text', text(7, 100_000)],
    ['random', pseudoRandom(20_000, 5)],
    ['runs', runs()],
    ['short', text(8, 2000)],
  ];
  let compared = 0;
  for (const level of [0, 1, 3, 4, 6, 9, 10, 11, 12, 13]) {
    for (const [what, data] of inputs) {
      // Blocks of 64 KiB, and tiny ones (below 13 bytes every byte is a literal).
      for (const [step, cap] of [
        [65536, 65536],
        [997, 11],
        [1009, 40],
      ]) {
        if (cap < 64 && ![9, 10, 12].includes(level)) continue; // the tiny blocks at a few levels only
        liblz4DestSize(data.subarray(0, cap < 64 ? 30_000 : data.length), 0, step, cap, level).forEach((c, i) => {
          const got = lz4hcCompressBlock(data.subarray(i * step, i * step + cap), level);
          assert.ok(c.block && got.equals(c.block), `${what}, level ${level}, block ${i} of ${cap} bytes`);
          compared++;
        });
      }
    }
  }
  assert.ok(compared > 300, `${compared} blocks compared`);
});

test("the whole-block compressor equals the blocks of Debian lz4's frames at levels 10, 11 and 12 (64 KiB and 256 KiB independent blocks)", (t) => {
  if (!requireTools(t, 'lz4', 'mke2fs')) return;
  let compared = 0;
  for (const level of OPT_LEVELS) {
    for (const [what, data] of [
      ['ext4 image', ext4Image().subarray(0, 512 * 1024)],
      ['system library', systemLibrary().subarray(0, 512 * 1024)],
      ['text and runs', Buffer.concat([text(11, 150_000), runs()])],
    ] as [string, Buffer][]) {
      for (const [flag, size] of [
        ['-B4', 64 * 1024],
        ['-B5', 256 * 1024],
      ] as const) {
        const frame = runTool('lz4', [`-${level}`, '-BI', flag, '--no-frame-crc', '-c'], { input: data }).stdout;
        frameBlocks(frame).forEach(([compressed, bytes], i) => {
          const chunk = data.subarray(i * size, (i + 1) * size);
          const ours = lz4hcCompressBlock(chunk, level);
          if (compressed) {
            assert.ok(ours.equals(bytes), `${what}, lz4 -${level} ${flag}: block ${i}`);
            compared++;
          } else {
            // lz4 stores a block that does not compress to under its size (with room for the last literals).
            assert.ok(bytes.equals(chunk));
            assert.ok(ours.length >= chunk.length - 64, `${what}, lz4 -${level} ${flag}: block ${i} stored by lz4, compressed by us to ${ours.length} of ${chunk.length}`);
          }
        });
      }
    }
  }
  assert.ok(compared > 20, `${compared} blocks compared`);
});

test('a 4 KiB block at level 12 from the start of a 64 MiB zero run reads a bounded window, not the run', () => {
  const zeros = Buffer.alloc(64 << 20);
  const t0 = process.hrtime.bigint();
  const r = lz4hcCompressDestSize(zeros, 4096, 12);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  assert.equal(r.block.length, 4096);
  assert.ok(r.consumed > 1_000_000 && r.consumed < 1_100_000, `${r.consumed} bytes consumed`);
  assert.ok(lz4BlockDecode(r.block, r.consumed).equals(zeros.subarray(0, r.consumed)));
  assert.ok(ms < 2000, `${ms} ms`);
});

test("levels map as liblz4's: below 1 is 9, above 12 is 12", () => {
  const data = text(40, 50_000);
  assert.ok(lz4hcCompressBlock(data, 0).equals(lz4hcCompressBlock(data, 9)));
  assert.ok(lz4hcCompressBlock(data, -3).equals(lz4hcCompressBlock(data, 9)));
  assert.ok(lz4hcCompressBlock(data, 99).equals(lz4hcCompressBlock(data, 12)));
  assert.ok(lz4hcCompressDestSize(data, 1000, 16).block.equals(lz4hcCompressDestSize(data, 1000, 12).block));
  assert.ok(!lz4hcCompressBlock(data, 12).equals(lz4hcCompressBlock(data, 9)), 'the optimal parser writes other blocks than the hash chain');
});
