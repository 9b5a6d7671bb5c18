/**
 * xz, zstd and bzip2 members decoded as streams (src/codecs member decoders
 * and their transform handlers): output, the checks each format carries,
 * concatenation, damage, cuts, budgets; fixtures made by the reference tools.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/index';
import { chooseXzDecoder } from '../../src/codecs';
import type { Artifact, Report } from '../../src/report/model';
import { requireTools, tempDir } from '../helpers';
import { flipped, squeeze, xzCheckOffset } from '../codec-tools';
import { compressible, pseudoRandom } from '../../fixtures/builders/data';
import { buildTar } from '../../fixtures/builders/tar';
import { buildSparse } from '../../fixtures/builders/sparse';
import { describe, errors, sha256 } from '../interop/util';

const DATA = Buffer.concat([compressible(700_000, 31), pseudoRandom(300_000, 32), compressible(4321, 33)]);

async function run(t: TestContext, name: string, bytes: Buffer, budget?: { maxExpandedBytes: number }): Promise<Report> {
  const dir = tempDir(t);
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return inspect(file, budget ? { budget } : {});
}

function kinds(a: Artifact): string[] {
  return a.facts.map((f) => f.kind);
}

function assertChild(r: Report, data: Buffer, childName: string): Artifact {
  assert.equal(r.root.children.length, 1);
  const c = r.root.children[0];
  assert.equal(c.name, childName);
  assert.equal(c.size, data.length);
  assert.equal(c.hashes.sha256, sha256(data));
  assert.deepEqual(errors(r), [], describe(r.findings));
  return c;
}

const CASES = [
  { format: 'xz', tool: 'xz', args: ['-c', '-6'], ext: 'xz', ok: 'xz-checksum-ok', bad: 'xz-checksum' },
  { format: 'zstd', tool: 'zstd', args: ['-c', '-q'], ext: 'zst', ok: 'zstd-checksum-ok', bad: 'zstd-checksum' },
  { format: 'bzip2', tool: 'bzip2', args: ['-c'], ext: 'bz2', ok: 'bzip2-checksum-ok', bad: 'bzip2-checksum' },
];

for (const c of CASES) {
  test(`${c.format}: decodes to the original, checks counted as passed`, async (t) => {
    if (!requireTools(t, c.tool)) return;
    const r = await run(t, `boot.img.${c.ext}`, squeeze(c.tool, c.args, DATA));
    assert.equal(r.root.format, c.format);
    assertChild(r, DATA, 'boot.img');
    assert.ok(kinds(r.root).includes(c.ok), kinds(r.root).join(','));
    assert.equal(r.summary.integrity.status, 'verified');
  });

  test(`${c.format}: concatenated streams decode to both`, async (t) => {
    if (!requireTools(t, c.tool)) return;
    const a = squeeze(c.tool, c.args, DATA);
    const b = squeeze(c.tool, c.args, DATA.subarray(0, 1000));
    const r = await run(t, `two.${c.ext}`, Buffer.concat([a, b]));
    assertChild(r, Buffer.concat([DATA, DATA.subarray(0, 1000)]), 'two');
  });

  test(`${c.format}: a cut file is truncated, the child incomplete`, async (t) => {
    if (!requireTools(t, c.tool)) return;
    const z = squeeze(c.tool, c.args, DATA);
    for (const keep of [z.length - 1, Math.floor(z.length / 2), 12]) {
      const r = await run(t, `cut.${c.ext}`, z.subarray(0, keep));
      assert.ok(kinds(r.root).includes('truncated'), `${keep}: ${kinds(r.root).join(',')}`);
      assert.equal(r.root.children[0]?.info.incomplete, true);
      assert.equal(r.summary.integrity.status, 'failed');
    }
  });

  test(`${c.format}: an expansion over --max-expanded stops with a budget finding`, async (t) => {
    if (!requireTools(t, c.tool)) return;
    const r = await run(t, `big.${c.ext}`, squeeze(c.tool, c.args, DATA), { maxExpandedBytes: 200_000 });
    assert.ok(
      r.findings.some((f) => f.ruleId === 'format/budget-exceeded'),
      describe(r.findings),
    );
  });

  test(`${c.format}: a .tar inside is walked`, async (t) => {
    if (!requireTools(t, c.tool)) return;
    const tar = buildTar([
      { name: 'boot.img', data: DATA.subarray(0, 5000) },
      { name: 'dtbo.img', data: DATA.subarray(5000, 9000) },
    ]);
    const r = await run(t, `x.tar.${c.ext}`, squeeze(c.tool, c.args, tar));
    const child = assertChild(r, tar, 'x.tar');
    assert.equal(child.format, 'tar');
    assert.deepEqual(
      child.children.map((m) => [m.name, m.hashes.sha256]),
      [
        ['boot.img', sha256(DATA.subarray(0, 5000))],
        ['dtbo.img', sha256(DATA.subarray(5000, 9000))],
      ],
    );
  });

  test(`${c.format}: a sparse image inside is expanded`, async (t) => {
    if (!requireTools(t, c.tool)) return;
    const raw = DATA.subarray(0, 8192);
    const sparse = buildSparse([
      { type: 'raw', data: raw },
      { type: 'fill', pattern: 0, blocks: 2 },
    ]);
    const r = await run(t, `super.img.${c.ext}`, squeeze(c.tool, c.args, sparse));
    const child = assertChild(r, sparse, 'super.img');
    assert.equal(child.format, 'android-sparse');
    assert.equal(child.children[0].hashes.sha256, sha256(Buffer.concat([raw, Buffer.alloc(8192)])));
  });

  test(`${c.format}: garbage and cut headers are findings, not throws`, async (t) => {
    const z = c.tool === 'xz' ? Buffer.from('fd377a585a000004e6d6b446', 'hex') : c.tool === 'zstd' ? Buffer.from('28b52ffd2400', 'hex') : Buffer.from('BZh91AY&SY');
    for (let n = z.length; n <= z.length + 40; n += 7) {
      const r = await run(t, `g.${c.ext}`, Buffer.concat([z, pseudoRandom(n, n)]));
      assert.equal(r.root.format, c.format);
      assert.ok(
        r.findings.some((f) => f.severity === 'error'),
        describe(r.findings),
      );
    }
  });
}

test('xz: a flipped block check is an xz-checksum finding (CRC32, CRC64, SHA-256)', async (t) => {
  if (!requireTools(t, 'xz')) return;
  for (const check of ['crc32', 'crc64', 'sha256']) {
    const z = squeeze('xz', ['-c', `--check=${check}`], DATA);
    const { at, size } = xzCheckOffset(z);
    const r = await run(t, 'bad.xz', flipped(z, at + size - 1));
    assert.deepEqual(
      r.findings.map((f) => f.ruleId),
      ['integrity/xz-checksum'],
      `${check}: ${describe(r.findings)}`,
    );
    assert.equal(r.root.info.check, { crc32: 'CRC32', crc64: 'CRC64', sha256: 'SHA-256' }[check]);
  }
});

test('xz: a damaged index and damaged LZMA2 data are xz-checksum findings', async (t) => {
  if (!requireTools(t, 'xz')) return;
  const z = squeeze('xz', ['-c'], DATA);
  for (const at of [z.length - 14, 200]) {
    const r = await run(t, 'bad.xz', flipped(z, at, 0x20));
    assert.deepEqual(
      r.findings.map((f) => f.ruleId),
      ['integrity/xz-checksum'],
      `${at}: ${describe(r.findings)}`,
    );
  }
});

test('xz: stream padding and many blocks (xz -T2) are accepted; bad padding and trailing junk are not, as xz says', async (t) => {
  if (!requireTools(t, 'xz')) return;
  const a = squeeze('xz', ['-c', '-T2', '--block-size=65536', '--check=crc32'], DATA);
  const b = squeeze('xz', ['-c', '-0'], DATA.subarray(0, 777));
  const ok = await run(t, 'p.xz', Buffer.concat([a, Buffer.alloc(8), b, Buffer.alloc(4)]));
  assertChild(ok, Buffer.concat([DATA, DATA.subarray(0, 777)]), 'p');
  const pad3 = await run(t, 'p3.xz', Buffer.concat([a, Buffer.alloc(3)]));
  assert.ok(pad3.findings.length > 0 && pad3.root.children[0].info.incomplete, describe(pad3.findings));
  const junk = await run(t, 'j.xz', Buffer.concat([a, Buffer.from('trailing junk here')]));
  assert.ok(junk.findings.length > 0, describe(junk.findings));
});

test('xz under the WebAssembly decoder (ROMSCOPE_XZ=wasm): same output, concatenation, SHA-256 unsupported', async (t) => {
  if (!requireTools(t, 'xz')) return;
  chooseXzDecoder('wasm');
  t.after(() => chooseXzDecoder('auto'));
  const a = squeeze('xz', ['-c', '-T2', '--block-size=65536'], DATA);
  const ok = await run(t, 'w.xz', Buffer.concat([a, Buffer.alloc(4), a]));
  assertChild(ok, Buffer.concat([DATA, DATA]), 'w');
  assert.ok(kinds(ok.root).includes('xz-checksum-ok'));
  const { at, size } = xzCheckOffset(squeeze('xz', ['-c'], DATA));
  const bad = await run(t, 'b.xz', flipped(squeeze('xz', ['-c'], DATA), at + size - 1));
  assert.deepEqual(
    bad.findings.map((f) => f.ruleId),
    ['integrity/xz-checksum'],
    describe(bad.findings),
  );
  const cut = await run(t, 'c.xz', a.subarray(0, a.length - 5));
  assert.ok(kinds(cut.root).includes('truncated'), kinds(cut.root).join(','));
  const sha = await run(t, 's.xz', squeeze('xz', ['-c', '--check=sha256'], DATA));
  assert.deepEqual(
    sha.findings.map((f) => f.ruleId),
    ['format/unsupported'],
    describe(sha.findings),
  );
});

test('zstd: a flipped content checksum and a wrong content size are zstd-checksum findings; skippable frames are skipped', async (t) => {
  if (!requireTools(t, 'zstd')) return;
  const z = squeeze('zstd', ['-c', '-q'], DATA);
  const bad = await run(t, 'bad.zst', flipped(z, -2));
  assert.deepEqual(
    bad.findings.map((f) => f.ruleId),
    ['integrity/zstd-checksum'],
    describe(bad.findings),
  );
  assert.match(bad.findings[0].message, /content checksum/);
  const skip = Buffer.concat([Buffer.from('502a4d1805000000', 'hex'), Buffer.from('hello'), z, Buffer.from('5f2a4d1800000000', 'hex')]);
  const r = await run(t, 'skip.zst', skip);
  assertChild(r, DATA, 'skip');
  assert.equal(r.root.info.skippableFrames, 2);
  // No checksum (--no-check), the content size byte changed: only the size disagrees.
  const small = squeeze('zstd', ['-c', '-q', '--no-check', '--stream-size=100'], DATA.subarray(0, 100));
  assert.equal(small[4] & 0xe4, 0x20, 'premise: single segment, 1-byte content size, no checksum');
  const lie = Buffer.from(small);
  lie[5] = 101;
  const size = await run(t, 'size.zst', lie);
  assert.ok(
    size.findings.some((f) => f.ruleId === 'integrity/zstd-checksum' && /declares 101 bytes/.test(f.message)),
    describe(size.findings),
  );
  const junk = await run(t, 'junk.zst', Buffer.concat([z, Buffer.from('junkjunk')]));
  assert.ok(
    junk.findings.some((f) => f.ruleId === 'format/unreadable'),
    describe(junk.findings),
  );
});

test('zstd: a frame needing more than a 128 MiB window is unsupported, not allocated', async (t) => {
  // Frame header: no single segment, window descriptor exponent 18 (2^28 bytes), then one empty raw last block.
  const frame = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 18 << 3, 0x01, 0x00, 0x00]);
  const r = await run(t, 'w.zst', frame);
  assert.deepEqual(
    r.findings.map((f) => f.ruleId),
    ['format/unsupported'],
    describe(r.findings),
  );
});

test('bzip2: flipped block and stream CRCs are bzip2-checksum findings; trailing garbage is ignored as bzip2 does', async (t) => {
  if (!requireTools(t, 'bzip2')) return;
  const z = squeeze('bzip2', ['-c', '-1'], DATA);
  // The first block's CRC is byte-aligned: after "BZh1" and the 6-byte block magic.
  const block = await run(t, 'b.bz2', flipped(z, 10));
  assert.deepEqual(
    block.findings.map((f) => f.ruleId),
    ['integrity/bzip2-checksum'],
    describe(block.findings),
  );
  assert.match(block.findings[0].message, /block at offset/);
  const stream = await run(t, 's.bz2', flipped(z, -2));
  assert.deepEqual(
    stream.findings.map((f) => f.ruleId),
    ['integrity/bzip2-checksum'],
    describe(stream.findings),
  );
  assert.match(stream.findings[0].message, /combined CRC/);
  const junk = await run(t, 'j.bz2', Buffer.concat([z, Buffer.from('trailing')]));
  assertChild(junk, DATA, 'j');
  assert.equal(junk.root.info.trailingBytes, 8);
  assert.ok((junk.root.info.blocks as number) >= 2);
});

test('lzma: a legacy .lzma file is an unsupported finding, its header read', async (t) => {
  if (!requireTools(t, 'xz')) return;
  const r = await run(t, 'ramdisk.lzma', squeeze('xz', ['-c', '--format=lzma'], DATA));
  assert.equal(r.root.format, 'lzma');
  assert.deepEqual(
    r.findings.map((f) => f.ruleId),
    ['format/unsupported'],
    describe(r.findings),
  );
  assert.equal(r.root.info.dictionarySize, 8 << 20);
  assert.equal(r.root.info.lc, 3);
});
