/**
 * The check people ask for before a flash: a package whose scatter layout
 * names one image that is too large and one that is missing gives exactly
 * those two findings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/pipeline/inspect';
import { buildZip } from '../../fixtures/builders/zip';
import { buildScatterYaml } from '../../fixtures/builders/scatter';
import { pseudoRandom } from '../../fixtures/builders/data';
import { tempDir } from '../helpers';

test('scatter package: one image too large, one missing, nothing else', async (t) => {
  const scatter = buildScatterYaml([
    { name: 'preloader', file: 'preloader.bin', isDownload: true, start: 0, size: 0x40000 },
    { name: 'boot', file: 'boot.img', isDownload: true, start: 0x100000, size: 0x10000 },
    { name: 'dtbo', file: 'dtbo.img', isDownload: true, start: 0x110000, size: 0x10000 },
    { name: 'vbmeta', file: 'vbmeta.img', isDownload: true, start: 0x120000, size: 0x10000 },
    { name: 'userdata', file: 'userdata.img', isDownload: false, start: 0x130000, size: 0x100000 },
  ]);
  const dir = tempDir(t);
  const file = join(dir, 'fw.zip');
  writeFileSync(
    file,
    buildZip([
      { name: 'MT6765_Android_scatter.txt', data: Buffer.from(scatter) },
      { name: 'preloader.bin', data: pseudoRandom(0x1000, 1) },
      { name: 'boot.img', data: pseudoRandom(0x10001, 2), method: 'deflate' }, // one byte too many
      { name: 'vbmeta.img', data: pseudoRandom(0x1000, 3) },
      // dtbo.img is missing; userdata.img is not downloaded, so its absence is fine.
    ]),
  );
  const r = await inspect(file);
  assert.deepEqual(
    r.findings.map((f) => [f.ruleId, f.path]),
    [
      ['layout/image-too-large', 'boot.img'],
      ['layout/missing-image', 'MT6765_Android_scatter.txt'],
    ],
  );
  assert.match(r.findings[1].message, /dtbo\.img/);
});
