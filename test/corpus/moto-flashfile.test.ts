/**
 * Corpus: a real Motorola servicefile.xml (Moto G Stylus 2022, `milan_g`).
 * Every step is read with its MD5; in a package built at test time around
 * the real file, the images it names are checked against those MD5s (none
 * of the real images are in the corpus: synthetic stand-ins must all fail,
 * and every absent image is layout/missing-image).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/index';
import { parseFlashfile } from '../../src/formats/moto-flashfile';
import { buildZip } from '../../fixtures/builders/zip';
import { corpusFile, tempDir } from '../helpers';
import { artifactAt, describe, errors } from '../interop/util';

test('corpus moto-fastboot/milan_servicefile.xml: every flash step and its MD5', async (t) => {
  const path = corpusFile(t, 'moto-fastboot/milan_servicefile.xml');
  if (!path) return;
  const text = readFileSync(path, 'utf8');
  const p = parseFlashfile(text);
  assert.deepEqual(p.problems, []);
  // Independent count: every MD5 attribute of the file, by a plain regular expression.
  const md5s = [...text.matchAll(/MD5="([0-9a-f]{32})" filename="([^"]+)" operation="flash" partition="([^"]+)"/g)];
  const flashSteps = p.steps.filter((s) => s.operation === 'flash');
  assert.equal(md5s.length, 63);
  assert.deepEqual(
    flashSteps.map((s) => [s.md5, s.filename, s.partition]),
    md5s.map((m) => [m[1], m[2], m[3]]),
  );
  assert.equal(p.phoneModel, 'milan_g');
  assert.equal(p.softwareVersion, 'milan_g-user 12 S3RDES32.123-37-5-11 502d0 release-keys');
  assert.equal(p.steps.length, 67);

  const r = await inspect(path);
  assert.equal(r.root.format, 'moto-flashfile');
  assert.deepEqual(errors(r), [], describe(r.findings));
  assert.equal(r.root.info.md5Count, 63);
  assert.deepEqual(r.summary.compatibility.declared.device, ['milan_g']);
});

test('corpus milan_servicefile.xml in a package: the images it names are checked against its MD5s', async (t) => {
  const path = corpusFile(t, 'moto-fastboot/milan_servicefile.xml');
  if (!path) return;
  const xml = readFileSync(path);
  const file = join(tempDir(t), 'milan.zip');
  // Stand-ins for two of the images; the real ones are not in the corpus.
  writeFileSync(
    file,
    buildZip([
      { name: 'servicefile.xml', data: xml },
      { name: 'boot.img', data: Buffer.from('not the real boot image') },
      { name: 'super.img_sparsechunk.7', data: Buffer.from('not the real piece') },
    ]),
  );
  const r = await inspect(file);
  const bad = r.findings.filter((f) => f.ruleId === 'integrity/checksum-file').map((f) => `${f.path}: ${f.message}`);
  assert.deepEqual(bad.sort(), [
    'boot.img: md5 is e8b0f89a130c93edccc2de56178db8ea, servicefile.xml step 16 says a70092401aa6736d990099d78e7341a2',
    'super.img_sparsechunk.7: md5 is 9fabc32517fb439da3ab39465ee08fba, servicefile.xml step 25 says 4181e625c1bddab5569eda0a46b0c017',
  ]);
  const missing = r.findings.filter((f) => f.ruleId === 'layout/missing-image');
  // 63 flash steps, 2 present: 61 files missing.
  assert.equal(missing.length, 61, describe(r.findings));
  assert.equal(artifactAt(r.root, 'servicefile.xml').format, 'moto-flashfile');
});
