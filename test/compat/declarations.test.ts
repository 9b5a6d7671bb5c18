/**
 * Each declaration source, in a package the fixture builders make, checked
 * end to end with `romscope check` against a target that matches (exit 0,
 * verdict compatible) and one that does not (exit 1, verdict incompatible,
 * a compat/device-mismatch finding), with the evidence on the right file
 * and line. Sources that only describe a board (a boot image header, a PIT
 * header) cannot rule a device out: the non-matching target gives exit 0 and
 * the verdict unknown.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { assertDevice, androidInfo, bootWithProps, buildProp, otaMetadata, updaterScript, utf16le, xiaomiFlashAll, zipOf } from '../../fixtures/builders/rom';
import { buildTar, buildTarMd5 } from '../../fixtures/builders/tar';
import { buildFtf, buildSinV3 } from '../../fixtures/builders/sony';
import { buildScatterYaml } from '../../fixtures/builders/scatter';
import { buildPit } from '../../fixtures/builders/pit';
import { runCli, tempDir } from '../helpers';

const META = 'META-INF/com/android/metadata';
const SCRIPT = 'META-INF/com/google/android/updater-script';
const AP = 'AP_T870XXU2BUC6_CL21033099_QB38876786_REV00_user_low_ship_MULTI_CERT_meta_OS11.tar.md5';

/** The PIT header's bytes 16-23 hold an ASCII project name in some PITs (FORMATS.md §9.2). */
function pitWithProject(name: string): Buffer {
  const b = Buffer.alloc(8);
  b.write(name, 'latin1');
  const u = [0, 0, b.readUInt16LE(0), b.readUInt16LE(2), b.readUInt16LE(4), b.readUInt16LE(6), 0, 0] as [number, number, number, number, number, number, number, number];
  return buildPit([{ name: 'BOOT', flashFilename: 'boot.img', blockCount: 65536, deviceType: 2 }], { unknown: u });
}

interface Case {
  source: string;
  file: string;
  build: () => Buffer;
  flag: '--device' | '--model' | '--board';
  match: string;
  other: string;
  path: string;
  line?: number;
  /** Only describes the build: another target is "unknown", not "incompatible". */
  weak?: boolean;
}

const CASES: Case[] = [
  {
    source: 'ota-metadata',
    file: 'ota.zip',
    build: () => zipOf({ [META]: otaMetadata({ 'ota-type': 'BLOCK', 'post-timestamp': '1324365991', 'pre-device': 'crespo' }), 'boot.img': bootWithProps({}) }),
    flag: '--device',
    match: 'crespo',
    other: 'maguro',
    path: META,
    line: 3,
  },
  { source: 'updater-script', file: 'ota.zip', build: () => zipOf({ [SCRIPT]: updaterScript([assertDevice(['crespo'])]) }), flag: '--device', match: 'crespo', other: 'maguro', path: SCRIPT, line: 2 },
  {
    source: 'android-info',
    file: 'image-blueline.zip',
    build: () => zipOf({ 'android-info.txt': androidInfo(['require board=crosshatch|blueline', 'require version-bootloader=b1c1-0.1-5004167']), 'boot.img': bootWithProps({}) }),
    flag: '--device',
    match: 'blueline',
    other: 'sargo',
    path: 'android-info.txt',
    line: 1,
  },
  {
    source: 'flash-script',
    file: 'raphaelin_images_V12.0.5.0.tgz',
    build: () =>
      gzipSync(
        buildTar([
          { name: 'raphaelin_images/flash_all.sh', data: Buffer.from(xiaomiFlashAll('raphaelin', 1)) },
          { name: 'raphaelin_images/images/boot.img', data: bootWithProps({}) },
        ]),
      ),
    flag: '--device',
    match: 'raphaelin',
    other: 'raphael',
    path: 'raphaelin_images_V12.0.5.0.tar/raphaelin_images/flash_all.sh',
    line: 4,
  },
  {
    source: 'flash-script',
    file: 'rom.zip',
    build: () => zipOf({ 'flash_all.bat': utf16le(xiaomiFlashAll('raphaelin', 1, 'bat')) }),
    flag: '--device',
    match: 'raphaelin',
    other: 'raphael',
    path: 'flash_all.bat',
    line: 3,
  },
  {
    source: 'xiaomi-rom-info',
    file: 'rom.zip',
    build: () => zipOf({ 'misc.txt': 'device=raphaelin\nbuild_number=V12.0.5.0.QFKINXM\n', 'images/boot.img': bootWithProps({}) }),
    flag: '--device',
    match: 'raphaelin',
    other: 'raphael',
    path: 'misc.txt',
    line: 1,
  },
  {
    source: 'ftf-manifest',
    file: 'F8331_41.3.A.2.192.ftf',
    build: () => buildFtf({ device: 'F8331', version: '41.3.A.2.192' }, [{ name: 'boot.sin', data: buildSinV3({ payload: bootWithProps({}) }) }]),
    flag: '--model',
    match: 'F8331',
    other: 'F8332',
    path: '',
  },
  { source: 'odin-file-name', file: AP, build: () => buildTarMd5(buildTar([{ name: 'boot.img', data: bootWithProps({}) }]), AP.replace(/\.md5$/, '')), flag: '--model', match: 'SM-T870', other: 'SM-T875', path: '' },
  {
    source: 'build-prop',
    file: 'boot.zip',
    build: () => zipOf({ 'boot.img': bootWithProps({ 'ro.product.bootimage.device': 'a05s', 'ro.product.bootimage.model': 'SM-A057F' }) }),
    flag: '--device',
    match: 'a05s',
    other: 'a05',
    path: 'boot.img/ramdisk/ramdisk/prop.default',
    line: 2,
  },
  {
    source: 'build-prop',
    file: 'ota.zip',
    build: () => zipOf({ 'system/build.prop': buildProp({ 'ro.build.id': 'IML74K', 'ro.product.model': 'Nexus S' }), [SCRIPT]: updaterScript([]) }),
    flag: '--model',
    match: 'Nexus S',
    other: 'Galaxy Nexus',
    path: 'system/build.prop',
    line: 3,
  },
  {
    source: 'mtk-scatter',
    file: 'mtk.zip',
    build: () =>
      zipOf({ 'MT6765_Android_scatter.txt': buildScatterYaml([{ name: 'boot', file: 'boot.img', start: 0x1000000, size: 0x2000000 }], { platform: 'MT6765', project: 'k65v1_64_bsp' }), 'boot.img': bootWithProps({}) }),
    flag: '--board',
    match: 'MT6765',
    other: 'MT6768',
    path: 'MT6765_Android_scatter.txt',
  },
  { source: 'boot-header', file: 'boot.zip', build: () => zipOf({ 'boot.img': bootWithProps({}, { board: 'msm8953' }) }), flag: '--board', match: 'msm8953', other: 'sdm845', path: 'boot.img', weak: true },
  {
    source: 'samsung-pit',
    file: 'CSC_OMC_OXM_T870OXM2BUC6_CL1_QB2_REV00_user_low_ship_MULTI_CERT.tar.md5',
    build: () => buildTarMd5(buildTar([{ name: 'gts7l.pit', data: pitWithProject('MSM8250') }]), 'CSC_OMC_OXM_T870OXM2BUC6_CL1_QB2_REV00_user_low_ship_MULTI_CERT.tar'),
    flag: '--board',
    match: 'MSM8250',
    other: 'EXYNOS9611',
    path: 'gts7l.pit',
    weak: true,
  },
];

interface Evidence {
  path: string;
  line?: number;
  source: string;
  result: string;
}

for (const c of CASES) {
  test(`declaration source ${c.source} (${c.file}, ${c.flag}): a matching target passes, another fails, with the evidence at ${c.path || 'the input'}${c.line ? ` line ${c.line}` : ''}`, (t) => {
    const dir = tempDir(t);
    const file = join(dir, c.file);
    writeFileSync(file, c.build());
    const ok = runCli(['check', file, c.flag, c.match, '--json']);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const good = JSON.parse(ok.stdout);
    assert.equal(good.summary.compatibility.verdict, 'compatible', good.summary.compatibility.reason);
    const ev = (good.summary.compatibility.evidence as Evidence[]).find((e) => e.source === c.source);
    assert.ok(ev, JSON.stringify(good.summary.compatibility.evidence));
    assert.equal(ev.path, c.path);
    assert.equal(ev.line, c.line);
    assert.equal(ev.result, 'match');

    const bad = runCli(['check', file, c.flag, c.other, '--json']);
    const r = JSON.parse(bad.stdout);
    const mine = (r.summary.compatibility.evidence as Evidence[]).find((e) => e.source === c.source)!;
    assert.equal(mine.result, 'mismatch');
    if (c.weak) {
      assert.equal(bad.code, 0, bad.stdout);
      assert.equal(r.summary.compatibility.verdict, 'unknown');
      return;
    }
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    assert.equal(r.summary.compatibility.verdict, 'incompatible');
    assert.ok(r.summary.compatibility.reason.startsWith(`${c.path || c.file}${c.line ? ` line ${c.line}` : ''}: `), r.summary.compatibility.reason);
    const f = r.findings.filter((x: { ruleId: string }) => x.ruleId === 'compat/device-mismatch');
    assert.equal(f.length, 1, JSON.stringify(r.findings));
    assert.equal(f[0].path, c.path);
    assert.equal(f[0].line, c.line);
    // The table output opens with the verdict.
    const table = runCli(['check', file, c.flag, c.other]);
    assert.match(table.stdout.split('\n')[0], /^compatibility: INCOMPATIBLE \(/);
  });
}

test('the table shows the evidence under the verdict; --quiet keeps only the verdict line', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'ota.zip');
  writeFileSync(file, CASES[0].build());
  const r = runCli(['check', file, '--device', 'crespo']);
  const lines = r.stdout.split('\n');
  assert.match(lines[0], /^compatibility: compatible \(the target device "crespo" is what META-INF\/com\/android\/metadata line 3 declares\)$/);
  assert.match(r.stdout, /│ match +│ device crespo +│ META-INF\/com\/android\/metadata:3 +│ ota-metadata +│ yes/);
  const q = runCli(['check', file, '--device', 'crespo', '--quiet']);
  assert.doesNotMatch(q.stdout, /ota-metadata +│ yes/);
  assert.match(q.stdout.split('\n')[0], /^compatibility: compatible/);
});

test('without a target: the declared devices are listed, the verdict is unknown, exit 0', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'ota.zip');
  writeFileSync(file, CASES[0].build());
  const r = runCli(['check', file, '--json']);
  assert.equal(r.code, 0);
  const c = JSON.parse(r.stdout).summary.compatibility;
  assert.equal(c.verdict, 'unknown');
  assert.deepEqual(c.target, {});
  assert.deepEqual(c.declared, { device: ['crespo'] });
  assert.match(c.reason, /no target device given/);
});

test('bad target flags are usage errors (exit 2)', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'ota.zip');
  writeFileSync(file, CASES[0].build());
  for (const args of [
    ['--current-patch', '2023'],
    ['--current-patch', '2023-13-01'],
    ['--anti-rollback', '-1'],
    ['--anti-rollback', 'x'],
    ['--current-timestamp', '1.5'],
    ['--device', ''],
    ['--device', ' crespo'],
  ]) {
    const r = runCli(['check', file, ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /^romscope: /);
  }
});

test('a metadata.pb that is not protobuf, next to the text metadata, is no crash', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'ota.zip');
  writeFileSync(file, zipOf({ [META]: otaMetadata({ 'pre-device': 'crespo' }), 'META-INF/com/android/metadata.pb': Buffer.from('pre-device=maguro\n\u0000\u00ff garbage \u0001') }));
  const r = runCli(['check', file, '--device', 'crespo', '--json']);
  assert.ok(r.code === 0 || r.code === 1, r.stderr);
  const c = JSON.parse(r.stdout).summary.compatibility;
  assert.equal(c.verdict, 'compatible', c.reason);
});
