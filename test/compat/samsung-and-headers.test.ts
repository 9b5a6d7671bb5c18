/** Samsung version strings and Odin names (FORMATS.md §9.3), and the declarations decoders record from headers and names. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOdinName, parseSamsungVersion, parseCscVersion } from '../../src/compat/samsung';
import { isBuildFact, isDeclaration } from '../../src/compat/declarations';
import { comparePatch, parseFingerprint, samsungBinaryOf } from '../../src/compat/target';
import type { Fact } from '../../src/report/model';
import { bootHeaderDeclarations } from '../../src/formats/android-boot';
import { scatterDeclarations } from '../../src/formats/mtk-scatter';
import { pitHeaderDeclarations } from '../../src/formats/samsung-pit';
import { odinNameDeclarations } from '../../src/formats/samsung-tar-md5';
import { rollbackIndexFact } from '../../src/formats/avb-vbmeta';

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

test('decoders declare what their headers and names say: boot header board and patch, scatter, PIT header project, Odin names, vbmeta rollback index', () => {
  const show = (facts: Fact[]) => facts.map((f) => (isDeclaration(f) ? `${f.alternatives[0].key}=${f.alternatives[0].value}${f.enforced ? ' (enforced)' : ''}` : isBuildFact(f) ? `${f.key}=${f.value}` : f.kind));
  assert.deepEqual(show(bootHeaderDeclarations('SRPTH19C004', '2023-05')), ['board=SRPTH19C004', 'security-patch=2023-05']);
  assert.deepEqual(show(bootHeaderDeclarations('', null)), []);
  assert.deepEqual(show(scatterDeclarations('MT6768', 'selene')), ['board=MT6768 (enforced)', 'project=selene']);
  const pit = Buffer.alloc(28);
  Buffer.from('SM8250\0\0', 'latin1').copy(pit, 16);
  assert.deepEqual(show(pitHeaderDeclarations(pit)), ['board=SM8250']);
  assert.deepEqual(pitHeaderDeclarations(Buffer.alloc(28)), []);
  assert.deepEqual(show(odinNameDeclarations('AP_T870XXU2BUC6_CL21033099_QB38876786_REV00_user_low_ship_MULTI_CERT_meta_OS11.tar.md5')), ['model=T870', 'incremental=T870XXU2BUC6', 'anti-rollback=2']);
  assert.deepEqual(show(odinNameDeclarations('CSC_OMC_OXM_T870OXM2BUC6_CL21033099_QB38876786_REV00_user_low_ship_MULTI_CERT.tar.md5')), ['model=T870']);
  assert.deepEqual(odinNameDeclarations('boot.tar'), []);
  const r = rollbackIndexFact(1700000000n, 0);
  assert.deepEqual([r.key, r.value, r.scheme, r.location], ['anti-rollback', '1700000000', 'avb', 0]);
});
