/**
 * Interop: `.lz4` files written by the reference lz4 CLI (frame and legacy,
 * every block size and flag it offers) decode to the original bytes, and
 * damaged ones are reported, not thrown.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect, extract } from '../../src/index';
import type { Report } from '../../src/report/model';
import { tempDir, runTool, requireTools, runCli } from '../helpers';
import { compressible, pseudoRandom } from '../../fixtures/builders/data';
import { describe, errors, peakMemoryGrowth, sha256 } from './util';

const MiB = 1 << 20;
/** ~5 MiB, half compressible, half random, odd length: two 4 MiB blocks, ~80 64 KiB blocks. */
const DATA = Buffer.concat([compressible(2.5 * MiB, 21), pseudoRandom(2.5 * MiB, 22), compressible(12_345, 23)]);
/** Over 8 MiB, so a legacy stream has two blocks (one of them incompressible). */
const BIG = Buffer.concat([DATA, compressible(3 * MiB, 24), pseudoRandom(MiB, 25)]);

/** Writes `data` as orig.bin and compresses it with `lz4 opts`; returns the .lz4 path. */
function lz4File(t: TestContext, data: Buffer, opts: string[], name = 'orig.bin'): string {
  const dir = tempDir(t);
  writeFileSync(join(dir, name), data);
  runTool('lz4', ['-q', '-f', ...opts, name, `${name}.lz4`], { cwd: dir });
  const out = join(dir, `${name}.lz4`);
  // Premise: the reference decoder gives the original back.
  assert.ok(runTool('lz4', ['-dc', out]).stdout.equals(data), `premise: lz4 -dc round-trips ${opts.join(' ')}`);
  return out;
}

/** The decoded child is the original: name, size, sha256; no error findings; extract gives the same bytes. */
async function assertDecodes(t: TestContext, file: string, data: Buffer, childName = 'orig.bin'): Promise<Report> {
  const r = await inspect(file);
  assert.deepEqual(errors(r), [], describe(r.findings));
  assert.equal(r.root.format, 'lz4');
  const raw = readFileSync(file);
  assert.equal(r.root.size, raw.length);
  assert.equal(r.root.hashes.sha256, sha256(raw));
  assert.equal(r.root.children.length, 1);
  const child = r.root.children[0];
  assert.equal(child.name, childName);
  assert.equal(child.path, childName);
  assert.equal(child.size, data.length, 'decoded size');
  assert.equal(child.hashes.sha256, sha256(data), 'decoded sha256');
  assert.equal(child.info.incomplete, undefined);
  assert.equal(r.root.info.decodedSize, data.length);

  const out = join(tempDir(t), 'out');
  mkdirSync(out);
  const res = await extract(file, childName, out);
  assert.equal(res.bytes, data.length);
  assert.equal(res.hashes.sha256, sha256(data));
  assert.ok(readFileSync(res.output).equals(data), 'extracted bytes differ from the original');
  assert.deepEqual(readdirSync(out), [childName]);
  return r;
}

interface Variant {
  opts: string[];
  data?: Buffer;
  info: Record<string, unknown>;
  integrity: 'verified' | 'unchecked';
}

const VARIANTS: Variant[] = [
  { opts: [], info: { variant: 'frame', frames: 1, blockMaxSize: 4 * MiB, linkedBlocks: false, blockChecksums: false, contentChecksum: true }, integrity: 'verified' },
  { opts: ['-BD'], info: { variant: 'frame', linkedBlocks: true, contentChecksum: true }, integrity: 'verified' },
  { opts: ['-BD', '-B4'], info: { variant: 'frame', linkedBlocks: true, blockMaxSize: 64 << 10 }, integrity: 'verified' },
  { opts: ['-12', '-BD', '-B4'], info: { variant: 'frame', linkedBlocks: true, blockMaxSize: 64 << 10 }, integrity: 'verified' },
  { opts: ['-l'], data: BIG, info: { variant: 'legacy', frames: 1 }, integrity: 'unchecked' },
  { opts: ['--content-size'], info: { variant: 'frame', contentSize: DATA.length, contentChecksum: true }, integrity: 'verified' },
  { opts: ['--no-frame-crc'], info: { variant: 'frame', contentChecksum: false, blockChecksums: false }, integrity: 'unchecked' },
  { opts: ['-BX'], info: { variant: 'frame', blockChecksums: true, contentChecksum: true }, integrity: 'verified' },
  { opts: ['-BX', '--no-frame-crc', '-B5'], info: { variant: 'frame', blockChecksums: true, contentChecksum: false, blockMaxSize: 256 << 10 }, integrity: 'unchecked' },
  { opts: ['-B4'], info: { variant: 'frame', blockMaxSize: 64 << 10, linkedBlocks: false }, integrity: 'verified' },
  { opts: ['-B5'], info: { variant: 'frame', blockMaxSize: 256 << 10 }, integrity: 'verified' },
  { opts: ['-B6'], info: { variant: 'frame', blockMaxSize: MiB }, integrity: 'verified' },
  { opts: ['-B7'], info: { variant: 'frame', blockMaxSize: 4 * MiB }, integrity: 'verified' },
  { opts: ['-BD', '-BX', '-B5', '--content-size'], info: { variant: 'frame', linkedBlocks: true, blockChecksums: true, contentSize: DATA.length }, integrity: 'verified' },
];

for (const v of VARIANTS) {
  test(`lz4 ${v.opts.join(' ') || '(defaults)'}: decodes to the original bytes`, async (t) => {
    if (!requireTools(t, 'lz4')) return;
    const data = v.data ?? DATA;
    const file = lz4File(t, data, v.opts);
    const r = await assertDecodes(t, file, data);
    for (const [k, want] of Object.entries(v.info)) assert.deepEqual(r.root.info[k], want, `info.${k}`);
    assert.equal(r.summary.integrity.status, v.integrity);
  });
}

for (const opts of [[], ['--content-size'], ['-l']]) {
  test(`lz4 ${opts.join(' ') || '(defaults)'} of an empty file: decodes to zero bytes`, async (t) => {
    if (!requireTools(t, 'lz4')) return;
    const empty = Buffer.alloc(0);
    const file = lz4File(t, empty, opts);
    const r = await assertDecodes(t, file, empty);
    assert.equal(r.root.info.variant, opts[0] === '-l' ? 'legacy' : 'frame');
  });
}

test('lz4: concatenated files (frame+frame, frame+legacy, legacy+frame, legacy+legacy) decode like lz4 -dc', async (t) => {
  if (!requireTools(t, 'lz4')) return;
  const a = compressible(1.5 * MiB, 31);
  const b = Buffer.concat([pseudoRandom(700_000, 32), compressible(300_000, 33)]);
  const parts = {
    frame: readFileSync(lz4File(t, a, ['-B5'], 'a.bin')),
    frame2: readFileSync(lz4File(t, b, ['-BD', '--content-size'], 'b.bin')),
    legacyA: readFileSync(lz4File(t, a, ['-l'], 'a.bin')),
    legacyB: readFileSync(lz4File(t, b, ['-l'], 'b.bin')),
  };
  const combos: [string, Buffer[], string][] = [
    ['frame+frame', [parts.frame, parts.frame2], 'frame'],
    ['frame+legacy', [parts.frame, parts.legacyB], 'frame'],
    ['legacy+frame', [parts.legacyA, parts.frame2], 'legacy'],
    ['legacy+legacy', [parts.legacyA, parts.legacyB], 'legacy'],
  ];
  for (const [label, bufs, variant] of combos) {
    const dir = tempDir(t);
    const file = join(dir, 'joined.img.lz4');
    writeFileSync(file, Buffer.concat(bufs));
    const ref = runTool('lz4', ['-dc', file]).stdout;
    assert.ok(ref.equals(Buffer.concat([a, b])), `premise (${label}): lz4 -dc decodes both frames`);
    const r = await assertDecodes(t, file, ref, 'joined.img');
    assert.equal(r.root.info.frames, 2, `${label}: frames`);
    assert.equal(r.root.info.variant, variant, `${label}: variant`);
  }
});

/** Offset of a byte inside the first block's compressed data (frame without content size / dict). */
function firstBlockByte(raw: Buffer, into: number): number {
  assert.equal(raw.readUInt32LE(0), 0x184d2204);
  assert.equal(raw[4] & 0x09, 0, 'helper expects no content size and no dictionary id');
  const blockLen = raw.readUInt32LE(7) & 0x7fffffff;
  assert.ok(into < blockLen, `first block has only ${blockLen} bytes`);
  return 7 + 4 + into;
}

test('lz4: a flipped byte in compressed data with a content checksum is an error finding', async (t) => {
  if (!requireTools(t, 'lz4')) return;
  const file = lz4File(t, DATA, ['-B4']);
  const raw = readFileSync(file);
  raw[firstBlockByte(raw, 5000)] ^= 0x20;
  writeFileSync(file, raw);
  assert.notEqual(spawnSync('lz4', ['-t', file]).status, 0, 'premise: lz4 -t rejects the damaged file');

  const r = await inspect(file);
  const errs = errors(r);
  assert.ok(errs.length >= 1, describe(r.findings));
  assert.ok(
    errs.some((f) => f.ruleId === 'integrity/lz4-checksum' || f.ruleId === 'format/unreadable'),
    describe(errs),
  );
  assert.notEqual(r.root.children[0]?.hashes.sha256, sha256(DATA));
  // The compressed file itself was fully read and hashed.
  assert.equal(r.root.hashes.sha256, sha256(raw));

  const out = join(tempDir(t), 'out');
  mkdirSync(out);
  await assert.rejects(extract(file, 'orig.bin', out), (e: Error) => e.name === 'ExtractVerifyError');
  assert.deepEqual(readdirSync(out), [], 'a failed extract leaves nothing behind');

  const cli = runCli(['check', file, '--json']);
  assert.equal(cli.code, 1, cli.stderr);
});

test('lz4 -BX: a flipped byte in a block is integrity/lz4-checksum', async (t) => {
  if (!requireTools(t, 'lz4')) return;
  const file = lz4File(t, DATA, ['-BX', '-B4', '--no-frame-crc']);
  const raw = readFileSync(file);
  raw[firstBlockByte(raw, 3000)] ^= 0x20;
  writeFileSync(file, raw);
  assert.notEqual(spawnSync('lz4', ['-t', file]).status, 0, 'premise: lz4 -t rejects the damaged file');
  const r = await inspect(file);
  const sums = r.findings.filter((f) => f.ruleId === 'integrity/lz4-checksum');
  assert.ok(sums.length >= 1, describe(r.findings));
  assert.ok(
    sums.every((f) => f.severity === 'error' && f.path === ''),
    describe(sums),
  );
  assert.equal(r.summary.integrity.status, 'failed');
});

for (const variant of ['frame', 'legacy'] as const) {
  test(`lz4 ${variant}: a file cut in half is integrity/truncated`, async (t) => {
    if (!requireTools(t, 'lz4')) return;
    const file = lz4File(t, variant === 'legacy' ? BIG : DATA, variant === 'legacy' ? ['-l'] : []);
    const raw = readFileSync(file);
    const cut = raw.subarray(0, Math.floor(raw.length / 2));
    writeFileSync(file, cut);
    assert.notEqual(spawnSync('lz4', ['-t', file]).status, 0, 'premise: lz4 -t rejects the cut file');
    const r = await inspect(file);
    const trunc = r.findings.filter((f) => f.ruleId === 'integrity/truncated');
    assert.equal(trunc.length, 1, describe(r.findings));
    assert.equal(trunc[0].severity, 'error');
    assert.equal(r.root.hashes.sha256, sha256(cut), 'the cut file itself is still hashed');
    assert.equal(r.root.children[0].info.incomplete, true);
    assert.equal(r.root.children[0].hashes.sha256, undefined, 'no digest is claimed for partial output');
    const cli = runCli(['check', file, '--json']);
    assert.equal(cli.code, 1, cli.stderr);
    assert.ok(JSON.parse(cli.stdout).findings.some((f: { ruleId: string }) => f.ruleId === 'integrity/truncated'));
  });
}

test('lz4 legacy whose first block size lies (0x7ffffff0): a finding, no crash, bounded memory', async (t) => {
  if (!requireTools(t, 'lz4')) return;
  const file = lz4File(t, DATA, ['-l']);
  const raw = readFileSync(file);
  assert.equal(raw.readUInt32LE(0), 0x184c2102, 'premise: legacy magic');
  raw.writeUInt32LE(0x7ffffff0, 4);
  writeFileSync(file, raw);

  const { value: r, rss, arrayBuffers } = await peakMemoryGrowth(() => inspect(file));
  const errs = errors(r);
  assert.ok(errs.length >= 1, describe(r.findings));
  assert.ok(
    errs.every((f) => ['format/unreadable', 'integrity/truncated'].includes(f.ruleId)),
    describe(errs),
  );
  assert.equal(r.root.hashes.sha256, sha256(raw));
  assert.ok(arrayBuffers < 256 * MiB, `buffers grew by ${arrayBuffers} bytes for a ${raw.length}-byte input`);
  assert.ok(rss < 512 * MiB, `RSS grew by ${rss} bytes`);

  const cli = runCli(['check', file, '--json']);
  assert.equal(cli.code, 1, cli.stderr);
});

test('lz4 frame whose block size lies (0x7ffffff0): a finding, no crash, bounded memory', async (t) => {
  if (!requireTools(t, 'lz4')) return;
  const file = lz4File(t, DATA, ['-B4']);
  const raw = readFileSync(file);
  raw.writeUInt32LE(0x7ffffff0, firstBlockByte(raw, 0) - 4);
  writeFileSync(file, raw);
  const { value: r, arrayBuffers } = await peakMemoryGrowth(() => inspect(file));
  const errs = errors(r);
  assert.ok(errs.length >= 1, describe(r.findings));
  assert.ok(
    errs.every((f) => ['format/unreadable', 'integrity/truncated'].includes(f.ruleId)),
    describe(errs),
  );
  assert.ok(arrayBuffers < 256 * MiB, `buffers grew by ${arrayBuffers} bytes`);
});
