/**
 * Amlogic burning packages (src/formats/amlogic-upgrade), versions 1 and 2:
 * header and item table, every item a child decoded by the other handlers
 * (a sparse image from img2simg, a boot image from mkbootimg, a signed
 * vbmeta), the header CRC-32 and each partition's SHA-1 from its VERIFY
 * item checked. The CRC is compared with Python's zlib and the SHA-1 with
 * `sha1sum`, so neither side is only our own code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/index';
import { walkArtifacts, type Report } from '../../src/report/model';
import { buildAmlUpgrade, amlUpgradeSeal, type AmlUpgradeItem } from '../../fixtures/builders/amlogic-upgrade';
import { pseudoRandom } from '../../fixtures/builders/data';
import { corpusFile, requireTools, runCli, runTool, tempDir } from '../helpers';
import { innerImages } from './inner-images';
import { describe } from '../interop/util';

const rules = (r: Report) => r.findings.map((f) => f.ruleId);

interface Pieces {
  dir: string;
  simg: Buffer;
  boot: Buffer;
  vbmeta: Buffer;
  items: AmlUpgradeItem[];
}

function pieces(t: Parameters<typeof tempDir>[0]): Pieces | null {
  const inner = innerImages(t);
  if (!inner) return null;
  const { dir, simg, boot, vbmeta } = inner;
  const items: AmlUpgradeItem[] = [
    { main: 'USB', sub: 'DDR', data: pseudoRandom(3000, 5) },
    { main: 'USB', sub: 'UBOOT', data: pseudoRandom(5001, 6) },
    { main: 'conf', sub: 'platform', data: Buffer.from('Platform:0x0811\nBinPara:0xd9000000\n') },
    { main: 'PARTITION', sub: 'boot', data: boot },
    { main: 'PARTITION', sub: 'system', data: simg },
    { main: 'PARTITION', sub: 'vbmeta', data: vbmeta },
  ];
  return { dir, simg, boot, vbmeta, items };
}

for (const version of [1, 2] as const) {
  test(`Amlogic package v${version}: header, items, children decoded down to their own checks, CRC-32 and SHA-1s verified`, async (t) => {
    const p = pieces(t);
    if (!p || !requireTools(t, 'python3', 'sha1sum')) return;
    const built = buildAmlUpgrade(p.items, { version });
    const file = join(p.dir, 'aml_upgrade_package.img');
    writeFileSync(file, built.bytes);
    // The stored CRC is Python zlib's CRC of bytes 4.. with the final inversion undone.
    const py = spawnSync('python3', ['-c', 'import sys, zlib; d = open(sys.argv[1], "rb").read(); print(zlib.crc32(d[4:]) ^ 0xffffffff)', file], { encoding: 'utf8' });
    assert.equal(py.status, 0, py.stderr);
    assert.equal(Number(py.stdout.trim()), built.bytes.readUInt32LE(0));
    // Each VERIFY item holds what sha1sum says of the partition's bytes.
    for (const [sub, data] of [
      ['boot', p.boot],
      ['system', p.simg],
      ['vbmeta', p.vbmeta],
    ] as const) {
      writeFileSync(join(p.dir, sub), data);
      const sum: string = runTool('sha1sum', [join(p.dir, sub)])
        .stdout.toString()
        .split(' ')[0];
      const v = built.at.get(`${sub}.VERIFY`)!;
      assert.equal(built.bytes.toString('latin1', v.offset, v.offset + v.size), `sha1sum ${sum}`);
    }

    const r = await inspect(file, { sidecars: false });
    assert.equal(r.root.format, 'amlogic-upgrade');
    assert.equal(r.root.info.version, version);
    assert.equal(r.root.info.itemCount, 9);
    assert.equal(r.root.info.imageSize, built.bytes.length);
    assert.deepEqual(
      r.root.children.map((c) => [c.name, c.format, c.size]),
      [
        ['DDR.USB', 'data', 3000],
        ['UBOOT.USB', 'data', 5001],
        ['platform.conf', 'data', 35],
        ['boot.PARTITION', 'android-boot', p.boot.length],
        ['system.PARTITION', 'android-sparse', p.simg.length],
        ['vbmeta.PARTITION', 'avb-vbmeta', p.vbmeta.length],
      ],
    );
    const items = r.root.info.items as Record<string, unknown>[];
    const sys = items.find((i) => i.subType === 'system' && i.mainType === 'PARTITION')!;
    assert.equal(sys.fileType, 'sparse');
    assert.equal(sys.verify, 1);
    assert.equal(sys.itemSize, p.simg.length);
    assert.equal(items.find((i) => i.mainType === 'VERIFY' && i.subType === 'system')?.sha1, sys.sha1);
    const ok = r.root.facts.filter((f) => f.kind === 'image-checksum-ok').map((f) => f.message);
    assert.equal(ok.length, 4, ok.join('\n'));
    assert.ok(ok.some((m) => /^the package's CRC-32 \(CRC-32 0x[0-9a-f]{8}\) matches bytes 4-/.test(m)));
    for (const sub of ['boot', 'system', 'vbmeta'])
      assert.ok(
        ok.some((m) => m.startsWith(`${sub}.PARTITION: the SHA-1 in its VERIFY item`)),
        ok.join('\n'),
      );
    assert.ok(!rules(r).some((id) => id.startsWith('integrity/') || id.startsWith('format/')), describe(r.findings));
    // Down to the images' own checks: the sparse image expands, the boot image's id, the vbmeta's signature.
    const all = [...walkArtifacts(r.root)];
    assert.equal(all.find((a) => a.path === 'system.PARTITION/raw')?.size, 1 << 20);
    const bootArt = all.find((a) => a.path === 'boot.PARTITION')!;
    assert.ok(
      bootArt.facts.some((f) => f.kind === 'boot-id-ok'),
      describe(r.findings),
    );
    const vb = all.find((a) => a.path === 'vbmeta.PARTITION')!;
    assert.ok(
      vb.facts.some((f) => f.kind === 'avb-signature-ok'),
      JSON.stringify(vb.facts),
    );
    // A partition extracts byte for byte.
    const out = join(p.dir, 'system.out');
    const x = runCli(['extract', file, 'system.PARTITION', '-o', out]);
    assert.equal(x.code, 0, x.stderr);
    assert.ok(readFileSync(out).equals(p.simg));
  });
}

test('Amlogic package: one flipped byte in any item is found by the CRC-32, and in a partition by its SHA-1', async (t) => {
  const p = pieces(t);
  if (!p) return;
  for (const version of [1, 2] as const) {
    const built = buildAmlUpgrade(p.items, { version });
    for (const [name, at] of built.at) {
      const bad = Buffer.from(built.bytes);
      bad[at.offset + Math.floor(at.size / 2)] ^= 0x01;
      const r = await inspect(bad, { name: 'aml_upgrade_package.img', sidecars: false });
      const found = r.findings.filter((f) => f.ruleId === 'integrity/image-checksum').map((f) => f.message);
      assert.ok(
        found.some((m) => /^the package's CRC-32 is 0x[0-9a-f]{8}, but bytes 4-\d+ give 0x[0-9a-f]{8} \(CRC-32\)$/.test(m)),
        `v${version} ${name}: ${describe(r.findings)}`,
      );
      const [sub, main] = name.split('.');
      if (main === 'PARTITION' || main === 'VERIFY') {
        assert.ok(
          found.some((m) => m.startsWith(`${sub}.PARTITION: its VERIFY item gives SHA-1`) || (main === 'VERIFY' && /not "sha1sum"/.test(m))) ||
            r.findings.some((f) => f.ruleId === 'format/unreadable' && f.message.startsWith(`${sub}.PARTITION: its VERIFY item`)),
          `v${version} ${name}: ${describe(r.findings)}`,
        );
      }
      assert.equal(r.summary.integrity.status, 'failed', name);
    }
  }
});

test('Amlogic package: lying counts, offsets and sizes, bad VERIFY items and unknown versions give findings, not crashes', async () => {
  const items: AmlUpgradeItem[] = [
    { main: 'USB', sub: 'DDR', data: pseudoRandom(300, 1) },
    { main: 'PARTITION', sub: 'boot', data: pseudoRandom(1000, 2) },
  ];
  const base = buildAmlUpgrade(items, { version: 2 });
  const entry = (i: number) => 64 + i * base.entrySize;
  const check = async (b: Buffer, want: RegExp, seal = true) => {
    if (seal) amlUpgradeSeal(b);
    const r = await inspect(b, { name: 'aml_upgrade_package.img', sidecars: false });
    assert.equal(r.root.format, 'amlogic-upgrade');
    assert.ok(
      r.findings.some((f) => want.test(`${f.ruleId} ${f.message}`)),
      `${want}: ${describe(r.findings)}`,
    );
    return r;
  };
  const huge = Buffer.from(base.bytes);
  huge.writeUInt32LE(0xffffffff, 24);
  await check(huge, /^format\/budget-exceeded .*items, more than/);
  const past = Buffer.from(base.bytes);
  past.writeUInt32LE(200, 24);
  await check(past, /^integrity\/truncated a table of 200 items of 576 bytes runs past the end/);
  const far = Buffer.from(base.bytes);
  far.writeBigUInt64LE(10n ** 12n, entry(1) + 16);
  await check(far, /^integrity\/truncated item 1 \(boot.PARTITION, 1000 bytes at offset 1000000000000\) runs past the end/);
  const big = Buffer.from(base.bytes);
  big.writeBigUInt64LE(2n ** 63n, entry(0) + 24);
  await check(big, /^format\/unreadable item 0 \(DDR.USB\): an offset or size past 2\^53 bytes/);
  const size = Buffer.from(base.bytes);
  size.writeBigUInt64LE(2n ** 40n, 12);
  await check(size, /^integrity\/truncated the header gives an image size of 1099511627776 bytes/);
  const v3 = Buffer.from(base.bytes);
  v3.writeUInt32LE(3, 4);
  await check(v3, /^format\/unsupported package version 3/);
  const text = buildAmlUpgrade(items, { version: 1, verifyText: () => 'sha1sum not-hex'.padEnd(48, '!') });
  await check(text.bytes, /^format\/unreadable boot.PARTITION: its VERIFY item \(48 bytes at offset \d+\) is not "sha1sum"/);
  const none = buildAmlUpgrade(items, { version: 2, noVerify: true });
  await check(none.bytes, /^format\/unreadable boot.PARTITION: its verify flag is set, but no VERIFY item follows it/);
  const cut = await check(base.bytes.subarray(0, base.bytes.length - 500), /^integrity\/truncated/, false);
  assert.ok(
    cut.findings.every((f) => f.ruleId !== 'integrity/image-checksum'),
    describe(cut.findings),
  );
  const orphan = Buffer.from(base.bytes);
  orphan.write('zzz\0', entry(2) + 32 + 256, 'latin1');
  const o = await check(orphan, /^format\/unreadable item 2 is a VERIFY item for "zzz", which no earlier item has/);
  assert.ok(
    o.findings.some((f) => /^boot.PARTITION: its verify flag is set, but no VERIFY item follows it/.test(f.message)),
    describe(o.findings),
  );
  // A VERIFY item for a partition whose verify flag is clear is still checked.
  const clear = Buffer.from(base.bytes);
  clear.writeUInt32LE(0, entry(1) + 32 + 2 * 256);
  amlUpgradeSeal(clear);
  const c = await inspect(clear, { name: 'aml_upgrade_package.img', sidecars: false });
  assert.equal(c.root.facts.filter((f) => f.kind === 'image-checksum-ok').length, 2, describe(c.findings));
  const notSparse = Buffer.from(base.bytes);
  notSparse.writeUInt32LE(0xfe, entry(1) + 4);
  await check(notSparse, /^format\/unreadable boot.PARTITION: its file type says Android sparse/);
});

test('corpus amlogic: a package built around the real dt.img, logo.img and bootloader.img reads each as its own format', async (t) => {
  const dt = corpusFile(t, 'amlogic/hp4024_dt.img');
  const logo = corpusFile(t, 'amlogic/hp4024_logo.img');
  const loader = corpusFile(t, 'amlogic/hp4024_bootloader.img');
  if (!dt || !logo || !loader) return;
  const built = buildAmlUpgrade([
    { main: 'USB', sub: 'UBOOT', data: readFileSync(loader) },
    { main: 'dtb', sub: 'meson1', data: readFileSync(dt) },
    { main: 'PARTITION', sub: 'logo', data: readFileSync(logo) },
    { main: 'PARTITION', sub: '_aml_dtb', data: readFileSync(dt) },
  ]);
  const r = await inspect(built.bytes, { name: 'aml_upgrade_package.img', sidecars: false });
  assert.deepEqual(
    r.root.children.map((c) => [c.name, c.format]),
    [
      ['UBOOT.USB', 'data'],
      ['meson1.dtb', 'amlogic-secure'],
      ['logo.PARTITION', 'amlogic-res'],
      ['_aml_dtb.PARTITION', 'amlogic-secure'],
    ],
  );
  const ok = [...walkArtifacts(r.root)].flatMap((a) => a.facts.filter((f) => f.kind === 'image-checksum-ok').map((f) => `${a.path}: ${f.message}`));
  // The package's CRC-32, two SHA-1s, and the logo's own CRC-32.
  assert.equal(ok.length, 4, ok.join('\n'));
  assert.ok(ok.some((m) => m.startsWith("logo.PARTITION: the resource image's CRC-32")));
});
