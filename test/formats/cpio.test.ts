/**
 * cpio newc (070701) and crc (070702): archives written by GNU cpio list the
 * same regular files with the same bytes as the originals (and as `cpio -i`
 * extracts); concatenated and compressed ramdisks decode; lying headers
 * become findings, never exceptions or huge allocations.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, linkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { inspect } from '../../src/pipeline/inspect';
import { cpioHandler } from '../../src/formats/cpio';
import type { Report } from '../../src/report/model';
import { tempDir, runTool, requireTools } from '../helpers';
import { compressible, pseudoRandom } from '../../fixtures/builders/data';
import { buildCpio, cpioHeader } from '../../fixtures/builders/cpio';
import { artifactAt, describe, errors, hashTree, sha256 } from '../interop/util';

/** 200 + 1 + 204 bytes: longer than any tar header field, well under PATH_MAX. */
const LONG = `${'deep-directory-'.padEnd(200, 'd')}/${'vendor_ramdisk-fragment-'.padEnd(200, 'f')}.img`;

function writeTree(dir: string, files: Map<string, Buffer>): void {
  for (const [n, b] of files) {
    mkdirSync(join(dir, dirname(n)), { recursive: true });
    writeFileSync(join(dir, n), b);
  }
}

function treeA(): Map<string, Buffer> {
  return new Map<string, Buffer>([
    ['init.rc', compressible(40_000, 21)],
    ['b.bin', pseudoRandom(70_001, 22)],
    ['empty.bin', Buffer.alloc(0)],
    ['sub/dir/c.dat', compressible(9_999, 23)],
    [LONG, pseudoRandom(12_345, 24)],
  ]);
}

/** Source tree with files, an empty directory, two symlinks and a hard link. */
function makeSource(base: string, name: string, files: Map<string, Buffer>, extras = true): string {
  const src = join(base, name);
  mkdirSync(src);
  writeTree(src, files);
  if (extras) {
    mkdirSync(join(src, 'empty-dir'));
    symlinkSync('/system/bin/init', join(src, 'init'));
    symlinkSync('sub/dir/c.dat', join(src, 'link-to-c'));
    linkSync(join(src, 'b.bin'), join(src, 'hard-b.bin'));
  }
  return src;
}

/** `find . | cpio -o -H <format>` run inside `src`. */
function cpioCreate(src: string, format: 'newc' | 'crc'): Buffer {
  return runTool('sh', ['-c', `find . | LC_ALL=C sort | cpio --quiet -o -H ${format}`], { cwd: src }).stdout;
}

function names(r: Report): string[] {
  return r.root.children.map((c) => c.name);
}

async function inspectBytes(t: TestContext, file: string, bytes: Buffer, opts = {}): Promise<Report> {
  const p = join(tempDir(t), file);
  writeFileSync(p, bytes);
  return inspect(p, { sidecars: false, ...opts });
}

for (const format of ['newc', 'crc'] as const) {
  test(`cpio -o -H ${format}: same regular files and sha256 as the originals and as cpio -i`, async (t) => {
    if (!requireTools(t, 'cpio')) return;
    const base = tempDir(t);
    const files = treeA();
    const src = makeSource(base, 'src', files);
    const archive = join(base, `ramdisk.${format}.cpio`);
    writeFileSync(archive, cpioCreate(src, format));

    const r = await inspect(archive);
    assert.deepEqual(errors(r), [], describe(r.findings));
    assert.equal(r.root.format, 'cpio');

    const expected = hashTree(src); // regular files only; the hard link is one more file with b.bin's bytes
    assert.equal(expected.size, files.size + 1, 'test premise');
    assert.deepEqual([...names(r)].sort(), [...expected.keys()].sort(), describe(r.findings));
    for (const [name, ref] of expected) {
      const c = artifactAt(r.root, name);
      assert.equal(c.size, ref.size, `${name}: size`);
      assert.equal(c.hashes.sha256, ref.sha256, `${name}: sha256`);
    }
    assert.equal(artifactAt(r.root, 'hard-b.bin').hashes.sha256, sha256(files.get('b.bin')!));
    assert.equal(artifactAt(r.root, LONG).hashes.sha256, sha256(files.get(LONG)!));

    // What cpio -i extracts is what romscope lists.
    const out = join(base, 'x');
    mkdirSync(out);
    runTool('sh', ['-c', `cpio --quiet -idm < "${archive}"`], { cwd: out });
    const extracted = hashTree(out);
    assert.deepEqual([...extracted.keys()].sort(), [...names(r)].sort());
    for (const [name, ref] of extracted) assert.equal(artifactAt(r.root, name).hashes.sha256, ref.sha256, `${name}: sha256 vs cpio -i`);

    const info = r.root.info;
    assert.equal(info.archives, 1);
    assert.equal(info.files, files.size + 1);
    assert.equal(info.symlinks, 2);
    // ".", empty-dir, sub, sub/dir, the long name's directory
    assert.equal(info.directories, 5);
    assert.equal(info.devices, 0);
    assert.equal(info.entries, files.size + 1 + 2 + 5);
    assert.deepEqual(info.symlinkTargets, { init: '/system/bin/init', 'link-to-c': 'sub/dir/c.dat' });
    assert.deepEqual(info.notable, ['init', 'init.rc', '/system/bin/init']);
    assert.equal(
      info.totalDataBytes,
      [...files.values()].reduce((n, b) => n + b.length, 0),
      "GNU cpio stores a hard link's data once",
    );

    if (format === 'crc') {
      assert.equal(r.summary.integrity.status, 'verified');
      assert.equal(r.root.facts.filter((f) => f.kind === 'cpio-checksum-ok').length, 1);
    } else {
      assert.equal(r.summary.integrity.status, 'unchecked');
      assert.equal(r.root.facts.filter((f) => f.kind === 'cpio-checksum-ok').length, 0);
    }
  });
}

test('concatenated archives (cat a.cpio b.cpio) list both sets of files', async (t) => {
  if (!requireTools(t, 'cpio')) return;
  const base = tempDir(t);
  const a = new Map([
    ['first_stage_ramdisk/fstab.qcom', Buffer.from('/dev/block/by-name/system /system ext4 ro wait\n')],
    ['a.txt', compressible(5000, 31)],
  ]);
  const b = new Map([
    ['fstab.qcom', Buffer.from('# second\n')],
    ['lib/modules/x.ko', pseudoRandom(8193, 32)],
  ]);
  const one = cpioCreate(makeSource(base, 'a', a, false), 'newc');
  const two = cpioCreate(makeSource(base, 'b', b, false), 'crc');
  const r = await inspectBytes(t, 'ramdisk.cpio', Buffer.concat([one, two]));
  assert.deepEqual(errors(r), [], describe(r.findings));
  assert.equal(r.root.info.archives, 2);
  assert.deepEqual([...names(r)].sort(), [...a.keys(), ...b.keys()].sort());
  for (const [n, data] of [...a, ...b]) assert.equal(artifactAt(r.root, n).hashes.sha256, sha256(data), n);
  assert.deepEqual(r.root.info.notable, ['first_stage_ramdisk/fstab.qcom', 'fstab.qcom']);
  // Only the second archive is 070702: one passed check.
  assert.equal(r.summary.integrity.status, 'verified');
});

test('gzip -c and lz4 -l compressed cpio decode through the transforms', async (t) => {
  if (!requireTools(t, 'cpio', 'gzip', 'lz4')) return;
  const base = tempDir(t);
  const files = treeA();
  const src = makeSource(base, 'src', files);
  const raw = join(base, 'ramdisk.cpio');
  writeFileSync(raw, cpioCreate(src, 'newc'));
  const expected = hashTree(src);
  for (const [file, cmd, fmt] of [
    ['ramdisk.cpio.gz', `gzip -c ramdisk.cpio > ramdisk.cpio.gz`, 'gzip'],
    ['ramdisk.lz4', `lz4 -q -l -f ramdisk.cpio ramdisk.lz4`, 'lz4'],
  ] as const) {
    runTool('sh', ['-c', cmd], { cwd: base });
    const r = await inspect(join(base, file), { sidecars: false });
    assert.deepEqual(errors(r), [], `${file}: ${describe(r.findings)}`);
    assert.equal(r.root.format, fmt);
    const archive = r.root.children[0];
    assert.equal(archive.format, 'cpio', file);
    assert.deepEqual(archive.children.map((c) => c.name).sort(), [...expected.keys()].sort(), file);
    for (const c of archive.children) assert.equal(c.hashes.sha256, expected.get(c.name)!.sha256, `${file}: ${c.name}`);
    assert.equal(archive.info.symlinks, 2);
  }
});

test('mkbootfs-style archive: notable paths, properties, init symlink, 256-byte padding', async (t) => {
  const props = ['# begin build properties', '', 'ro.build.version.sdk=34', 'ro.product.device = husky ', 'import /x.prop', 'ro.debuggable=0', 'ro.debuggable=1'].join('\n');
  const img = buildCpio([
    { name: 'dev', type: 'dir' },
    { name: 'first_stage_ramdisk', type: 'dir' },
    { name: 'first_stage_ramdisk/fstab.husky', data: Buffer.from('fstab\n') },
    { name: 'init', type: 'symlink', target: '/system/bin/init' },
    { name: 'prop.default', data: Buffer.from(props) },
    { name: 'default.prop', type: 'symlink', target: 'prop.default' },
    { name: 'system/etc/ramdisk/build.prop', data: Buffer.from('ro.bootimage.build.fingerprint=google/husky\r\nro.build.version.sdk=35\r\n') },
    { name: 'vendor.fstab', data: Buffer.from('x') },
    { name: 'system/bin/init', data: pseudoRandom(1000, 3), mode: 0o750 },
  ]);
  assert.equal(img.length % 256, 0);
  assert.equal(img.toString('latin1', 0, 14), '070701000493e0');
  const r = await inspectBytes(t, 'ramdisk', img);
  assert.deepEqual(errors(r), [], describe(r.findings));
  assert.equal(r.root.format, 'cpio');
  const info = r.root.info;
  assert.deepEqual(names(r), ['first_stage_ramdisk/fstab.husky', 'prop.default', 'system/etc/ramdisk/build.prop', 'vendor.fstab', 'system/bin/init']);
  assert.deepEqual(info.notable, ['first_stage_ramdisk/fstab.husky', 'init', 'prop.default', 'default.prop', 'system/etc/ramdisk/build.prop', 'vendor.fstab', '/system/bin/init']);
  assert.deepEqual(info.properties, {
    'ro.build.version.sdk': '35',
    'ro.product.device': 'husky',
    'ro.debuggable': '1',
    'ro.bootimage.build.fingerprint': 'google/husky',
  });
  assert.deepEqual(info.propertyFiles, ['prop.default', 'system/etc/ramdisk/build.prop']);
  assert.equal(artifactAt(r.root, 'system/bin/init').info.mode, '750');
  assert.equal(info.trailingBytes, undefined);
});

test('property keys are capped at 5000 and __proto__ is an ordinary key', async (t) => {
  const lines = ['__proto__=x'];
  for (let i = 0; i < 6000; i++) lines.push(`k${i}=${i}`);
  const r = await inspectBytes(t, 'r.cpio', buildCpio([{ name: 'default.prop', data: Buffer.from(lines.join('\n')) }]));
  const p = r.root.info.properties as Record<string, string>;
  assert.equal(Object.keys(p).length, 5000);
  assert.equal(Object.getPrototypeOf(p), Object.prototype);
  assert.equal(Object.getOwnPropertyDescriptor(p, '__proto__')?.value, 'x');
});

test('builder archives concatenated with zero padding, and a bare trailer', async (t) => {
  const a = buildCpio([{ name: 'a', data: Buffer.from('a') }], { pad: 512 });
  const b = buildCpio([{ name: 'b', data: Buffer.from('bb') }], { pad: 0 });
  const r = await inspectBytes(t, 'r.cpio', Buffer.concat([a, b, Buffer.alloc(100)]));
  assert.deepEqual(r.findings, []);
  assert.deepEqual(names(r), ['a', 'b']);
  assert.equal(r.root.info.archives, 2);
  const empty = await inspectBytes(t, 'e.cpio', buildCpio([]));
  assert.deepEqual(empty.findings, []);
  assert.equal(empty.root.info.entries, 0);
});

test('bad input: namesize 0x80000000 is a finding, not an allocation', async (t) => {
  const h = cpioHeader({ ino: 1, mode: 0o100644, filesize: 4, namesize: 0x80000000 });
  const r = await inspectBytes(t, 'r.cpio', Buffer.concat([Buffer.from(h, 'latin1'), Buffer.alloc(64)]));
  assert.equal(r.root.format, 'cpio');
  const f = r.findings.filter((x) => x.ruleId === 'format/unreadable');
  assert.equal(f.length, 1, describe(r.findings));
  assert.match(f[0].message, /2147483648-byte name/);
  assert.equal(f[0].offset, 0);
  // A good entry before the bad one is still listed.
  const good = buildCpio([{ name: 'ok', data: Buffer.from('ok') }]);
  const trailerAt = good.indexOf('070701', 8, 'latin1');
  const r2 = await inspectBytes(t, 'r2.cpio', Buffer.concat([good.subarray(0, trailerAt), Buffer.from(h, 'latin1')]));
  assert.deepEqual(names(r2), ['ok']);
  assert.equal(r2.findings.filter((x) => x.ruleId === 'format/unreadable' && x.offset === trailerAt).length, 1, describe(r2.findings));
});

test('bad input: filesize past the end is truncated, on the member and the archive', async (t) => {
  const img = buildCpio(
    [
      { name: 'a', data: Buffer.from('aaaa') },
      { name: 'big.img', data: pseudoRandom(3000, 5) },
    ],
    { pad: 0 },
  );
  const dataStart = Math.ceil((img.indexOf('big.img', 0, 'latin1') + 8) / 4) * 4;
  const cut = img.subarray(0, dataStart + 1000);
  const r = await inspectBytes(t, 'r.cpio', cut);
  const tr = r.findings.filter((x) => x.ruleId === 'integrity/truncated');
  assert.deepEqual(
    tr.map((x) => x.path),
    ['', 'big.img'],
    describe(r.findings),
  );
  assert.equal(artifactAt(r.root, 'big.img').size, 1000);
  assert.equal(tr[1].offset, dataStart);
  assert.equal(r.summary.integrity.status, 'failed');
  // A filesize of 0xffffffff in a small file.
  const h = cpioHeader({ ino: 1, mode: 0o100644, filesize: 0xffffffff, namesize: 2 });
  const r2 = await inspectBytes(t, 'r2.cpio', Buffer.concat([Buffer.from(h + 'x\0', 'latin1'), Buffer.alloc(32)]));
  assert.deepEqual(
    r2.findings.filter((x) => x.ruleId === 'integrity/truncated').map((x) => x.path),
    ['', 'x'],
    describe(r2.findings),
  );
  // No TRAILER!!! at all.
  const noTrailer = img.subarray(0, img.indexOf('TRAILER!!!', 0, 'latin1') - 110);
  const r3 = await inspectBytes(t, 'r3.cpio', noTrailer);
  assert.deepEqual(names(r3), ['a', 'big.img']);
  assert.match(r3.findings.find((x) => x.ruleId === 'integrity/truncated')!.message, /without a TRAILER!!!/);
});

test('bad input: a non-hex header field stops reading with a finding', async (t) => {
  const img = buildCpio([
    { name: 'a', data: Buffer.from('a') },
    { name: 'b', data: Buffer.from('b') },
  ]);
  const second = img.indexOf('070701', 8, 'latin1');
  img.write('0000zz00', second + 54, 'latin1'); // filesize
  const r = await inspectBytes(t, 'r.cpio', img);
  assert.deepEqual(names(r), ['a']);
  const f = r.findings.filter((x) => x.ruleId === 'format/unreadable');
  assert.equal(f.length, 1, describe(r.findings));
  assert.match(f[0].message, /filesize field/);
  assert.equal(f[0].offset, second + 54);
});

test('bad input: names with ../, absolute names and garbage after the trailer', async (t) => {
  const img = buildCpio([
    { name: '../../etc/passwd', data: Buffer.from('root::0:0\n') },
    { name: '/abs', type: 'symlink', target: '/x' },
    { name: './ok', data: Buffer.from('fine') },
  ]);
  const r = await inspectBytes(t, 'r.cpio', Buffer.concat([img, Buffer.from('junk')]));
  assert.deepEqual(names(r), ['../../etc/passwd', 'ok']);
  const unsafe = r.findings.filter((x) => x.ruleId === 'format/unsafe-path');
  assert.deepEqual(
    unsafe.map((x) => x.path),
    ['', '../../etc/passwd'],
    describe(r.findings),
  );
  assert.match(unsafe[1].message, /climbs out/);
  assert.match(unsafe[0].message, /absolute/);
  const junk = r.findings.filter((x) => x.ruleId === 'format/unreadable');
  assert.equal(junk.length, 1, describe(r.findings));
  assert.equal(junk[0].offset, img.length);
  assert.equal(r.root.info.trailingBytes, 4);
});

test('070702 checksum mismatch is a cpio-checksum fact on the file; --max-members caps entries', async (t) => {
  const img = buildCpio(
    [
      { name: 'a', data: Buffer.from('hello') },
      { name: 'b', data: Buffer.from('world') },
    ],
    { checksum: true },
  );
  img[img.indexOf('world', 0, 'latin1')] ^= 1;
  const r = await inspectBytes(t, 'r.cpio', img);
  const f = r.findings.filter((x) => x.ruleId === 'integrity/cpio-checksum');
  assert.deepEqual(
    f.map((x) => x.path),
    ['b'],
    describe(r.findings),
  );
  assert.equal(r.summary.integrity.status, 'failed');

  const many = buildCpio(Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, data: Buffer.from(String(i)) })));
  const r2 = await inspectBytes(t, 'm.cpio', many, { budget: { maxMembers: 10 } });
  assert.equal(r2.root.info.entries, 10);
  assert.ok(
    r2.findings.some((x) => x.ruleId === 'format/budget-exceeded' && x.path === ''),
    describe(r2.findings),
  );
});

test('detection: 070701 and 070702 only', () => {
  const d = (s: string) => cpioHandler.detect({ peek: Buffer.from(s, 'latin1'), name: 'x', size: null });
  assert.equal(d('070701'), true);
  assert.equal(d('070702'), true);
  assert.equal(d('070707'), false);
  assert.equal(d('07070'), false);
});

test('a fixture of real files still reads the same after a round-trip through the builder', async (t) => {
  const files = treeA();
  const img = buildCpio(
    [...files].map(([name, data]) => ({ name, data })),
    { checksum: true },
  );
  const r = await inspectBytes(t, 'r.cpio', img);
  assert.deepEqual(r.findings, []);
  for (const [n, data] of files) assert.equal(artifactAt(r.root, n).hashes.sha256, sha256(data));
});

test('robustness: random and zero bytes behind the magic, and mutated archives, never throw', async (t) => {
  const dir = tempDir(t);
  const good = buildCpio(
    [
      { name: 'dir', type: 'dir' },
      { name: 'init', type: 'symlink', target: '/system/bin/init' },
      { name: 'prop.default', data: Buffer.from('ro.a=1\nro.b=2\n') },
      { name: 'dir/file', data: pseudoRandom(3000, 9) },
    ],
    { checksum: true },
  );
  const inputs: Buffer[] = [];
  for (const magic of ['070701', '070702']) {
    for (const size of [0, 1, 3, 4, 50, 103, 104, 109, 110, 111, 200, 1000]) {
      inputs.push(Buffer.concat([Buffer.from(magic), Buffer.alloc(size)]));
      inputs.push(Buffer.concat([Buffer.from(magic), pseudoRandom(size, size + 7)]));
      inputs.push(Buffer.concat([Buffer.from(magic), Buffer.from('0'.repeat(size))]));
    }
  }
  const rnd = pseudoRandom(4000, 77);
  for (let i = 0; i < 150; i++) {
    const m = Buffer.from(good);
    const at = (rnd.readUInt16LE(i * 2) % (m.length - 6)) + 6;
    m[at] = rnd[1000 + i];
    inputs.push(m);
    inputs.push(good.subarray(0, 6 + (rnd.readUInt16LE(2000 + i * 2) % (good.length - 6))));
  }
  for (const [i, bytes] of inputs.entries()) {
    const file = join(dir, `${i}.cpio`);
    writeFileSync(file, bytes);
    const r = await inspect(file, { sidecars: false });
    assert.equal(r.root.format, 'cpio', `input ${i}`);
    for (const f of r.findings) assert.doesNotMatch(f.message, /internal error|\n\s+at /, `input ${i}: ${f.message}`);
  }
});
