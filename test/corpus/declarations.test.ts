/**
 * The real declaration files of the shared corpus yield the devices they
 * declare. Each file is put where packages carry it (an updater-script in
 * META-INF/com/google/android/, android-info.txt at the top of a factory
 * image...) in a package built at test time; the expected lists were written
 * by reading the files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { inspect } from '../../src/pipeline/inspect';
import { isBuildFact, isDeclaration, type BuildFact, type DeclarationFact } from '../../src/compat/declarations';
import { walkArtifacts, type Report } from '../../src/report/model';
import { zipOf } from '../../fixtures/builders/rom';
import { buildTar } from '../../fixtures/builders/tar';
import { corpusFile, runCli, tempDir } from '../helpers';
import type { TestContext } from 'node:test';

function facts(r: Report) {
  const decls: { path: string; fact: DeclarationFact }[] = [];
  const builds: { path: string; fact: BuildFact }[] = [];
  for (const a of walkArtifacts(r.root)) {
    for (const f of a.facts) {
      if (isDeclaration(f)) decls.push({ path: a.path, fact: f });
      if (isBuildFact(f)) builds.push({ path: a.path, fact: f });
    }
  }
  return { decls, builds };
}

/** Puts corpus files into a zip under the names packages give them, and inspects it. */
async function packaged(t: TestContext, members: Record<string, string>, target = {}): Promise<Report | null> {
  const out: Record<string, Buffer> = {};
  for (const [name, rel] of Object.entries(members)) {
    const p = corpusFile(t, rel);
    if (!p) return null;
    out[name] = readFileSync(p);
  }
  const file = join(tempDir(t), 'package.zip');
  writeFileSync(file, zipOf(out));
  return inspect(file, { target });
}

const SCRIPTS: [string, Record<string, string[]>, number][] = [
  ['crespo_updater-script', { device: ['crespo'] }, 2],
  ['dotos_rmx2001_updater-script', { device: ['RMX2001'] }, 1],
  ['pulse_cm_updater-script', { device: ['pulse', 'u8220', 'u8230'], board: ['pulse', 'u8220', 'u8230'] }, 2],
];

for (const [name, declared, line] of SCRIPTS) {
  test(`corpus updater-script/${name}: parses and declares ${JSON.stringify(declared)} (line ${line})`, async (t) => {
    const r = await packaged(t, { 'META-INF/com/google/android/updater-script': `updater-script/${name}` });
    if (!r) return;
    const script = r.root.children[0];
    assert.equal(script.format, 'updater-script');
    assert.equal(script.info.complete, undefined, 'the whole script parses');
    assert.deepEqual(
      r.findings.filter((f) => f.ruleId === 'format/unreadable'),
      [],
    );
    assert.deepEqual(r.summary.compatibility.declared, declared);
    const { decls } = facts(r);
    assert.equal(decls.length, 1);
    assert.equal(decls[0].fact.line, line);
    assert.equal(decls[0].fact.enforced, true);
  });
}

test('corpus crespo updater-script: AssertOlderBuild gives the enforced build time 1324365991', async (t) => {
  const r = await packaged(t, { 'META-INF/com/google/android/updater-script': 'updater-script/crespo_updater-script' }, { device: 'crespo', currentTimestamp: 1400000000 });
  if (!r) return;
  const ts = facts(r).builds.filter((b) => b.fact.key === 'timestamp');
  assert.deepEqual(
    ts.map((b) => [b.fact.value, b.fact.line, b.fact.enforced]),
    [['1324365991', 1, true]],
  );
  assert.deepEqual(
    r.findings.filter((f) => /^(compat|rollback)\//.test(f.ruleId)).map((f) => [f.ruleId, f.line]),
    [['rollback/downgrade', 1]],
  );
  assert.equal(r.summary.compatibility.verdict, 'compatible');
});

const METADATA: [string, string[], Record<string, string>][] = [
  ['crespo_metadata', ['crespo'], { timestamp: '1324365991' }],
  ['dotos_rmx2001_metadata', ['RMX2001'], { timestamp: '1699344017', 'security-patch': '2021-11-05' }],
  ['htc_marvel_sense5_metadata', ['marvel'], { timestamp: '1371133093' }],
  ['joelderoche_testotq_metadata', ['dart_mx8mm'], { timestamp: '1648045626', 'security-patch': '2021-08-05' }],
  ['pe_daisy_metadata', ['daisy'], { timestamp: '1699178100', 'security-patch': '2023-09-01' }],
  ['pulse_cm_metadata', ['u8220'], { timestamp: '0' }],
];

for (const [name, devices, build] of METADATA) {
  test(`corpus ota-metadata/${name}: pre-device ${devices.join(', ')}, found by content and by its name in a package`, async (t) => {
    const path = corpusFile(t, `ota-metadata/${name}`);
    if (!path) return;
    const bare = await inspect(path);
    assert.equal(bare.root.format, 'ota-metadata', 'recognised by its content under the corpus name');
    assert.deepEqual(bare.summary.compatibility.declared, { device: devices });
    const r = await packaged(t, { 'META-INF/com/android/metadata': `ota-metadata/${name}` }, { device: devices[0] });
    if (!r) return;
    assert.equal(r.summary.compatibility.verdict, 'compatible');
    const ev = r.summary.compatibility.evidence;
    assert.equal(ev.length, 1);
    assert.equal(ev[0].path, 'META-INF/com/android/metadata');
    const text = readFileSync(path, 'utf8').split('\n');
    assert.equal(text[ev[0].line! - 1].split('=')[0], 'pre-device', 'the evidence line is the pre-device line');
    const got = Object.fromEntries(
      facts(r)
        .builds.filter((b) => b.fact.key in build)
        .map((b) => [b.fact.key, b.fact.value]),
    );
    assert.deepEqual(got, build);
  });
}

test('corpus ota-metadata/*.pb, saved under other names: recognised by content, declaring the devices of their text twins', async (t) => {
  for (const name of ['pe_daisy_metadata.pb', 'miatoll_twrp_metadata.pb']) {
    const path = corpusFile(t, `ota-metadata/${name}`);
    if (!path) return;
    const r = await inspect(path);
    assert.equal(r.root.format, 'ota-metadata', name);
    assert.deepEqual(
      r.findings.filter((f) => f.severity === 'error'),
      [],
    );
  }
  const pb = corpusFile(t, 'ota-metadata/pe_daisy_metadata.pb');
  const txt = corpusFile(t, 'ota-metadata/pe_daisy_metadata');
  if (!pb || !txt) return;
  assert.deepEqual((await inspect(pb)).summary.compatibility.declared, (await inspect(txt)).summary.compatibility.declared);
});

const ANDROID_INFO: [string, string, string[], string[]][] = [
  ['fastboot-info/aospalliance_crosshatch_android-info.txt', 'android-info.txt', ['crosshatch', 'blueline'], ['b1c1-0.2-6085603']],
  ['fastboot-info/blueline_pq1a_android-info.txt', 'android-info.txt', ['crosshatch', 'blueline'], ['b1c1-0.1-5004167']],
  ['fastboot-info/tb350fu_board-info.txt', 'board-info.txt', [], []],
];

for (const [rel, name, devices, bootloaders] of ANDROID_INFO) {
  test(`corpus ${rel}: board ${JSON.stringify(devices)}, bootloader ${JSON.stringify(bootloaders)}`, async (t) => {
    const r = await packaged(t, { [name]: rel });
    if (!r) return;
    assert.equal(r.root.children[0].format, 'android-info');
    assert.deepEqual(r.summary.compatibility.declared, devices.length ? { device: devices } : {});
    const bl = facts(r).decls.filter((d) => d.fact.alternatives.some((a) => a.key === 'bootloader'));
    assert.deepEqual(bl.map((d) => d.fact.alternatives.map((a) => a.value)).flat(), bootloaders);
    if (bootloaders.length) assert.equal(bl[0].fact.line, 4);
  });
}

test('corpus blueline factory image: matching device passes; another bootloader is a bootloader-mismatch warning on line 4', async (t) => {
  const r = await packaged(t, { 'android-info.txt': 'fastboot-info/blueline_pq1a_android-info.txt', 'flash-all.sh': 'fastboot-info/blueline_pq1a_flash-all.sh' }, { device: 'blueline', bootloader: 'b1c1-0.2-6085603' });
  if (!r) return;
  assert.equal(r.summary.compatibility.verdict, 'compatible');
  assert.equal(r.root.children[1].format, 'fastboot-script');
  assert.deepEqual(
    r.findings.filter((f) => /^(compat|rollback)\//.test(f.ruleId)).map((f) => [f.ruleId, f.path, f.line]),
    [['compat/bootloader-mismatch', 'android-info.txt', 4]],
  );
});

const XIAOMI = ['raphael_flash_all.sh', 'raphael_flash_all_lock.sh', 'raphael_flash_all_except_storage.sh', 'raphael_flash_all.bat'];

for (const name of XIAOMI) {
  test(`corpus xiaomi-fastboot-scripts/${name}: product check raphaelin, anti-rollback 1`, async (t) => {
    const real = name.replace(/^raphael_/, '');
    const r = await packaged(t, { [real]: `xiaomi-fastboot-scripts/${name}` });
    if (!r) return;
    const script = r.root.children[0];
    assert.equal(script.format, 'fastboot-script');
    assert.deepEqual(script.info.products, ['raphaelin']);
    assert.equal(script.info.antiVersion, 1);
    assert.deepEqual(r.summary.compatibility.declared, { device: ['raphaelin'] });
    const { decls, builds } = facts(r);
    assert.equal(decls.length, 1, 'the .bat repeats the check: one declaration');
    assert.equal(decls[0].fact.line, name.endsWith('.bat') ? 7 : 5);
    assert.deepEqual(
      builds.map((b) => [b.fact.key, b.fact.value, b.fact.line]),
      [['anti-rollback', '1', 1]],
    );
  });
}

test('corpus Xiaomi fastboot ROM as a .tgz (scripts and misc.txt): raphaelin passes, raphael fails, anti-rollback 2 fails', (t) => {
  const files: [string, string][] = [
    ['raphaelin_images_V12.0.5.0.QFKINXM/flash_all.sh', 'raphael_flash_all.sh'],
    ['raphaelin_images_V12.0.5.0.QFKINXM/flash_all.bat', 'raphael_flash_all.bat'],
    ['raphaelin_images_V12.0.5.0.QFKINXM/flash_all_lock.sh', 'raphael_flash_all_lock.sh'],
    ['raphaelin_images_V12.0.5.0.QFKINXM/misc.txt', 'raphael_misc.txt'],
  ];
  const entries = [];
  for (const [name, rel] of files) {
    const p = corpusFile(t, `xiaomi-fastboot-scripts/${rel}`);
    if (!p) return;
    entries.push({ name, data: readFileSync(p) });
  }
  const file = join(tempDir(t), 'raphaelin_images_V12.0.5.0.QFKINXM_20210315.0000.00_10.0_in.tgz');
  writeFileSync(file, gzipSync(buildTar(entries)));
  const ok = runCli(['check', file, '--device', 'raphaelin', '--anti-rollback', '1', '--json']);
  assert.equal(ok.code, 0, ok.stdout);
  const good = JSON.parse(ok.stdout).summary.compatibility;
  assert.equal(good.verdict, 'compatible');
  assert.deepEqual(
    good.evidence.map((e: { source: string; line: number }) => [e.source, e.line]),
    [
      ['flash-script', 5],
      ['flash-script', 7],
      ['flash-script', 5],
      ['xiaomi-rom-info', 1],
    ],
  );
  const bad = runCli(['check', file, '--device', 'raphael', '--json']);
  assert.equal(bad.code, 1);
  assert.equal(JSON.parse(bad.stdout).findings.filter((f: { ruleId: string }) => f.ruleId === 'compat/device-mismatch').length, 4);
  const anti = runCli(['check', file, '--device', 'raphaelin', '--anti-rollback', '2', '--json']);
  assert.equal(anti.code, 1);
  const f = JSON.parse(anti.stdout).findings.filter((x: { ruleId: string }) => /^(compat|rollback)\//.test(x.ruleId));
  assert.deepEqual(
    f.map((x: { ruleId: string; path: string; line: number }) => [x.ruleId, x.path, x.line]),
    [['rollback/anti-rollback', 'raphaelin_images_V12.0.5.0.QFKINXM_20210315.0000.00_10.0_in.tar/raphaelin_images_V12.0.5.0.QFKINXM/flash_all.sh', 1]],
  );
});

const SCATTER: [string, string, string][] = [
  ['carlitoshsh_MT6768_Android_scatter.txt', 'MT6768', 'selene'],
  ['tb350fu_MT6789_Android_scatter.txt', 'MT6789', 'tulip_row_wifi'],
  ['vivo_y12s_MT6765_Android_scatter.txt', 'MT6765', 'k65v1_64_bsp'],
];

for (const [name, platform, project] of SCATTER) {
  test(`corpus mtk-scatter/${name}: platform ${platform}, project ${project}`, async (t) => {
    const path = corpusFile(t, `mtk-scatter/${name}`);
    if (!path) return;
    const r = await inspect(path, { target: { board: platform.toLowerCase() } });
    assert.deepEqual(r.summary.compatibility.declared, { board: [platform], project: [project] });
    assert.equal(r.summary.compatibility.verdict, 'compatible', 'the platform compares ignoring case');
    const other = await inspect(path, { target: { board: 'MT0000', device: project } });
    assert.equal(other.summary.compatibility.verdict, 'incompatible');
    assert.deepEqual(
      other.findings.filter((f) => f.ruleId.startsWith('compat/')).map((f) => f.ruleId),
      ['compat/device-mismatch'],
    );
  });
}
