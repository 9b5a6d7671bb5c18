/**
 * Corpus: a real EROFS `system_dlkm.img` (Xiaomi topaz): identity from its
 * superblock and the values of its `etc/build.prop`, read from inside the
 * image. Skips visibly when the shared corpus is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from '../../src/index';
import { corpusFile } from '../helpers';

test('corpus erofs: system_dlkm identity and build.prop values', async (t) => {
  const file = corpusFile(t, 'erofs/kdeffalt_system_dlkm.img');
  if (!file) return;
  const report = await inspect(file);
  const root = report.root;
  assert.equal(root.format, 'erofs');
  assert.equal(root.info.uuid, '8016115e-b4e7-55f5-9069-3f3fd3033e78');
  assert.equal(root.info.blockSize, 4096);
  assert.equal(root.info.blocks, 27);
  assert.equal(root.info.inodes, 29);
  assert.equal(root.info.buildTime, '2008-01-01T00:00:00.000Z');
  assert.deepEqual(root.info.featuresIncompat, ['0padding']);
  const prop = root.children.find((c) => c.name === 'etc/build.prop');
  assert.ok(prop, root.children.map((c) => c.name).join(', '));
  assert.equal(prop.format, 'build-prop');
  assert.equal(prop.info.selinux, 'u:object_r:system_dlkm_file:s0');
  const props = prop.info.properties as Record<string, string>;
  assert.equal(props['ro.product.system_dlkm.device'], 'topaz');
  assert.equal(props['ro.product.system_dlkm.brand'], 'Redmi');
  assert.equal(props['ro.system_dlkm.build.date.utc'], '1698917985');
  assert.deepEqual(report.findings, []);
  assert.equal(report.summary.integrity.failed, 0);
});
