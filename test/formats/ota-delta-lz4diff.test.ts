/**
 * LZ4DIFF_BSDIFF and LZ4DIFF_PUFFDIFF in incremental payloads, and the LZ4
 * block compressor they need (src/codecs/lz4-block-compress.ts):
 * - the compressor's blocks equal liblz4's own, byte for byte: Debian's
 *   liblz4 LZ4_compress_destSize called by a small C program (both of its
 *   hash-table modes, several output sizes) and the blocks inside `lz4 -1`
 *   frames (plain LZ4_compress), over ext4 images from `mke2fs -d`, a system
 *   library, text and random bytes;
 * - deltas between "EROFS-like" images (ext4 images cut into 4 KiB LZ4
 *   clusters by liblz4, with and without zero padding), with bsdiff patches
 *   from Debian's `bsdiff` over the decompressed forms, or puffin patches
 *   over gzip data inside them, rebuild the new image byte for byte; a
 *   postfix patch fixing a block is applied, and checked by its hash;
 * - LZ4HC targets (level 9, the hash-chain parser, and level 12, the
 *   optimal parser; clusters cut by liblz4's LZ4_compress_HC_destSize)
 *   rebuild the new image byte for byte;
 * - lying headers (block sizes past the end, unknown algorithms, unsorted
 *   blocks...) are a finding on the partition while the other partition
 *   still applies.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/pipeline/inspect';
import type { Report } from '../../src/report/model';
import { lz4CompressBlock, lz4CompressDestSize } from '../../src/codecs/lz4-block-compress';
import { lz4hcCompressDestSize } from '../../src/codecs/lz4hc-block-compress';
import { applyLz4diffPatch } from '../../src/codecs/lz4diff';
import { lz4BlockDecode } from '../../src/codecs/lz4-block';
import { CodecError } from '../../src/codecs';
import { buildDeltaPayload, chunkOps, type DeltaOpInput } from '../../fixtures/builders/delta-payload';
import { bsdiff40 } from '../../fixtures/builders/bsdf2';
import { liblz4DestSize, lz4Clusters, writeLz4diffPatch, type Lz4diffInput } from '../../fixtures/builders/lz4diff';
import { makePuffPatch } from '../../fixtures/builders/puffin';
import { mke2fs, type TreeEntry } from '../../fixtures/builders/ext4';
import { pseudoRandom, wordText } from '../../fixtures/builders/data';
import { frameBlocks, requireTools, runTool, tempDir } from '../helpers';
import { artifactAt, describe as describeFindings, sha256 } from '../interop/util';

const BS = 4096;
const LZ4DIFF_BSDIFF = 12;
const LZ4DIFF_PUFFDIFF = 13;

function tree(version: 1 | 2): Record<string, TreeEntry> {
  const t: Record<string, TreeEntry> = {
    'etc/build.prop': { type: 'file', data: `ro.build.version.incremental=${version === 1 ? '100' : '101'}\n` },
    'etc/notes.txt': { type: 'file', data: wordText(5, 200 * 1024) },
    'lib/libfoo.so': { type: 'file', data: pseudoRandom(40 * 1024, 8) },
  };
  if (version === 2) {
    const notes = wordText(5, 200 * 1024);
    notes.write('edited in version 2', 90 * 1024);
    t['etc/notes.txt'] = { type: 'file', data: notes };
    t['etc/new.txt'] = { type: 'file', data: wordText(6, 30 * 1024) };
  }
  return t;
}

let ext4Cache: [Buffer, Buffer] | null = null;
function ext4Images(): [Buffer, Buffer] {
  ext4Cache ??= [mke2fs(tree(1), ['-t', 'ext4', '-b', '4096'], 1024, { mtime: 1700000000 }), mke2fs(tree(2), ['-t', 'ext4', '-b', '4096'], 1024, { mtime: 1700000000 })];
  return ext4Cache;
}

function systemLibrary(): Buffer {
  for (const p of ['/usr/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/aarch64-linux-gnu/libc.so.6', '/bin/sh']) if (existsSync(p)) return readFileSync(p).subarray(0, 1 << 20);
  return wordText(9, 1 << 20);
}

test("the compressor's LZ4_compress_destSize blocks equal Debian liblz4's, byte for byte", (t) => {
  if (!requireTools(t, 'cc', 'lz4', 'mke2fs')) return;
  const [fs1] = ext4Images();
  const inputs: [string, Buffer][] = [
    ['ext4 image', fs1],
    ['system library', systemLibrary()],
    ['text', wordText(3, 300_000)],
    ['random', pseudoRandom(200_000, 4)],
    // Past destSizeWindow: a long run the compressor must not read to its end, and data after it.
    ['a long zero run', Buffer.concat([Buffer.alloc(3 << 20), wordText(12, 100_000)])],
  ];
  let compared = 0;
  for (const [what, data] of inputs) {
    // [target, step, cap]: the rest of the data (32-bit positions, 5-byte hash) or at most 60000 bytes (16-bit positions, 4-byte hash).
    for (const [target, step, cap] of [
      [4096, 4096, 0],
      [4096, 7919, 60_000],
      [65536, 100_003, 0],
      [300, 12_289, 5000],
      [70_000, 50_021, 60_000],
    ]) {
      const ref = liblz4DestSize(data, target, step, cap);
      ref.forEach((c, i) => {
        const off = i * step;
        const input = cap ? data.subarray(off, off + cap) : data.subarray(off);
        const got = lz4CompressDestSize(input, target);
        assert.equal(got.consumed, c.consumed, `${what}, target ${target}, offset ${off}: input consumed`);
        assert.ok(c.block && got.block.equals(c.block), `${what}, target ${target}, offset ${off}: the block`);
        assert.ok(lz4BlockDecode(got.block, got.consumed).equals(input.subarray(0, got.consumed)));
        compared++;
      });
    }
  }
  assert.ok(compared > 1000, `${compared} blocks compared`);
});

test("the LZ4HC compressor's LZ4_compress_HC_destSize blocks equal Debian liblz4's, byte for byte (levels 9, 4, 1)", (t) => {
  if (!requireTools(t, 'cc', 'mke2fs')) return;
  const [fs1] = ext4Images();
  let compared = 0;
  for (const [what, data] of [
    ['ext4 image', fs1.subarray(0, 1 << 20)],
    ['system library', systemLibrary().subarray(0, 400_000)],
    ['text', wordText(3, 200_000)],
    ['random', pseudoRandom(100_000, 4)],
    ['a long zero run', Buffer.concat([Buffer.alloc(2 << 20), wordText(12, 100_000)])],
  ] as [string, Buffer][]) {
    for (const [level, target, step, cap] of [
      [9, 4096, 8192, 0],
      [9, 65536, 100_003, 0],
      [9, 300, 12_289, 5000],
      [4, 4096, 16_411, 0],
      [1, 4096, 16_411, 60_000],
    ]) {
      liblz4DestSize(data, target, step, cap, level).forEach((c, i) => {
        const off = i * step;
        const input = cap ? data.subarray(off, off + cap) : data.subarray(off);
        const got = lz4hcCompressDestSize(input, target, level);
        assert.equal(got.consumed, c.consumed, `${what}, level ${level}, target ${target}, offset ${off}: input consumed`);
        assert.ok(c.block && got.block.equals(c.block), `${what}, level ${level}, target ${target}, offset ${off}: the block`);
        compared++;
      });
    }
  }
  assert.ok(compared > 300, `${compared} blocks compared`);
});

test("the compressor's whole-block output equals the blocks of Debian lz4's frames (lz4 -1, 64 KiB and 256 KiB blocks)", (t) => {
  if (!requireTools(t, 'lz4', 'mke2fs')) return;
  const [fs1, fs2] = ext4Images();
  let compared = 0;
  for (const data of [fs1, fs2, systemLibrary(), wordText(11, 500_000)]) {
    for (const [flag, size] of [
      ['-B4', 64 * 1024],
      ['-B5', 256 * 1024],
    ] as const) {
      const frame = runTool('lz4', ['-1', '-BI', flag, '--no-frame-crc', '-c'], { input: data }).stdout;
      frameBlocks(frame).forEach(([compressed, bytes], i) => {
        const chunk = data.subarray(i * size, (i + 1) * size);
        const ours = lz4CompressBlock(chunk);
        if (compressed) {
          assert.ok(ours.equals(bytes), `block ${i} of ${flag}`);
          compared++;
        } else {
          assert.ok(bytes.equals(chunk));
          assert.ok(ours.length >= chunk.length - 64, `block ${i} stored by lz4 but compressed by us to ${ours.length} of ${chunk.length}`);
        }
      });
    }
  }
  assert.ok(compared > 20, `${compared} blocks compared`);
});

interface Lz4Image {
  image: Buffer;
  decompressed: Buffer;
  side: Lz4diffInput['src'];
}

function lz4Image(decompressed: Buffer, zeroPadding: boolean, hcLevel?: number): Lz4Image {
  const c = lz4Clusters(decompressed, BS, zeroPadding, hcLevel);
  assert.equal(c.image.length % BS, 0, 'the clusters fill whole blocks');
  return { image: c.image, decompressed, side: { algo: hcLevel === undefined ? 1 : 2, level: hcLevel, blocks: c.blocks, zeroPadding } };
}

interface Built {
  /** The payload file. */
  payload: string;
  base: string;
  system: Buffer;
  vendor: Buffer;
}

/** A delta with `system` (one LZ4DIFF operation over the whole image) and `vendor` (ordinary chunk operations). */
function buildLz4Delta(t: TestContext, oldImg: Lz4Image, newImg: Buffer, blob: Buffer, type = LZ4DIFF_BSDIFF): Built {
  const [v1, v2] = ext4Images();
  const oldBlocks = oldImg.image.length / BS;
  const newBlocks = newImg.length / BS;
  const ops: DeltaOpInput[] = [{ type, src: [{ start: 0, blocks: oldBlocks }], dst: [{ start: 0, blocks: newBlocks }], blob }];
  const d = buildDeltaPayload(
    [
      { name: 'system', old: oldImg.image, new: newImg, ops },
      { name: 'vendor', old: v1, new: v2, ops: chunkOps(v1, v2, BS, 16, 'bsdiff40') },
    ],
    { minorVersion: 9 },
  );
  const dir = tempDir(t);
  const base = join(dir, 'base');
  mkdirSync(base);
  writeFileSync(join(base, 'system.img'), oldImg.image);
  writeFileSync(join(base, 'vendor.img'), v1);
  writeFileSync(join(dir, 'payload.bin'), d.payload);
  return { payload: join(dir, 'payload.bin'), base, system: newImg, vendor: v2 };
}

function hashOk(r: Report, name: string, want: Buffer): void {
  const a = artifactAt(r.root, `${name}.img`);
  assert.equal(a.facts.filter((f) => f.kind === 'payload-partition-hash-ok').length, 1, `${name}: ${JSON.stringify(a.facts)}`);
  assert.equal(a.hashes.sha256, sha256(want), `${name}: byte for byte the new image`);
}

for (const zeroPadding of [true, false]) {
  test(`LZ4DIFF_BSDIFF over liblz4 clusters of ext4 images (zero padding ${zeroPadding ? 'on' : 'off'}), Debian bsdiff over the decompressed forms: the new image byte for byte`, async (t) => {
    if (!requireTools(t, 'cc', 'lz4', 'mke2fs', 'bsdiff', 'bspatch')) return;
    const [e1, e2] = ext4Images();
    const oldImg = lz4Image(e1, zeroPadding);
    const newImg = lz4Image(e2, zeroPadding);
    assert.ok(newImg.side.blocks.filter((b) => b.compressedLength < b.uncompressedLength).length > 10, 'most clusters are compressed');
    const patch = writeLz4diffPatch({ src: oldImg.side, dst: newImg.side, innerType: 0, inner: bsdiff40(e1, e2) });
    // The codec alone, then inside a payload applied to a base.
    assert.ok(applyLz4diffPatch(oldImg.image, patch, { puffpatch: null }, 1 << 28).equals(newImg.image));
    const b = buildLz4Delta(t, oldImg, newImg.image, patch);
    const r = await inspect(b.payload, { base: b.base });
    assert.equal(r.summary.errors, 0, describeFindings(r.findings));
    hashOk(r, 'system', newImg.image);
    hashOk(r, 'vendor', b.vendor);
  });
}

for (const level of [9, 12]) {
  test(`LZ4DIFF_BSDIFF over LZ4HC level ${level} clusters (as mkfs.erofs -zlz4hc,${level} writes them with liblz4${level > 9 ? "; liblz4's optimal parser" : ''}): the new image byte for byte`, async (t) => {
    if (!requireTools(t, 'cc', 'mke2fs', 'bsdiff', 'bspatch')) return;
    const [e1, e2] = ext4Images();
    const oldImg = lz4Image(e1, true, level);
    const newImg = lz4Image(e2, true, level);
    assert.ok(newImg.side.blocks.filter((b) => b.compressedLength < b.uncompressedLength).length > 10, 'most clusters are compressed');
    // The source side stays LZ4 level 9 for the level-12 case: the two sides need not agree.
    const src = level === 12 ? lz4Image(e1, true, 9) : oldImg;
    const patch = writeLz4diffPatch({ src: src.side, dst: newImg.side, innerType: 0, inner: bsdiff40(e1, e2) });
    assert.ok(applyLz4diffPatch(src.image, patch, { puffpatch: null }, 1 << 28).equals(newImg.image));
    const b = buildLz4Delta(t, src, newImg.image, patch);
    const r = await inspect(b.payload, { base: b.base });
    assert.equal(r.summary.errors, 0, describeFindings(r.findings));
    hashOk(r, 'system', newImg.image);
    hashOk(r, 'vendor', b.vendor);
  });
}

test('LZ4DIFF_PUFFDIFF: a puffin patch over gzip streams inside LZ4 clusters, re-deflated and recompressed byte for byte', async (t) => {
  if (!requireTools(t, 'cc', 'lz4', 'mke2fs', 'bsdiff', 'bspatch', 'gzip')) return;
  const doc = (v: number) => Buffer.from(Array.from({ length: 600 }, (_, i) => `line ${i}: version ${i % 41 === 0 ? v : 1} of the file\n`).join(''));
  const gz = (b: Buffer) => runTool('gzip', ['-9', '-n', '-c'], { input: b }).stdout;
  const make = (v: number) => Buffer.concat([wordText(21, 20_000), gz(doc(v)), wordText(22, 30_000), Buffer.alloc(64 * 1024)]);
  const [d1, d2] = [make(1), make(2)];
  const oldImg = lz4Image(d1, true);
  const newImg = lz4Image(d2, true);
  const puff = makePuffPatch(d1, d2);
  const patch = writeLz4diffPatch({ src: oldImg.side, dst: newImg.side, innerType: 1, inner: puff.patch });
  const b = buildLz4Delta(t, oldImg, newImg.image, patch, LZ4DIFF_PUFFDIFF);
  const r = await inspect(b.payload, { base: b.base });
  assert.equal(r.summary.errors, 0, describeFindings(r.findings));
  hashOk(r, 'system', newImg.image);
  hashOk(r, 'vendor', b.vendor);
});

test("postfix patches: a target block the generator's LZ4 wrote differently is fixed by its bsdiff patch, after its hash is checked", (t) => {
  if (!requireTools(t, 'cc', 'lz4', 'mke2fs', 'bsdiff', 'bspatch')) return;
  const [e1, e2] = ext4Images();
  const oldImg = lz4Image(e1, true);
  const newImg = lz4Image(e2, true);
  const k = newImg.side.blocks.findIndex((b) => b.compressedLength < b.uncompressedLength && b.uncompressedOffset > 0);
  const start = newImg.side.blocks.slice(0, k).reduce((n, b) => n + b.compressedLength, 0);
  const theirs = Buffer.from(newImg.image);
  theirs[start + 2000] ^= 0x40; // what "another LZ4" wrote for block k
  const ours = newImg.image.subarray(start, start + BS);
  const blocks = newImg.side.blocks.map((b, i) => (i === k ? { ...b, postfix: bsdiff40(Buffer.from(ours), theirs.subarray(start, start + BS)) } : b));
  const patch = writeLz4diffPatch({ src: oldImg.side, dst: { ...newImg.side, blocks }, innerType: 0, inner: bsdiff40(e1, e2) });
  assert.ok(applyLz4diffPatch(oldImg.image, patch, { puffpatch: null }, 1 << 28).equals(theirs));
  // The hash the generator stored of its recompressed block no longer matches: refused, as update_engine refuses it.
  const lying = blocks.map((b, i) => (i === k ? { ...b, sha256: Buffer.alloc(32, 1) } : b));
  const bad = writeLz4diffPatch({ src: oldImg.side, dst: { ...newImg.side, blocks: lying }, innerType: 0, inner: bsdiff40(e1, e2) });
  assert.throws(
    () => applyLz4diffPatch(oldImg.image, bad, { puffpatch: null }, 1 << 28),
    (e: unknown) => e instanceof CodecError && new RegExp(`target block ${k}: the recompressed block's SHA-256`).test(e.message),
  );
});

test('lying LZ4DIFF headers: a finding naming the operation and why, and the other partition still applies', async (t) => {
  if (!requireTools(t, 'cc', 'lz4', 'mke2fs', 'bsdiff', 'bspatch')) return;
  const [e1, e2] = ext4Images();
  const oldImg = lz4Image(e1, true);
  const newImg = lz4Image(e2, true);
  const inner = bsdiff40(e1, e2);
  const good: Lz4diffInput = { src: oldImg.side, dst: newImg.side, innerType: 0, inner };
  const last = (bs: Lz4diffInput['src']['blocks'], f: (b: Lz4diffInput['src']['blocks'][number]) => object) => bs.map((b, i) => (i === bs.length - 1 ? { ...b, ...f(b) } : b));
  const lies: [string, () => Buffer, RegExp][] = [
    [
      'a source block past the end',
      () => writeLz4diffPatch({ ...good, src: { ...good.src, blocks: last(good.src.blocks, (b) => ({ compressedLength: b.compressedLength + BS, uncompressedLength: b.uncompressedLength + 2 * BS })) } }),
      /the source blocks are \d+ bytes, more than the \d+ bytes of the operation's source extents/,
    ],
    ['a huge uncompressed length', () => writeLz4diffPatch({ ...good, src: { ...good.src, blocks: last(good.src.blocks, () => ({ uncompressedLength: 2 ** 40 })) } }), /hold more than the \d+ bytes romscope patches/],
    [
      'unsorted blocks',
      () => writeLz4diffPatch({ ...good, dst: { ...good.dst, blocks: last(good.dst.blocks, (b) => ({ uncompressedOffset: b.uncompressedOffset + 1 })) } }),
      /target block \d+ starts at uncompressed offset/,
    ],
    ['an unknown target algorithm', () => writeLz4diffPatch({ ...good, dst: { ...good.dst, algo: 7 } }), /target compression algorithm type 7/],
    ['an unknown inner patch type', () => writeLz4diffPatch({ ...good, innerType: 5 }), /inner patch type 5/],
    ['version 2', () => writeLz4diffPatch({ ...good, version: 2 }), /version 2, not 1/],
    [
      'a header past the end',
      () => {
        const p = writeLz4diffPatch(good);
        p.writeUInt32BE(p.length, 11);
        return p;
      },
      /header runs past the end/,
    ],
    [
      'a corrupt source block',
      () => {
        const blocks = good.src.blocks.map((b) => ({ ...b, uncompressedLength: b.compressedLength < b.uncompressedLength ? b.uncompressedLength + 100 : b.uncompressedLength }));
        let off = 0;
        for (const b of blocks) ((b.uncompressedOffset = off), (off += b.uncompressedLength));
        return writeLz4diffPatch({ ...good, src: { ...good.src, blocks } });
      },
      /source block \d+ \(\d+ bytes at \d+\) does not decode/,
    ],
  ];
  for (const [name, make, why] of lies) {
    const b = buildLz4Delta(t, oldImg, newImg.image, make());
    const r = await inspect(b.payload, { base: b.base });
    const sys = artifactAt(r.root, 'system.img');
    const facts = sys.facts.map((f) => `${f.kind}: ${f.message}`).join('\n');
    assert.match(facts, /unreadable: operation 0 \(LZ4DIFF_BSDIFF\) of system(\.img)?: LZ4DIFF patch: /, `${name}: ${facts}`);
    assert.match(facts, why, `${name}: ${facts}`);
    assert.equal(sys.facts.filter((f) => f.kind === 'payload-partition-hash-ok').length, 0, name);
    hashOk(r, 'vendor', b.vendor);
  }
});

test('a target declared LZ4HC level 12 whose clusters liblz4 wrote with plain LZ4: recompressed at level 12 the blocks differ, and the partition hash says so', async (t) => {
  if (!requireTools(t, 'cc', 'lz4', 'mke2fs', 'bsdiff', 'bspatch')) return;
  const [e1, e2] = ext4Images();
  const oldImg = lz4Image(e1, true);
  const newImg = lz4Image(e2, true);
  const patch = writeLz4diffPatch({ src: oldImg.side, dst: { ...newImg.side, algo: 2, level: 12 }, innerType: 0, inner: bsdiff40(e1, e2) });
  const b = buildLz4Delta(t, oldImg, newImg.image, patch);
  const r = await inspect(b.payload, { base: b.base });
  const sys = artifactAt(r.root, 'system.img');
  assert.equal(sys.facts.filter((f) => f.kind === 'payload-partition-hash').length, 1, JSON.stringify(sys.facts));
  assert.equal(sys.facts.filter((f) => f.kind === 'payload-partition-hash-ok').length, 0);
  hashOk(r, 'vendor', b.vendor);
});
