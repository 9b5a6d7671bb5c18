/**
 * Corpus: the data of a real block OTA (`transfer-list/hp4024_private.*`,
 * an Amlogic hp4024 build; MANIFEST.tsv names its repository). Its new.dat
 * starts with the ext4 superblock, so read as an image it looks like a file
 * system cut short; it is block OTA data, and only its transfer list makes it
 * an image. Alone it is listed without a false alarm; beside its transfer
 * list the rebuilt image is one e2fsck accepts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/index';
import { walkArtifacts } from '../../src/report/model';
import { corpusFile, requireTools, runCli, runTool, tempDir } from '../helpers';
import { describe } from '../interop/util';

test('corpus transfer-list/hp4024_private.new.dat.br alone: block OTA data, not an ext4 image cut short', async (t) => {
  const p = corpusFile(t, 'transfer-list/hp4024_private.new.dat.br');
  if (!p) return;
  const r = await inspect(p, { sidecars: false });
  assert.equal(r.root.format, 'brotli');
  const dat = r.root.children[0];
  assert.equal(dat.name, 'hp4024_private.new.dat');
  assert.equal(dat.format, 'block-ota-data');
  assert.deepEqual(dat.info, { partition: 'hp4024_private', kind: 'new', blocks: 505, rebuiltWith: 'hp4024_private.transfer.list' });
  assert.equal(dat.children.length, 0);
  assert.deepEqual(r.findings, [], describe(r.findings));
  // It is understood: nothing is counted as not understood.
  assert.equal(r.summary.notUnderstood.members, 0);
});

test('corpus hp4024_private.new.dat.br beside its transfer list: the rebuilt image is a clean ext4 for e2fsck, and no false alarm', async (t) => {
  const br = corpusFile(t, 'transfer-list/hp4024_private.new.dat.br');
  const list = corpusFile(t, 'transfer-list/hp4024_private.transfer.list');
  if (!br || !list || !requireTools(t, 'zip', 'e2fsck')) return;
  const dir = tempDir(t);
  copyFileSync(br, join(dir, 'hp4024_private.new.dat.br'));
  copyFileSync(list, join(dir, 'hp4024_private.transfer.list'));
  runTool('zip', ['-q', '-0', 'ota.zip', 'hp4024_private.new.dat.br', 'hp4024_private.transfer.list'], { cwd: dir });
  const r = await inspect(join(dir, 'ota.zip'), { sidecars: false });
  assert.deepEqual(r.findings, [], describe(r.findings));
  const formats = new Map([...walkArtifacts(r.root)].map((a) => [a.path, a.format]));
  assert.equal(formats.get('hp4024_private.new.dat.br/hp4024_private.new.dat'), 'block-ota-data');
  assert.equal(formats.get('hp4024_private.img'), 'ext4');
  const out = join(dir, 'private.img');
  const x = runCli(['extract', join(dir, 'ota.zip'), 'hp4024_private.img', '-o', out]);
  assert.equal(x.code, 0, x.stderr);
  // e2fsck -fn exits 0 on a clean file system and refuses a wrongly rebuilt one.
  runTool('e2fsck', ['-fn', out]);
});
