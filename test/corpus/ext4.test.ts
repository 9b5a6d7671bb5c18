/**
 * Corpus: a real ext4 partition image (OnePlus 7T `odm.img`, with an AVB
 * hash footer): its identity as dumpe2fs prints it, and its build.prop
 * values, read offline and extracted. Skips visibly when the corpus is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect, extract } from '../../src/index';
import { corpusFile, tempDir } from '../helpers';
import { artifactAt, describe, errors } from '../interop/util';

test('corpus ext4/op7t_odm.img: identity, etc/build.prop and the AVB footer', async (t) => {
  const img = corpusFile(t, 'ext4/op7t_odm.img');
  if (!img) return;
  const r = await inspect(img);
  assert.equal(r.root.format, 'ext4');
  assert.deepEqual(errors(r), [], describe(r.findings));
  const info = r.root.info;
  // As `dumpe2fs -h` prints them.
  assert.equal(info.type, 'ext4');
  assert.equal(info.label, 'odm');
  assert.equal(info.uuid, '4bd71fa4-60a6-5216-9ef1-00258e0f0150');
  assert.equal(info.blockSize, 4096);
  assert.equal(info.blocksCount, 203);
  assert.equal(info.freeBlocks, 2);
  assert.equal(info.inodesCount, 32);
  assert.equal(info.freeInodes, 9);
  assert.equal(info.lastMountedOn, '/odm');
  assert.equal(info.lastMountTime, null);
  assert.equal(info.createdBy, 'Linux');
  assert.deepEqual(info.features, ['ext_attr', 'resize_inode', 'dir_index', 'filetype', 'extent', 'sparse_super', 'large_file', 'huge_file', 'uninit_bg', 'dir_nlink', 'extra_isize', 'shared_blocks']);
  const prop = artifactAt(r.root, 'etc/build.prop');
  assert.equal(prop.format, 'build-prop');
  assert.equal(prop.info.mode, '0600');
  assert.equal(prop.size, 2715);
  const props = prop.info.properties as Record<string, string>;
  assert.equal(props['ro.product.odm.device'], 'OnePlus7T');
  assert.equal(props['ro.odm.build.fingerprint'], 'OnePlus/OnePlus7T/OnePlus7T:10/QKQ1.190716.003/2003271900:user/release-keys');
  assert.equal(artifactAt(r.root, 'vbmeta').format, 'avb-vbmeta');
  const out = join(tempDir(t), 'build.prop');
  await extract(img, 'etc/build.prop', out);
  assert.match(readFileSync(out, 'utf8'), /^ro\.product\.odm\.device=OnePlus7T$/m);
});
