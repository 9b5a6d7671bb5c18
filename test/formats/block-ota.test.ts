/**
 * Full block OTAs rebuild to the original image (what sdat2img writes), from
 * stored, deflated and brotli new data (brotli made by the reference `brotli`
 * CLI), in block order and out of it; incremental lists are validated only.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync } from 'node:zlib';
import { inspect } from '../../src/pipeline/inspect';
import { extract } from '../../src/pipeline/extract';
import { parseTransferList } from '../../src/formats/block-ota/transfer-list';
import { buildZip } from '../../fixtures/builders/zip';
import { buildBlockOta } from '../../fixtures/builders/block-ota';
import { pseudoRandom } from '../../fixtures/builders/data';
import { corpusFile, requireTools, runTool, tempDir } from '../helpers';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
// 3000 blocks: data runs longer than 1024 blocks (split commands), zero runs, data at the very end.
const raw = Buffer.concat([pseudoRandom(1500 * 4096, 7), Buffer.alloc(700 * 4096), pseudoRandom(800 * 4096, 8)]);

async function rebuilt(t: TestContext, zip: Buffer) {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'ota.zip'), zip);
  const r = await inspect(join(dir, 'ota.zip'));
  const out = join(dir, 'out');
  mkdirSync(out);
  const x = await extract(join(dir, 'ota.zip'), 'system.img', out);
  return { r, img: r.root.children.find((c) => c.name === 'system.img'), bytes: readFileSync(x.output) };
}

for (const variant of ['stored', 'deflated', 'brotli', 'brotli-out-of-order'] as const) {
  test(`full OTA with ${variant} new data rebuilds the image`, async (t) => {
    const ota = buildBlockOta(raw, { shuffle: variant === 'brotli-out-of-order' });
    const data =
      variant === 'stored' || variant === 'deflated'
        ? { name: 'system.new.dat', data: ota.newDat, method: variant === 'deflated' ? ('deflate' as const) : ('stored' as const) }
        : { name: 'system.new.dat.br', data: brotliCompressSync(ota.newDat) };
    const { r, img, bytes } = await rebuilt(t, buildZip([{ name: 'system.transfer.list', data: Buffer.from(ota.transferList) }, data]));
    assert.deepEqual(r.findings, []);
    assert.ok(img);
    assert.equal(img.size, raw.length);
    assert.equal(img.hashes.sha256, sha256(raw));
    assert.ok(bytes.equals(raw));
    const list = r.root.children.find((c) => c.name === 'system.transfer.list')!;
    assert.equal(list.format, 'block-ota');
    assert.equal(list.info.newBlocks, 2300);
  });
}

test('new.dat.br made by the brotli CLI', async (t) => {
  if (!requireTools(t, 'brotli')) return;
  const dir = tempDir(t);
  const ota = buildBlockOta(raw);
  writeFileSync(join(dir, 'system.new.dat'), ota.newDat);
  runTool('brotli', ['-q', '6', '-o', join(dir, 'system.new.dat.br'), join(dir, 'system.new.dat')]);
  const { r, img } = await rebuilt(
    t,
    buildZip([
      { name: 'system.transfer.list', data: Buffer.from(ota.transferList) },
      { name: 'system.new.dat.br', data: readFileSync(join(dir, 'system.new.dat.br')) },
    ]),
  );
  assert.deepEqual(r.findings, []);
  assert.equal(img!.hashes.sha256, sha256(raw));
  const br = r.root.children.find((c) => c.name === 'system.new.dat.br')!;
  assert.equal(br.format, 'brotli');
  assert.equal(br.children[0].hashes.sha256, sha256(ota.newDat));
});

test('a brotli stream cut short is a finding with an offset', async (t) => {
  const ota = buildBlockOta(raw);
  const br = brotliCompressSync(ota.newDat);
  const dir = tempDir(t);
  writeFileSync(
    join(dir, 'ota.zip'),
    buildZip([
      { name: 'system.transfer.list', data: Buffer.from(ota.transferList) },
      { name: 'system.new.dat.br', data: br.subarray(0, br.length >> 1) },
    ]),
  );
  const r = await inspect(join(dir, 'ota.zip'));
  const f = r.findings.find((x) => x.path === 'system.new.dat.br' && x.ruleId === 'integrity/truncated');
  assert.ok(f, JSON.stringify(r.findings));
  assert.equal(typeof f.offset, 'number');
  assert.ok(
    r.findings.some((x) => x.path === 'system.img'),
    'the rebuilt image reports the shortfall too',
  );
});

test('malformed range sets are findings with their line', async (t) => {
  const dir = tempDir(t);
  const cases: [string, RegExp][] = [
    ['4\n10\n0\n0\nnew -2,0,1\n', /line 5/],
    ['4\n10\n0\n0\nnew 3,0,1\n', /declares 3 numbers/],
    ['4\n10\n0\n0\nnew 2,5,5\n', /empty or reversed/],
    ['4\n10\n0\n0\nnew 2,0,99999999999\n', /largest block/],
    ['4\n10\n0\n0\nfrobnicate 2,0,1\n', /unknown command/],
    ['9\n10\n', /version/],
  ];
  for (const [list, re] of cases) {
    writeFileSync(join(dir, 'system.transfer.list'), list);
    const r = await inspect(join(dir, 'system.transfer.list'));
    assert.ok(
      r.findings.some((f) => f.ruleId === 'format/unreadable' && re.test(f.message)),
      `${JSON.stringify(list)}: ${JSON.stringify(r.findings)}`,
    );
  }
});

test('incremental commands are validated and reported as needing a source image', () => {
  const h = 'a'.repeat(40);
  const tl = parseTransferList(['4', '20', '1', '8', `stash ${h} 2,0,4`, `move ${h} 2,10,14 4 2,0,4`, `bsdiff 0 100 ${h} ${'b'.repeat(40)} 2,14,18 4 - ${h}:2,0,4`, `free ${h}`, 'new 2,0,2', ''].join('\n'));
  assert.deepEqual(tl.problems, []);
  assert.equal(tl.incremental, true);
  const bad = parseTransferList(['4', '20', '1', '8', `move ${h} 2,10,14 4 - ${h}:2,0,4`, ''].join('\n'));
  assert.match(bad.problems[0].message, /used before it is stashed/);
});

test('the real transfer list in the corpus parses cleanly', async (t) => {
  const f = corpusFile(t, 'transfer-list/dotos_rmx2001_system.transfer.list');
  if (!f) return;
  const r = await inspect(f);
  assert.equal(r.root.format, 'block-ota');
  assert.deepEqual(r.findings, []);
  assert.equal(r.root.info.version, 4);
  assert.equal(r.root.info.incremental, false);
  // The matching dynamic_partitions_op_list resizes system to exactly the image the list writes.
  assert.equal(r.root.info.imageBytes, 3998879744);
});
