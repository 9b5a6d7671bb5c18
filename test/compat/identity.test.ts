/**
 * The build's identity read from inside partition images (issue 14, items 5
 * and 6): a package whose system.img is a sparse ext4 image (mke2fs -d, then
 * img2simg), one whose system.img is EROFS (mkfs.erofs), and an A/B OTA whose
 * payload partitions are ext4 all give `summary.build` from the images'
 * build.prop; the identity feeds compat and rollback; a package built with a
 * mismatching fingerprint fires the cross-layer rules.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect, type InspectOptions } from '../../src/pipeline/inspect';
import { renderTable } from '../../src/report/table';
import { requireTools, tempDir } from '../helpers';
import { describe } from '../interop/util';
import { DEMO_BUILD, erofsPartition, ext4Partition, fingerprintOf, img2simg, partitionProps } from '../../fixtures/builders/partitions';
import { buildPayload } from '../../fixtures/builders/payload';
import { buildAbOtaZip } from '../../fixtures/builders/ota-zip';
import { androidInfo, zipOf } from '../../fixtures/builders/rom';
import { buildSuperImage } from '../../fixtures/builders/super';
import type { Report } from '../../src/report/model';

const FP = fingerprintOf(DEMO_BUILD);
const plain = { colors: { red: String, green: String, yellow: String, dim: String, bold: String } } as unknown as Parameters<typeof renderTable>[1];

async function run(t: TestContext, name: string, data: Buffer, opts?: InspectOptions): Promise<Report> {
  const file = join(tempDir(t), name);
  writeFileSync(file, data);
  return inspect(file, opts);
}

const rules = (r: Report, id: string) => r.findings.filter((f) => f.ruleId === id);

function assertDemoIdentity(r: Report): void {
  const b = r.summary.build;
  assert.ok(b, 'summary.build is present');
  assert.equal(b.device, 'demo');
  assert.equal(b.model, 'Demo Phone');
  assert.equal(b.brand, 'romscope');
  assert.equal(b.fingerprint, FP);
  assert.equal(b.buildId, 'UQ1A.240105.004');
  assert.equal(b.incremental, '11223344');
  assert.equal(b.type, 'user');
  assert.equal(b.tags, 'release-keys');
  assert.equal(b.securityPatch, '2024-01-05');
  assert.equal(b.sdk, '34');
  assert.equal(b.buildDateUtc, DEMO_BUILD.dateUtc);
  assert.equal(b.buildDate, new Date(DEMO_BUILD.dateUtc * 1000).toISOString());
}

test('identity: a fastboot package whose system.img is sparse ext4 (mke2fs -d, img2simg) and vendor.img ext4', async (t) => {
  if (!requireTools(t, 'mke2fs', 'img2simg')) return;
  const system = img2simg(ext4Partition('system', partitionProps('system', DEMO_BUILD)));
  const vendor = ext4Partition('vendor', partitionProps('vendor', { ...DEMO_BUILD, vendorSecurityPatch: '2023-12-01' }));
  const product = ext4Partition('product', partitionProps('product', DEMO_BUILD));
  const pkg = zipOf({ 'android-info.txt': androidInfo(['require board=demo']), 'system.img': system, 'vendor.img': vendor, 'product.img': product });
  const r = await run(t, 'demo-img.zip', pkg, { target: { device: 'demo' } });
  assertDemoIdentity(r);
  const b = r.summary.build!;
  assert.equal(b.vendorSecurityPatch, '2023-12-01');
  assert.equal(b.board, 'demo');
  assert.equal(b.firstApiLevel, '33');
  const parts = Object.fromEntries(b.partitions.map((p) => [p.partition, p]));
  assert.deepEqual(Object.keys(parts).sort(), ['product', 'system', 'vendor']);
  assert.match(parts.system.path, /^system\.img\/.*system\/build\.prop$/);
  assert.equal(parts.vendor.path.endsWith('vendor.img/build.prop'), true, parts.vendor.path);
  assert.equal(parts.product.path.endsWith('product.img/etc/build.prop'), true, parts.product.path);
  assert.equal(parts.vendor.securityPatch, '2023-12-01');
  assert.deepEqual(b.differ, ['securityPatch']);
  // Fed to compat: the images' build.prop are evidence for the target device.
  assert.equal(r.summary.compatibility.verdict, 'compatible', r.summary.compatibility.reason);
  assert.ok(r.summary.compatibility.evidence.some((e) => e.source === 'build-prop' && e.path === parts.system.path && e.result === 'match'));
  assert.deepEqual(
    r.findings.filter((f) => f.ruleId.startsWith('compat/')),
    [],
    describe(r.findings),
  );
  const text = renderTable(r, plain);
  assert.match(text, /build: romscope\/demo_phone\/demo:14/);
  assert.match(text, /security patch +│ 2024-01-05 +│ system +│/);
  assert.match(text, /│ +│ 2023-12-01 +│ vendor/);
});

test('identity: a different device fails compat; an older build fails rollback (--current-timestamp, --current-patch)', async (t) => {
  if (!requireTools(t, 'mke2fs', 'img2simg')) return;
  const system = img2simg(ext4Partition('system', partitionProps('system', DEMO_BUILD)));
  const pkg = zipOf({ 'system.img': system });
  const r = await run(t, 'demo-img.zip', pkg, { target: { device: 'other', currentTimestamp: DEMO_BUILD.dateUtc + 86400, currentPatch: '2024-02-05' } });
  assert.equal(r.summary.compatibility.verdict, 'incompatible', r.summary.compatibility.reason);
  const down = rules(r, 'rollback/downgrade');
  assert.equal(down.length, 2, describe(r.findings));
  assert.ok(down.every((f) => /^system\.img\/.*system\/build\.prop$/.test(f.path)));
  assert.match(down[0].message, /ro\.build\.date\.utc 1704450000/);
  assert.match(down[1].message, /ro\.build\.version\.security_patch 2024-01-05/);
});

test('identity: a package whose system.img is EROFS (mkfs.erofs -zlz4hc)', async (t) => {
  if (!requireTools(t, 'mkfs.erofs')) return;
  const pkg = zipOf({ 'system.img': erofsPartition('system', partitionProps('system', DEMO_BUILD), { compress: true }), 'vendor.img': erofsPartition('vendor', partitionProps('vendor', DEMO_BUILD)) });
  const r = await run(t, 'demo-erofs.zip', pkg);
  assertDemoIdentity(r);
  assert.deepEqual(
    r.summary.build!.partitions.map((p) => [p.partition, p.path]),
    [
      ['system', 'system.img/system/build.prop'],
      ['vendor', 'vendor.img/build.prop'],
    ],
  );
  assert.deepEqual(r.summary.build!.differ, []);
});

function abOta(systemFp: string, vendorFp: string, lines: string[]): Buffer {
  const system = ext4Partition('system', partitionProps('system', DEMO_BUILD, { fingerprint: systemFp }));
  const vendor = ext4Partition('vendor', partitionProps('vendor', DEMO_BUILD, { fingerprint: vendorFp }));
  const p = buildPayload([
    { name: 'system', data: system, type: 'REPLACE_XZ' },
    { name: 'vendor', data: vendor },
  ]);
  return buildAbOtaZip({ payload: p.payload, properties: p.properties, lines }).zip;
}

const META = [`pre-device=demo`, `post-build=${FP}`, `post-security-patch-level=2024-01-05`, `post-timestamp=${DEMO_BUILD.dateUtc}`, 'post-build-incremental=11223344'];

test('identity: an A/B OTA whose payload partitions are ext4 shows the build from inside the images; metadata agrees', async (t) => {
  if (!requireTools(t, 'mke2fs')) return;
  const r = await run(t, 'ota.zip', abOta(FP, FP, META));
  assertDemoIdentity(r);
  const paths = r.summary.build!.partitions.map((p) => `${p.partition} ${p.path}`);
  assert.deepEqual(paths, ['system payload.bin/system.img/system/build.prop', 'vendor payload.bin/vendor.img/build.prop']);
  assert.deepEqual(
    r.findings.filter((f) => f.ruleId.startsWith('compat/')),
    [],
    describe(r.findings),
  );
});

test('identity: an A/B OTA built with a mismatching fingerprint fires the cross-layer rules', async (t) => {
  if (!requireTools(t, 'mke2fs')) return;
  const other = FP.replace('11223344', '99999999');
  const r = await run(t, 'ota.zip', abOta(other, FP, [...META.filter((l) => !l.startsWith('pre-device')), 'pre-device=otherdevice']));
  const meta = rules(r, 'compat/ota-metadata-mismatch');
  assert.equal(meta.length, 2, describe(r.findings));
  assert.equal(meta[0].path, 'META-INF/com/android/metadata');
  assert.match(meta[0].message, /post-build ".*11223344:user\/release-keys" is not what the image says: payload\.bin\/system\.img\/system\/build\.prop \(ro\.build\.fingerprint ".*99999999:user\/release-keys"\)/);
  assert.match(meta[1].message, /pre-device "otherdevice" does not include the device the images are built for: payload\.bin\/vendor\.img\/build\.prop \(ro\.product\.vendor\.device "demo"\)/);
  assert.equal(meta[0].severity, 'error');
  const mixed = rules(r, 'compat/partition-fingerprints-differ');
  assert.equal(mixed.length, 1, describe(r.findings));
  assert.equal(mixed[0].severity, 'warning');
  assert.equal(mixed[0].path, 'payload.bin/vendor.img/build.prop');
  assert.match(mixed[0].message, /differs from system's: payload\.bin\/system\.img\/system\/build\.prop/);
  assert.deepEqual(r.summary.build!.differ, ['fingerprint']);
});

test('identity: logical partitions of super (system_a, odm_a) are named after their LP partition when the file does not say', async (t) => {
  if (!requireTools(t, 'mke2fs')) return;
  const system = ext4Partition('system', partitionProps('system', DEMO_BUILD));
  // A property file without ro.<partition>.build.* keys: only the LP partition name tells which partition it is.
  const odm = ext4Partition('odm', 'ro.product.device=demo\nro.build.fingerprint=' + FP + '\n');
  const img = buildSuperImage(
    {
      partitions: [
        { name: 'system_a', attributes: ['readonly'], data: system },
        { name: 'odm_a', attributes: ['readonly'], data: odm },
      ],
    },
    { metadataMaxSize: 4096, slotCount: 2 },
  ).image;
  const r = await run(t, 'super.img', img);
  assert.deepEqual(
    r.summary.build!.partitions.map((p) => [p.partition, p.path, p.fingerprint]),
    [
      ['system', 'system_a/system/build.prop', FP],
      ['odm', 'odm_a/etc/build.prop', FP],
    ],
  );
  assert.deepEqual(rules(r, 'compat/partition-fingerprints-differ'), [], describe(r.findings));
});
