/**
 * Interop: Android sparse images written by the reference img2simg (and
 * re-split by simg2simg) expand to exactly what simg2img writes, alone and
 * nested in zip and lz4; damaged and hostile ones end as findings, quickly
 * and in bounded memory. Raw images are built at test time; nothing is
 * stored in the repository.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { inspect, extract } from '../../src/index';
import type { Artifact, Fact, Report } from '../../src/report/model';
import { FileSource } from '../../src/io/source';
import { Budget, defaultBudget } from '../../src/io/limits';
import { sparseHandler } from '../../src/formats/android-sparse';
import { tempDir, runTool, requireTools, runCli, hasTool, toolEnv, ofFormat } from '../helpers';
import { pseudoRandom } from '../../fixtures/builders/data';
import { buildSparse } from '../../fixtures/builders/sparse';
import { artifactAt, describe, errors, peakMemoryGrowth, sha256 } from './util';

const KiB = 1 << 10;
const MiB = 1 << 20;
const CHUNK_RAW = 0xcac1;
const CHUNK_FILL = 0xcac2;
const CHUNK_DONT_CARE = 0xcac3;
const CHUNK_CRC32 = 0xcac4;

function pattern(word: number, n: number): Buffer {
  const b = Buffer.alloc(Math.ceil(n / 4) * 4);
  for (let i = 0; i < b.length; i += 4) b.writeUInt32LE(word >>> 0, i);
  return b.subarray(0, n);
}

/**
 * Raw images, built at test time. Run lengths are deliberately not multiples
 * of any block size, so block boundaries fall inside runs, and the lengths are
 * odd, so img2simg pads the last block.
 */
const IMAGES: Record<string, Buffer> = {
  // Random data, zero runs, two repeated 4-byte patterns, an odd random tail (~5.6 MiB).
  mixed: Buffer.concat([
    pseudoRandom(MiB + 5000, 61),
    Buffer.alloc(1.5 * MiB),
    pattern(0xdeadbeef, 700 * KiB + 12),
    pseudoRandom(300 * KiB + 7, 62),
    pattern(0x44434241, MiB + 2),
    Buffer.alloc(512 * KiB),
    pseudoRandom(12_345, 63),
  ]),
  // Mostly holes: 8 MiB of zeros with small random islands.
  holes: (() => {
    const b = Buffer.alloc(8 * MiB + 3);
    for (const [at, n, seed] of [
      [0, 100, 64],
      [3 * MiB + 777, 20_000, 65],
      [5 * MiB - 1, 70_001, 66],
      [8 * MiB - 9, 12, 67],
    ])
      pseudoRandom(n, seed).copy(b, at);
    return b;
  })(),
  // A flash-erased partition: all 0xff, then a little data.
  erased: Buffer.concat([Buffer.alloc(3 * MiB, 0xff), pseudoRandom(4099, 68)]),
};

const BLOCK_SIZES = [4096, 1024, 16384];

interface ChunkRec {
  index: number;
  type: number;
  offset: number;
  blocks: number;
  total: number;
}

/** The chunk headers of a well-formed sparse file. */
function listChunks(b: Buffer): ChunkRec[] {
  assert.equal(b.readUInt32LE(0), 0xed26ff3a, 'sparse magic');
  const out: ChunkRec[] = [];
  let pos = b.readUInt16LE(8);
  const n = b.readUInt32LE(20);
  for (let index = 0; index < n; index++) {
    const total = b.readUInt32LE(pos + 8);
    out.push({ index, type: b.readUInt16LE(pos), offset: pos, blocks: b.readUInt32LE(pos + 4), total });
    pos += total;
  }
  return out;
}

/** `img2simg raw sparse [block_size]`; returns the sparse file's path. */
function img2simg(t: TestContext, raw: Buffer, blockSize?: number, name = 'x.img'): string {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'in.raw'), raw);
  runTool('img2simg', ['in.raw', name, ...(blockSize ? [String(blockSize)] : [])], { cwd: dir });
  return join(dir, name);
}

/** What simg2img expands `files` to (several files are applied to one output in turn). */
function simg2img(t: TestContext, ...files: string[]): Buffer {
  const out = join(tempDir(t), 'out.raw');
  runTool('simg2img', [...files, out]);
  return readFileSync(out);
}

/** Chunk type counts according to simg_dump -v (same package as img2simg), or null without it. */
function simgDumpCounts(file: string): { raw: number; fill: number; dontCare: number; crc32: number } | null {
  if (!hasTool('simg_dump')) return null;
  const r = spawnSync('simg_dump', ['-v', file], { encoding: 'utf8', env: toolEnv() });
  if (r.status !== 0) return null;
  const c = { raw: 0, fill: 0, dontCare: 0, crc32: 0 };
  for (const m of r.stdout.matchAll(/^\s*\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+(Raw data|Fill with|Don't care|Unverified CRC32)/gm)) {
    if (m[1] === 'Raw data') c.raw++;
    else if (m[1] === 'Fill with') c.fill++;
    else if (m[1] === "Don't care") c.dontCare++;
    else c.crc32++;
  }
  return c;
}

/** The info of a sparse artifact is self-consistent and agrees with the file's own chunk list. */
function assertInfoConsistent(a: Artifact, file: Buffer, expandedSize: number): void {
  const info = a.info as {
    version: string;
    blockSize: number;
    totalBlocks: number;
    expandedSize: number;
    chunks: { total: number; raw: number; fill: number; dontCare: number; crc32: number };
    dataBytes: number;
    fillBytes: number;
    holeBytes: number;
  };
  assert.equal(info.version, '1.0');
  assert.equal(info.blockSize, file.readUInt32LE(12));
  assert.equal(info.totalBlocks, file.readUInt32LE(16));
  assert.equal(info.expandedSize, expandedSize);
  assert.equal(info.totalBlocks * info.blockSize, info.expandedSize);
  const c = info.chunks;
  assert.equal(c.total, file.readUInt32LE(20));
  assert.equal(c.raw + c.fill + c.dontCare + c.crc32, c.total, `chunk counts ${JSON.stringify(c)}`);
  assert.equal(info.dataBytes + info.fillBytes + info.holeBytes, info.expandedSize, 'data + fill + hole bytes');
  const chunks = listChunks(file);
  const bs = info.blockSize;
  const sum = (type: number) => chunks.filter((k) => k.type === type).reduce((n, k) => n + k.blocks * bs, 0);
  assert.equal(info.dataBytes, sum(CHUNK_RAW), 'dataBytes');
  assert.equal(info.fillBytes, sum(CHUNK_FILL), 'fillBytes');
  assert.equal(info.holeBytes, sum(CHUNK_DONT_CARE), 'holeBytes');
  assert.equal(c.crc32, chunks.filter((k) => k.type === CHUNK_CRC32).length);
}

/**
 * The sparse artifact at `sparsePath` (in the report of `file`) has a raw
 * child equal to `ref`, simg2img's output; `extract` writes the same bytes.
 */
async function assertExpandsTo(t: TestContext, file: string, sparsePath: string, sparseBytes: Buffer, ref: Buffer): Promise<Report> {
  const r = await inspect(file);
  assert.deepEqual(errors(r), [], describe(r.findings));
  const sp = artifactAt(r.root, sparsePath);
  assert.equal(sp.format, 'android-sparse');
  assert.equal(sp.size, sparseBytes.length);
  assert.equal(sp.hashes.sha256, sha256(sparseBytes));
  assert.equal(sp.children.length, 1);
  const raw = sp.children[0];
  const rawPath = sparsePath === '' ? 'raw' : `${sparsePath}/raw`;
  assert.equal(raw.name, 'raw');
  assert.equal(raw.path, rawPath);
  assert.equal(raw.size, ref.length, 'expanded size');
  assert.equal(raw.hashes.sha256, sha256(ref), 'expanded sha256');
  assert.equal(raw.info.incomplete, undefined);
  assertInfoConsistent(sp, sparseBytes, ref.length);

  const out = join(tempDir(t), 'out');
  mkdirSync(out);
  const res = await extract(file, rawPath, out);
  assert.equal(res.bytes, ref.length);
  assert.equal(res.hashes.sha256, sha256(ref));
  assert.ok(readFileSync(res.output).equals(ref), 'extracted bytes differ from simg2img output');
  assert.deepEqual(readdirSync(out), ['raw']);
  return r;
}

for (const [label, raw] of Object.entries(IMAGES)) {
  for (const bs of BLOCK_SIZES) {
    test(`img2simg ${label} (${raw.length} bytes), block size ${bs}: raw child equals simg2img output`, async (t) => {
      if (!requireTools(t, 'img2simg', 'simg2img')) return;
      const file = img2simg(t, raw, bs);
      const bytes = readFileSync(file);
      assert.equal(bytes.readUInt32LE(12), bs, 'premise: img2simg used the block size');
      const ref = simg2img(t, file);
      // Premise: the reference expands to the original, padded with zeros to whole blocks.
      assert.equal(ref.length, Math.ceil(raw.length / bs) * bs);
      assert.ok(ref.subarray(0, raw.length).equals(raw), 'premise: simg2img gives the original back');
      assert.ok(
        ref.subarray(raw.length).every((x) => x === 0),
        'premise: padding is zeros',
      );

      const r = await assertExpandsTo(t, file, '', bytes, ref);
      assert.equal(r.root.name, 'x.img');
      assert.equal(r.root.info.headerSizes, undefined, 'img2simg writes 28/12-byte headers');
      assert.equal(r.root.info.trailingBytes, undefined);
      assert.equal(r.summary.integrity.status, 'unchecked', 'img2simg writes no CRC32 chunk');
      const dump = simgDumpCounts(file);
      if (dump) {
        const { total, ...counts } = r.root.info.chunks as Record<string, number>;
        assert.deepEqual(counts, dump, 'chunk counts agree with simg_dump -v');
        assert.equal(total, bytes.readUInt32LE(20));
      }
      if (label !== 'mixed') assert.ok((r.root.info.fillBytes as number) > raw.length / 2, `${label}: most blocks are FILL chunks`);
    });
  }
}

test('img2simg with the default block size: 4096', async (t) => {
  if (!requireTools(t, 'img2simg', 'simg2img')) return;
  const file = img2simg(t, IMAGES.mixed);
  const bytes = readFileSync(file);
  assert.equal(bytes.readUInt32LE(12), 4096);
  await assertExpandsTo(t, file, '', bytes, simg2img(t, file));
});

test('random-access reads of the raw child at any offset equal simg2img output', async (t) => {
  if (!requireTools(t, 'img2simg', 'simg2img')) return;
  const file = img2simg(t, IMAGES.mixed, 4096);
  const ref = simg2img(t, file);
  const src = await FileSource.open(file, 'x.img');
  t.after(() => src.close());
  const facts: Fact[] = [];
  const res = await sparseHandler.decode(src, { budget: new Budget(defaultBudget(src.size)), fact: (f) => void facts.push(f) });
  assert.deepEqual(facts, []);
  const child = res.children[0].source;
  assert.equal(child.kind, 'random');
  if (child.kind !== 'random') return;
  // Offsets at every phase of a 4-byte pattern, inside FILL chunks of both
  // patterns, across chunk boundaries, and a range spanning several chunks.
  const fillA = MiB + 5000 + 1.5 * MiB;
  const fillB = fillA + 700 * KiB + 12 + 300 * KiB + 7;
  const probes: [number, number][] = [];
  for (const base of [fillA + 8192, fillB + 4096 * 3, MiB + 4096, 0]) for (let k = 0; k < 4; k++) probes.push([base + k, 37], [base + k, 4096 + k]);
  probes.push([fillA - 100, 9000], [fillB - 3, 2 * MiB], [1, ref.length - 2], [ref.length - 5, 5]);
  for (const [at, n] of probes) {
    const got = await child.read(at, n);
    assert.ok(got.equals(ref.subarray(at, at + n)), `read(${at}, ${n}) differs from simg2img output: ${got.subarray(0, 8).toString('hex')} vs ${ref.subarray(at, at + 8).toString('hex')}`);
  }
  const streamed: Buffer[] = [];
  for await (const c of child.stream(fillB + 2, fillB + 2 + 3 * MiB)) streamed.push(c);
  assert.ok(Buffer.concat(streamed).equals(ref.subarray(fillB + 2, fillB + 2 + 3 * MiB)), 'stream() from an unaligned offset');
});

test("simg2simg pieces (DONT_CARE chunks for the other pieces' blocks) each expand like simg2img", async (t) => {
  if (!requireTools(t, 'img2simg', 'simg2img', 'simg2simg')) return;
  const file = img2simg(t, IMAGES.mixed, 4096);
  const dir = tempDir(t);
  runTool('simg2simg', [file, join(dir, 'system.img'), String(400 * KiB)]);
  const pieces = readdirSync(dir)
    .filter((n) => n.startsWith('system.img.'))
    .sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop()));
  assert.ok(pieces.length >= 4, `premise: simg2simg split into several pieces (${pieces.join(', ')})`);
  let holes = 0;
  for (const p of pieces) {
    const path = join(dir, p);
    const bytes = readFileSync(path);
    const r = await assertExpandsTo(t, path, '', bytes, simg2img(t, path));
    holes += (r.root.info.chunks as { dontCare: number }).dontCare;
  }
  assert.ok(holes >= pieces.length, 'premise: the pieces carry DONT_CARE chunks');
  // Premise of the split: applied in turn, the pieces rebuild the image.
  assert.ok(simg2img(t, ...pieces.map((p) => join(dir, p))).equals(simg2img(t, file)));
});

/** img2simg output with a correct CRC32 chunk appended (img2simg itself never writes one). */
function withTrailingCrc(sparse: Buffer, expanded: Buffer): Buffer {
  const chunk = Buffer.alloc(16);
  chunk.writeUInt16LE(CHUNK_CRC32, 0);
  chunk.writeUInt32LE(0, 4);
  chunk.writeUInt32LE(16, 8);
  chunk.writeUInt32LE(crc32(expanded) >>> 0, 12);
  const out = Buffer.concat([sparse, chunk]);
  out.writeUInt32LE(sparse.readUInt32LE(20) + 1, 20);
  return out;
}

test("our builder's DONT_CARE, CRC32 and 32/16-byte headers: simg2img agrees, CRC verified", async (t) => {
  if (!requireTools(t, 'simg2img')) return;
  const bs = 4096;
  const a = pseudoRandom(5 * bs, 71);
  const b = pseudoRandom(3 * bs, 72);
  for (const o of [{}, { fileHeaderSize: 32, chunkHeaderSize: 16 }, { fileHeaderSize: 40, chunkHeaderSize: 24 }]) {
    const bytes = buildSparse(
      [{ type: 'dontcare', blocks: 7 }, { type: 'raw', data: a }, { type: 'crc32' }, { type: 'fill', pattern: 0xa5a5a5a5, blocks: 300 }, { type: 'dontcare', blocks: 1000 }, { type: 'raw', data: b }, { type: 'crc32' }],
      o,
    );
    const file = join(tempDir(t), 'b.img');
    writeFileSync(file, bytes);
    const ref = simg2img(t, file);
    assert.equal(ref.length, (7 + 5 + 300 + 1000 + 3) * bs, 'premise: simg2img reads our headers');
    const r = await assertExpandsTo(t, file, '', bytes, ref);
    assert.deepEqual(r.root.info.headerSizes, 'fileHeaderSize' in o ? { file: o.fileHeaderSize, chunk: o.chunkHeaderSize } : undefined);
    assert.equal(r.summary.integrity.status, 'verified');
    assert.equal(r.summary.integrity.checks, 2, 'both CRC32 chunks were checked');
  }
});

test('sparse image in a zip (stored and deflated): system.img/raw equals simg2img output', async (t) => {
  if (!requireTools(t, 'img2simg', 'simg2img', 'zip')) return;
  const file = img2simg(t, IMAGES.mixed, 4096, 'system.img');
  const bytes = readFileSync(file);
  const ref = simg2img(t, file);
  for (const level of ['-0', '-6']) {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'system.img'), bytes);
    runTool('zip', ['-q', level, 'rom.zip', 'system.img'], { cwd: dir });
    const zipFile = join(dir, 'rom.zip');
    const r = await assertExpandsTo(t, zipFile, 'system.img', bytes, ref);
    assert.equal(artifactAt(r.root, 'system.img').info.compression, level === '-0' ? 'stored' : 'deflate');
    assert.equal(r.summary.integrity.status, 'verified', 'the zip CRC was checked');
  }
});

test('Samsung style super.img.lz4 holding a sparse image: super.img/raw equals simg2img output', async (t) => {
  if (!requireTools(t, 'img2simg', 'simg2img', 'lz4')) return;
  const file = img2simg(t, IMAGES.holes, 4096, 'super.img');
  const bytes = readFileSync(file);
  const ref = simg2img(t, file);
  const dir = tempDir(t);
  writeFileSync(join(dir, 'super.img'), bytes);
  runTool('lz4', ['-q', '-f', '-B6', '--content-size', 'super.img', 'super.img.lz4'], { cwd: dir });
  const r = await assertExpandsTo(t, join(dir, 'super.img.lz4'), 'super.img', bytes, ref);
  assert.equal(r.root.format, 'lz4');
  assert.equal(r.summary.integrity.status, 'verified', 'the LZ4 content checksum was checked');
});

test('bytes after the last chunk are ignored (as libsparse does) and counted in info.trailingBytes', async (t) => {
  if (!requireTools(t, 'img2simg', 'simg2img')) return;
  const sparse = readFileSync(img2simg(t, IMAGES.erased, 4096));
  const bytes = Buffer.concat([sparse, Buffer.from('padding written by a vendor tool\n'.repeat(3))]);
  const file = join(tempDir(t), 'tail.img');
  writeFileSync(file, bytes);
  const ref = simg2img(t, file);
  assert.ok(ref.equals(simg2img(t, writeTemp(t, sparse))), 'premise: simg2img ignores the tail');
  const r = await assertExpandsTo(t, file, '', bytes, ref);
  assert.equal(r.root.info.trailingBytes, bytes.length - sparse.length);
});

/** Writes sparse bytes to a temp file and returns its path. */
function writeTemp(t: TestContext, sparse: Buffer): string {
  const p = join(tempDir(t), 'plain.img');
  writeFileSync(p, sparse);
  return p;
}

// ---- bad input ----

test('a chunk whose total_sz lies (0xfffffff0): format/sparse-invalid, no crash, bounded memory', async (t) => {
  if (!requireTools(t, 'img2simg', 'simg2img')) return;
  const good = readFileSync(img2simg(t, IMAGES.mixed, 4096));
  const chunks = listChunks(good);
  for (const type of [CHUNK_RAW, CHUNK_FILL]) {
    const target = chunks.find((c) => c.type === type)!;
    const bytes = Buffer.from(good);
    bytes.writeUInt32LE(0xfffffff0, target.offset + 8);
    const file = join(tempDir(t), 'lie.img');
    writeFileSync(file, bytes);
    assert.notEqual(spawnSync('simg2img', [file, join(tempDir(t), 'o.raw')], { env: toolEnv() }).status, 0, 'premise: simg2img rejects it');

    const { value: r, arrayBuffers } = await peakMemoryGrowth(() => inspect(file));
    const errs = errors(r);
    assert.ok(errs.length >= 1, describe(r.findings));
    assert.ok(
      errs.every((f) => f.ruleId === 'format/sparse-invalid'),
      describe(errs),
    );
    assert.equal(errs[0].path, '');
    assert.equal(errs[0].offset, target.offset, 'the offset of the lying chunk');
    assert.equal(r.root.hashes.sha256, sha256(bytes), 'the file itself is still hashed');
    assert.deepEqual(r.root.children, [], 'no expanded image from a broken chunk list');
    assert.ok(arrayBuffers < 64 * MiB, `buffers grew by ${arrayBuffers} bytes`);
    const cli = runCli(['check', file, '--json']);
    assert.equal(cli.code, 1, cli.stderr);
  }
});

test('a header declaring 2^40 bytes with one DONT_CARE chunk: a finding within 10 s, bounded memory', async (t) => {
  const bs = 4096;
  // A 'custom' chunk: the builder's own DONT_CARE would allocate the hole to compute a CRC.
  const bytes = buildSparse([{ type: 'custom', chunkType: CHUNK_DONT_CARE, blocks: 2 ** 40 / bs, payload: Buffer.alloc(0) }], { blockSize: bs });
  assert.equal(bytes.readUInt32LE(16), 2 ** 28, 'premise: total_blks');
  assert.equal(bytes.length, 40);
  const file = join(tempDir(t), 'bomb.img');
  writeFileSync(file, bytes);

  const t0 = performance.now();
  const { value: r, rss, arrayBuffers } = await peakMemoryGrowth(() => inspect(file));
  const seconds = (performance.now() - t0) / 1000;
  assert.ok(seconds < 10, `took ${seconds.toFixed(1)} s`);
  const errs = errors(r);
  assert.ok(errs.length >= 1, describe(r.findings));
  assert.ok(
    errs.some((f) => f.ruleId === 'format/budget-exceeded' || f.ruleId === 'format/sparse-invalid'),
    describe(errs),
  );
  assert.equal(r.root.info.expandedSize, 2 ** 40);
  assert.equal(ofFormat(r.root, 'android-sparse').info.holeBytes, 2 ** 40);
  const raw = r.root.children.find((c) => c.name === 'raw');
  assert.ok(!raw || raw.hashes.sha256 === undefined, 'no digest claimed for a 1 TiB expansion');
  assert.ok(arrayBuffers < 64 * MiB, `buffers grew by ${arrayBuffers} bytes`);
  assert.ok(rss < 256 * MiB, `RSS grew by ${rss} bytes`);

  const c0 = performance.now();
  const cli = runCli(['check', file, '--json']);
  assert.ok(performance.now() - c0 < 10_000, 'romscope check finished within 10 s');
  assert.equal(cli.code, 1, cli.stderr);
  // Extracting it is refused rather than writing 1 TiB.
  const out = join(tempDir(t), 'out');
  mkdirSync(out);
  await assert.rejects(extract(file, 'raw', out));
  assert.deepEqual(readdirSync(out), []);
});

test('a sparse file cut short is integrity/truncated with an offset', async (t) => {
  if (!requireTools(t, 'img2simg', 'simg2img')) return;
  const good = readFileSync(img2simg(t, IMAGES.mixed, 4096));
  const chunks = listChunks(good);
  const raw = chunks.find((c) => c.type === CHUNK_RAW && c.total > 100_000)!;
  const fill = chunks.find((c) => c.type === CHUNK_FILL)!;
  const cuts: [string, number][] = [
    ['at a chunk boundary (fewer than total_chunks chunks)', chunks[2].offset],
    ['inside a chunk header', chunks[2].offset + 6],
    ['inside RAW data', raw.offset + 12 + 50_000],
    ['inside a FILL payload', fill.offset + 12 + 2],
  ];
  for (const [what, at] of cuts) {
    const bytes = good.subarray(0, at);
    const file = join(tempDir(t), 'cut.img');
    writeFileSync(file, bytes);
    assert.notEqual(spawnSync('simg2img', [file, join(tempDir(t), 'o.raw')]).status, 0, `premise (${what}): simg2img rejects it`);
    const r = await inspect(file);
    assert.deepEqual(
      errors(r).map((f) => f.ruleId),
      ['integrity/truncated'],
      `${what}: ${describe(r.findings)}`,
    );
    const f = errors(r)[0];
    assert.equal(f.path, '');
    assert.equal(typeof f.offset, 'number', `${what}: the finding has an offset`);
    assert.ok(f.offset! <= at, `${what}: offset ${f.offset} is inside the file (${at} bytes)`);
    assert.equal(r.root.hashes.sha256, sha256(bytes), `${what}: the cut file itself is still hashed`);
    assert.equal(r.summary.integrity.status, 'failed');
    const cli = runCli(['check', file, '--json']);
    assert.equal(cli.code, 1, cli.stderr);
    assert.ok(JSON.parse(cli.stdout).findings.some((x: { ruleId: string }) => x.ruleId === 'integrity/truncated'));
  }
});

test('total_chunks larger than the chunks present: integrity/truncated at the end of the file', async (t) => {
  if (!requireTools(t, 'img2simg')) return;
  const bytes = Buffer.from(readFileSync(img2simg(t, IMAGES.erased, 4096)));
  bytes.writeUInt32LE(bytes.readUInt32LE(20) + 1, 20);
  const file = join(tempDir(t), 'more.img');
  writeFileSync(file, bytes);
  const r = await inspect(file);
  const errs = errors(r);
  assert.deepEqual(
    errs.map((f) => f.ruleId),
    ['integrity/truncated'],
    describe(r.findings),
  );
  assert.equal(errs[0].offset, bytes.length);
});

test('a 20-byte file with the sparse magic is integrity/truncated', async (t) => {
  const file = join(tempDir(t), 'short.img');
  writeFileSync(file, buildSparse([{ type: 'dontcare', blocks: 1 }]).subarray(0, 20));
  const r = await inspect(file);
  assert.equal(r.root.format, 'android-sparse');
  assert.deepEqual(
    errors(r).map((f) => f.ruleId),
    ['integrity/truncated'],
    describe(r.findings),
  );
});

test('total_chunks smaller than the chunks present: format/sparse-invalid (blocks missing)', async (t) => {
  if (!requireTools(t, 'img2simg')) return;
  const bytes = Buffer.from(readFileSync(img2simg(t, IMAGES.mixed, 4096)));
  bytes.writeUInt32LE(bytes.readUInt32LE(20) - 1, 20);
  const file = join(tempDir(t), 'fewer.img');
  writeFileSync(file, bytes);
  const r = await inspect(file);
  assert.deepEqual(
    errors(r).map((f) => f.ruleId),
    ['format/sparse-invalid'],
    describe(r.findings),
  );
});

test('a flipped byte inside a RAW chunk with a CRC32 chunk present is integrity/sparse-crc (simg2img does not notice)', async (t) => {
  if (!requireTools(t, 'img2simg', 'simg2img')) return;
  const sparseFile = img2simg(t, IMAGES.mixed, 4096);
  const sparse = readFileSync(sparseFile);
  const ref = simg2img(t, sparseFile);
  const good = withTrailingCrc(sparse, ref);
  const goodFile = join(tempDir(t), 'crc.img');
  writeFileSync(goodFile, good);
  // Premise: simg2img reads the CRC32 chunk we appended.
  assert.ok(simg2img(t, goodFile).equals(ref), 'premise: simg2img accepts the appended CRC32 chunk');
  const ok = await assertExpandsTo(t, goodFile, '', good, ref);
  assert.equal(ok.summary.integrity.status, 'verified');
  assert.equal((ok.root.info.chunks as { crc32: number }).crc32, 1);

  const raw = listChunks(good).find((c) => c.type === CHUNK_RAW)!;
  const bad = Buffer.from(good);
  bad[raw.offset + 12 + 4321] ^= 0x08;
  const file = join(tempDir(t), 'x.img');
  writeFileSync(file, bad);
  assert.equal(spawnSync('simg2img', [file, join(tempDir(t), 'o.raw')]).status, 0, 'premise: simg2img does not check the CRC');

  const r = await inspect(file);
  const errs = errors(r);
  assert.deepEqual(
    errs.map((f) => f.ruleId),
    ['integrity/sparse-crc'],
    describe(r.findings),
  );
  assert.equal(errs[0].path, 'raw', 'the finding is on the expanded image');
  assert.equal(errs[0].offset, ref.length, 'the CRC covers the whole expanded image');
  assert.equal(r.summary.integrity.status, 'failed');
  assert.equal(r.root.hashes.sha256, sha256(bad));
  assert.notEqual(r.root.children[0].hashes.sha256, sha256(ref));

  const cli = runCli(['check', file, '--json']);
  assert.equal(cli.code, 1, cli.stderr);
  assert.ok(JSON.parse(cli.stdout).findings.some((f: { ruleId: string; path: string }) => f.ruleId === 'integrity/sparse-crc' && f.path === 'raw'));
});

const MID_CRC = [{ type: 'raw', data: pseudoRandom(4 * 4096, 81) }, { type: 'crc32' }, { type: 'fill', pattern: 0x01020304, blocks: 3 }, { type: 'dontcare', blocks: 2 }] as const;

test('extract writes an expanded image whose CRC32 chunk (covering only its first blocks) matches', async (t) => {
  const file = join(tempDir(t), 'mid.img');
  writeFileSync(file, buildSparse([...MID_CRC]));
  const out = join(tempDir(t), 'out');
  mkdirSync(out);
  const res = await extract(file, 'raw', out);
  assert.equal(res.bytes, 9 * 4096);
  assert.ok(
    readFileSync(res.output)
      .subarray(0, 4 * 4096)
      .equals(MID_CRC[0].data),
  );
});

test('extract refuses an expanded image that fails its CRC32 chunk (as for zip-crc, lz4-checksum, gzip-checksum)', async (t) => {
  const bytes = buildSparse([...MID_CRC]);
  bytes[28 + 12 + 100] ^= 0x01;
  const file = join(tempDir(t), 'bad.img');
  writeFileSync(file, bytes);
  const r = await inspect(file);
  assert.deepEqual(
    errors(r).map((f) => f.ruleId),
    ['integrity/sparse-crc'],
    'premise: inspect reports it',
  );
  const out = join(tempDir(t), 'out');
  mkdirSync(out);
  await assert.rejects(extract(file, 'raw', out), (e: Error) => e.name === 'ExtractVerifyError');
  assert.deepEqual(readdirSync(out), [], 'a failed extract leaves nothing behind');
});
