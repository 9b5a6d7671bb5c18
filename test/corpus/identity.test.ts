/**
 * Corpus: the build identity (`summary.build`) of real partition images
 * holding build.prop, checked against the file as the reference tools
 * extract it (`debugfs -R "cat"` for ext4, `fsck.erofs --extract` for
 * EROFS), and the cross-layer rule that a repacked image trips. Skips
 * visibly when the corpus or a tool is absent.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/index';
import { corpusFile, requireTools, runTool, tempDir, ofFormat } from '../helpers';
import { describe } from '../interop/util';

/** key → value of a property file's text, as the tools extracted it (plain `key=value` lines). */
function props(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0 && !line.startsWith('#')) m.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return m;
}

function ext4Cat(img: string, path: string): string {
  return runTool('debugfs', ['-R', `cat ${path}`, img]).stdout.toString('utf8');
}

function erofsCat(t: TestContext, img: string, path: string): string {
  const out = join(tempDir(t), 'x');
  runTool('fsck.erofs', [`--extract=${out}`, img]);
  return readFileSync(join(out, path), 'utf8');
}

async function check(img: string, text: string, partition: string, path: string, o: { model?: boolean } = {}) {
  const p = props(text);
  const r = await inspect(img);
  const b = r.summary.build;
  assert.ok(b, 'summary.build is present');
  assert.equal(b.partitions.length, 1);
  assert.equal(b.partitions[0].partition, partition);
  assert.equal(b.partitions[0].path, path);
  assert.equal(b.device, p.get(`ro.product.${partition}.device`));
  if (o.model) assert.equal(b.model, p.get(`ro.product.${partition}.model`));
  assert.equal(b.brand, p.get(`ro.product.${partition}.brand`));
  assert.equal(b.fingerprint, p.get(`ro.${partition}.build.fingerprint`));
  assert.equal(b.buildId, p.get(`ro.${partition}.build.id`));
  assert.equal(b.incremental, p.get(`ro.${partition}.build.version.incremental`));
  assert.equal(b.type, p.get(`ro.${partition}.build.type`));
  assert.equal(b.tags, p.get(`ro.${partition}.build.tags`));
  assert.equal(b.sdk, p.get(`ro.${partition}.build.version.sdk`));
  assert.equal(b.buildDateUtc, Number(p.get(`ro.${partition}.build.date.utc`)));
  assert.deepEqual(b.differ, []);
  return r;
}

test('corpus ext4/op7t_odm.img: summary.build is what debugfs reads from /etc/build.prop', async (t) => {
  const img = corpusFile(t, 'ext4/op7t_odm.img');
  if (!img || !requireTools(t, 'debugfs')) return;
  const r = await check(img, ext4Cat(img, '/etc/build.prop'), 'odm', 'etc/build.prop');
  assert.equal(r.summary.build!.device, 'OnePlus7T');
  assert.deepEqual(
    r.findings.filter((f) => f.ruleId.startsWith('compat/') && f.severity === 'error'),
    [],
    describe(r.findings),
  );
});

test('corpus erofs/kdeffalt_system_dlkm.img: summary.build is what fsck.erofs extracts from etc/build.prop', async (t) => {
  const img = corpusFile(t, 'erofs/kdeffalt_system_dlkm.img');
  if (!img || !requireTools(t, 'fsck.erofs')) return;
  const r = await check(img, erofsCat(t, img, 'etc/build.prop'), 'system_dlkm', 'etc/build.prop', { model: true });
  assert.equal(r.summary.build!.fingerprint, 'Redmi/topaz_global/topaz:13/TKQ1.221114.001/V14.0.8.0.TMGMIXM:user/release-keys');
});

test('corpus avb-footer-images/cfig_issue133_system_dlkm.img: a repacked image whose vbmeta names another fingerprint', async (t) => {
  const img = corpusFile(t, 'avb-footer-images/cfig_issue133_system_dlkm.img');
  if (!img || !requireTools(t, 'debugfs')) return;
  const text = ext4Cat(img, '/etc/build.prop');
  const r = await check(img, text, 'system_dlkm', 'etc/build.prop', { model: true });
  const found = r.findings.filter((f) => f.ruleId === 'compat/avb-property-mismatch');
  assert.equal(found.length, 1, describe(r.findings));
  assert.equal(found[0].path, 'vbmeta');
  // The footer's own descriptor, as the vbmeta holds it, against the file debugfs reads.
  const vbmeta = r.root.children.find((c) => c.path === 'vbmeta')!;
  const prop = (ofFormat(vbmeta, 'avb-vbmeta').info.descriptors as { key?: string; value?: string }[]).find((d) => d.key === 'com.android.build.system_dlkm.fingerprint')!;
  assert.notEqual(prop.value, props(text).get('ro.system_dlkm.build.fingerprint'));
  assert.ok(found[0].message.includes(`"${prop.value}"`) && found[0].message.includes(`"${props(text).get('ro.system_dlkm.build.fingerprint')}"`), found[0].message);
});
