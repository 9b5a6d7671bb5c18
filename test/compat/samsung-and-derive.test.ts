/** Samsung version strings and Odin names (FORMATS.md §9.3), and the derive pass over other decoders' info. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOdinName, parseSamsungVersion, parseCscVersion } from '../../src/compat/samsung';
import { addDerivedFacts } from '../../src/compat/derive';
import { isBuildFact, isDeclaration } from '../../src/compat/declarations';
import { compatibilitySummary } from '../../src/compat/evaluate';
import { comparePatch, parseFingerprint, samsungBinaryOf } from '../../src/compat/target';
import { newArtifact } from '../../src/report/model';

test('Samsung versions: the model is what precedes the fixed eight-character tail; binary revision 1-9, A = 10', () => {
  const v = (s: string) => {
    const p = parseSamsungVersion(s);
    return p && [p.model, p.region, p.binary];
  };
  assert.deepEqual(v('T870XXU2BUC6'), ['T870', 'XX', 2]);
  assert.deepEqual(v('G998BXXU5CVDD'), ['G998B', 'XX', 5]);
  assert.deepEqual(v('S906NKSS7FYG1'), ['S906N', 'KS', 7]);
  assert.deepEqual(v('A057FXXSBDYJ1'), ['A057F', 'XX', 11]);
  assert.deepEqual(v('N986U1UEU1CTLD'), ['N986U1', 'UE', 1]);
  for (const bad of ['DEMO', 'XXU2BUC6', 'T870XXQ2BUC6', 'T870XXU2BUZ6', 't870xxu2buc6', '1234XXU2BUC6']) assert.equal(parseSamsungVersion(bad), null, bad);
  assert.deepEqual(parseCscVersion('T870OXM2BUC6'), { version: 'T870OXM2BUC6', model: 'T870', region: 'OXM', binary: 2 });
  assert.equal(samsungBinaryOf('T870XXU3CUD1'), 3);
  assert.equal(samsungBinaryOf('b1c1-0.1-5004167'), null);
});

test('Odin file names: AP, BL, CP, CSC with a sales group, HOME_CSC', () => {
  const n = (s: string) => {
    const o = parseOdinName(s);
    return o && [o.component, o.version.model, o.version.binary, o.salesGroup];
  };
  assert.deepEqual(n('AP_T870XXU2BUC6_CL21033099_QB38876786_REV00_user_low_ship_MULTI_CERT_meta_OS11.tar.md5'), ['AP', 'T870', 2, undefined]);
  assert.deepEqual(n('BL_T870XXU2BUC6_CL21033099_QB38876786_REV00_user_low_ship_MULTI_CERT.tar.md5'), ['BL', 'T870', 2, undefined]);
  assert.deepEqual(n('CP_S906NKSS7FYG1_CP30713288_MQB98036461_REV00_user_low_ship_MULTI_CERT.tar.md5'), ['CP', 'S906N', 7, undefined]);
  assert.deepEqual(n('CSC_OMC_OXM_T870OXM2BUC6_CL21033099_QB38876786_REV00_user_low_ship_MULTI_CERT.tar.md5'), ['CSC', 'T870', 2, 'OMC_OXM']);
  assert.deepEqual(n('HOME_CSC_OMC_OXM_T870OXM2BUC6_CL21033099_QB38876786_REV00_user_low_ship_MULTI_CERT.tar.md5'), ['HOME_CSC', 'T870', 2, 'OMC_OXM']);
  assert.deepEqual(n('dir/AP_G998BXXU5CVDD_CL1.tar'), ['AP', 'G998B', 5, undefined]);
  for (const bad of ['AP.tar.md5', 'AP_DEMO.tar.md5', 'boot.tar.md5', 'XX_T870XXU2BUC6.tar.md5']) assert.equal(parseOdinName(bad), null, bad);
});

test('fingerprints and patch levels', () => {
  assert.deepEqual(parseFingerprint('google/crosshatch/crosshatch:10/QQ1A.200105.002/6031802:user/release-keys'), {
    brand: 'google',
    product: 'crosshatch',
    device: 'crosshatch',
    release: '10',
    id: 'QQ1A.200105.002',
    incremental: '6031802',
    type: 'user',
    tags: 'release-keys',
  });
  assert.equal(parseFingerprint('not a fingerprint'), null);
  assert.ok(comparePatch('2023-05-05', '2023-06-01')! < 0);
  assert.equal(comparePatch('2023-05', '2023-05-30'), 0, 'a month-only level compares by month');
  assert.ok(comparePatch('2024-01', '2023-12-31')! > 0);
  assert.equal(comparePatch('2023', '2023-01-01'), null);
});

test('derive: OTA metadata exposed by another decoder in the OtaMetadataInfo shape (a metadata.pb) becomes the same facts', () => {
  const root = newArtifact('', 'ota.zip', 100);
  root.format = 'zip';
  const pb = newArtifact('META-INF/com/android/metadata.pb', 'META-INF/com/android/metadata.pb', 50);
  pb.format = 'ota-metadata-pb';
  pb.info = { type: 'AB', precondition: { device: ['daisy'], build: [] }, postcondition: { build: ['xiaomi/daisy/daisy_sprout:10/Q/1:user/release-keys'], timestamp: 1699178100, securityPatchLevel: '2023-09-01' } };
  const junk = newArtifact('x.pb', 'x.pb', 5);
  junk.info = { precondition: { device: 'not-a-list', build: [1, 2] }, postcondition: 'nope' };
  root.children = [pb, junk];
  addDerivedFacts(root);
  assert.deepEqual(
    pb.facts.filter(isDeclaration).map((d) => d.alternatives.map((a) => `${a.property}=${a.value}`)),
    [['pre-device=daisy']],
  );
  assert.deepEqual(
    pb.facts.filter(isBuildFact).map((b) => `${b.key}=${b.value}`),
    ['fingerprint=xiaomi/daisy/daisy_sprout:10/Q/1:user/release-keys', 'timestamp=1699178100', 'security-patch=2023-09-01'],
  );
  assert.deepEqual(junk.facts, [], 'info of another shape declares nothing and throws nothing');
  const c = compatibilitySummary(root, { device: 'daisy' });
  assert.equal(c.verdict, 'compatible');
  assert.equal(c.evidence[0].path, 'META-INF/com/android/metadata.pb');
  assert.equal(c.evidence[0].line, undefined);
});

test('derive: vbmeta rollback index (not for a GKI boot signature), boot header board and patch, scatter, PIT header project', () => {
  const root = newArtifact('', 'rom.zip', 1);
  root.format = 'zip';
  const mk = (name: string, format: string, info: Record<string, unknown>) => {
    const a = newArtifact(name, name, 1);
    a.format = format;
    a.info = info;
    root.children.push(a);
    return a;
  };
  const vb = mk('vbmeta.img', 'avb-vbmeta', { rollbackIndex: '1700000000', rollbackIndexLocation: 0, role: 'top-level' });
  const gki = mk('boot.img/boot_signature', 'avb-vbmeta', { rollbackIndex: 5, role: 'gki-boot-signature' });
  const boot = mk('boot.img', 'android-boot', { board: 'SRPTH19C004', patchLevel: '2023-05' });
  const sc = mk('MT6768_Android_scatter.txt', 'mtk-scatter', { platform: 'MT6768', project: 'selene' });
  const pitHeader = Buffer.from('SM8250\0\0', 'latin1');
  const pit = mk('x.pit', 'samsung-pit', {
    header: { unknown1: 0, unknown2: 0, unknown3: pitHeader.readUInt16LE(0), unknown4: pitHeader.readUInt16LE(2), unknown5: pitHeader.readUInt16LE(4), unknown6: pitHeader.readUInt16LE(6), unknown7: 0, unknown8: 0 },
  });
  const zeroPit = mk('y.pit', 'samsung-pit', { header: { unknown3: 0, unknown4: 0, unknown5: 0, unknown6: 0 } });
  addDerivedFacts(root);
  assert.deepEqual(
    vb.facts.filter(isBuildFact).map((b) => [b.key, b.value, b.scheme, b.location]),
    [['anti-rollback', '1700000000', 'avb', 0]],
  );
  assert.deepEqual(gki.facts, []);
  assert.deepEqual(
    boot.facts.map((f) => (isDeclaration(f) ? `board=${f.alternatives[0].value}` : isBuildFact(f) ? `${f.key}=${f.value}` : f.kind)),
    ['board=SRPTH19C004', 'security-patch=2023-05'],
  );
  assert.deepEqual(
    sc.facts.filter(isDeclaration).map((d) => [d.alternatives[0].key, d.alternatives[0].value, d.enforced]),
    [
      ['board', 'MT6768', true],
      ['project', 'selene', false],
    ],
  );
  assert.deepEqual(
    pit.facts.filter(isDeclaration).map((d) => d.alternatives[0].value),
    ['SM8250'],
  );
  assert.deepEqual(zeroPit.facts, []);
});
