/**
 * The same bytes reached through a random-access path (stored member) and a
 * sequential one (deflated member, gzip stream: spilled to memory or to a temp
 * file) must give the same artifacts and digests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { inspect } from '../../src/pipeline/inspect';
import { LIMITS } from '../../src/io/limits';
import { buildZip } from '../../fixtures/builders/zip';
import { buildTar, buildTarMd5 } from '../../fixtures/builders/tar';
import { buildLz4Frame } from '../../fixtures/builders/lz4';
import { compressible, pseudoRandom } from '../../fixtures/builders/data';
import { tempDir } from '../helpers';
import type { Artifact } from '../../src/report/model';

function shape(a: Artifact): unknown {
  return { name: a.name, format: a.format, size: a.size, hashes: a.hashes, children: a.children.map(shape) };
}

async function odinTar(): Promise<Buffer> {
  const img = Buffer.concat([compressible(300000, 2), pseudoRandom(100000, 3)]);
  return buildTarMd5(
    buildTar([
      { name: 'boot.img.lz4', data: await buildLz4Frame(img, { contentChecksum: true }) },
      { name: 'vbmeta.img', data: pseudoRandom(4096, 4) },
    ]),
    'AP.tar',
  );
}

test('stored, deflated and gzip-wrapped copies of a package decode identically', async (t) => {
  const dir = tempDir(t);
  const inner = await odinTar();
  const files = {
    stored: buildZip([{ name: 'AP.tar.md5', data: inner }]),
    deflated: buildZip([{ name: 'AP.tar.md5', data: inner, method: 'deflate' }]),
  };
  const shapes: unknown[] = [];
  for (const [k, v] of Object.entries(files)) {
    writeFileSync(join(dir, `${k}.zip`), v);
    const r = await inspect(join(dir, `${k}.zip`), { hashes: ['sha256', 'md5'] });
    assert.deepEqual(r.findings, []);
    shapes.push(shape(r.root.children[0]));
  }
  assert.deepEqual(shapes[0], shapes[1]);
});

test('a sequential container larger than the memory cap is spilled to a temp file that is removed', async (t) => {
  const dir = tempDir(t);
  const spillDir = join(dir, 'spill');
  require('node:fs').mkdirSync(spillDir);
  const tar = await odinTar();
  writeFileSync(join(dir, 'AP.tar.md5'), tar);
  writeFileSync(join(dir, 'AP.tar.md5.gz'), gzipSync(tar));
  const plain = await inspect(join(dir, 'AP.tar.md5'));
  const saved = LIMITS.spillMemoryCap;
  LIMITS.spillMemoryCap = 4096;
  t.after(() => void (LIMITS.spillMemoryCap = saved));
  const seen: string[] = [];
  const r = await inspect(join(dir, 'AP.tar.md5.gz'), {
    tempDir: spillDir,
    onProgress: () => void seen.push(...readdirSync(spillDir)),
  });
  assert.ok(
    seen.some((n) => n.startsWith('romscope-')),
    'the spill went to a temp file',
  );
  assert.deepEqual(readdirSync(spillDir), [], 'temp files are removed');
  assert.deepEqual(r.findings, []);
  const unzipped = r.root.children[0];
  assert.equal(unzipped.format, 'samsung-tar-md5');
  assert.deepEqual(shape(unzipped), { ...(shape(plain.root) as object), name: 'AP.tar.md5' });
});

test('a tar member whose size field claims a terabyte is a finding, not an allocation', async (t) => {
  const dir = tempDir(t);
  const tar = buildTar([{ name: 'huge.img', data: Buffer.from('small') }]);
  // GNU base-256 size: 2^40 bytes; fix the header checksum after the edit.
  tar.fill(0, 124, 136);
  tar[124] = 0x80;
  tar[130] = 0x01;
  tar.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += tar[i];
  tar.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  writeFileSync(join(dir, 'huge.tar'), tar);
  const r = await inspect(join(dir, 'huge.tar'));
  assert.ok(
    r.findings.some((f) => f.ruleId === 'integrity/truncated' && f.path === 'huge.img' && /1099511627776/.test(f.message)),
    JSON.stringify(r.findings),
  );
});
