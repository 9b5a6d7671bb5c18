/**
 * MediaTek pieces from the builders (fixtures/builders/mtk.ts), whose
 * layouts were checked against real files in test/corpus/mtk.test.ts:
 * image chains split into their images, cut or hostile chains end as
 * findings, preloaders in both forms, efuse.img, and Checksum.ini's
 * switch, version and name fallbacks.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/index';
import { buildBootPreloader, buildChecksumIni, buildGfhPreloader, buildMtkEfuse, buildMtkImage, mtkSum16 } from '../../fixtures/builders/mtk';
import { buildZip } from '../../fixtures/builders/zip';
import { pseudoRandom } from '../../fixtures/builders/data';
import { tempDir, ofFormat } from '../helpers';
import { artifactAt, describe, errors } from '../interop/util';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function inspectAs(t: TestContext, name: string, bytes: Buffer) {
  const file = join(tempDir(t), name);
  writeFileSync(file, bytes);
  return inspect(file);
}

test('mtk-image: every image of the chain is a child with its own bytes; the alignment is honoured', async (t) => {
  const parts = [
    { name: 'tee', data: pseudoRandom(1001, 1) },
    { name: 'cert1', data: pseudoRandom(77, 2), type: 0x2000000 },
    { name: 'cert2', data: pseudoRandom(50, 3), type: 0x2000002 },
  ];
  const r = await inspectAs(t, 'tee.img', buildMtkImage(parts, { align: 64 }));
  assert.deepEqual(r.findings, [], describe(r.findings));
  assert.equal(r.root.format, 'mtk-image');
  assert.deepEqual(
    r.root.children.map((c) => [c.name, c.size, c.hashes.sha256]),
    parts.map((p) => [p.name, p.data.length, sha256(p.data)]),
  );
  const images = r.root.info.images as { offset: number; imageType: string; alignment: number }[];
  assert.deepEqual(
    images.map((i) => i.offset),
    [0, 1536, 1536 + 512 + 128],
  );
  assert.equal(images[1].imageType, '0x02000000');
});

test('mtk-image: a chain cut in its last image is integrity/truncated on that image', async (t) => {
  const full = buildMtkImage([
    { name: 'lk', data: pseudoRandom(3000, 4) },
    { name: 'cert1', data: pseudoRandom(900, 5) },
  ]);
  const r = await inspectAs(t, 'lk.img', full.subarray(0, full.length - 100));
  assert.deepEqual(
    errors(r).map((f) => `${f.ruleId} ${f.path}`),
    ['integrity/truncated cert1'],
    describe(r.findings),
  );
});

test('mtk-image: 300 tiny images stop at the 256-image cap with a budget finding', async (t) => {
  const parts = Array.from({ length: 300 }, (_, i) => ({ name: `p${i}`, data: Buffer.alloc(16, i & 0xff) }));
  const bytes = buildMtkImage(parts);
  // No list-end flag: the cap, not the flag, ends the walk.
  bytes.writeUInt32LE(0, (parts.length - 1) * (512 + 16) + 64);
  const r = await inspectAs(t, 'md1img.img', bytes);
  assert.equal(ofFormat(r.root, 'mtk-image').info.imageCount, 256);
  assert.ok(
    r.findings.some((f) => f.ruleId === 'format/budget-exceeded'),
    describe(r.findings),
  );
});

test('mtk-preloader: EMMC_BOOT and UFS_BOOT forms find the GFH chain; a cut file is truncated; a bad BRLYT magic is layout-invalid', async (t) => {
  const pl = buildGfhPreloader(pseudoRandom(5000, 6), { customer: 'romscope' });
  for (const [device, at] of [
    ['EMMC_BOOT', 0x800],
    ['UFS_BOOT', 0x1000],
  ] as const) {
    const r = await inspectAs(t, 'preloader.img', buildBootPreloader(device, pl));
    assert.deepEqual(r.findings, [], describe(r.findings));
    assert.equal(r.root.format, 'mtk-preloader');
    assert.equal(r.root.info.gfhOffset, at, device);
    assert.equal(r.root.info.customerName, 'romscope');
    assert.equal((r.root.info.fileInfo as { fileLength: number }).fileLength, pl.length);
  }
  const cut = await inspectAs(t, 'preloader_x.bin', pl.subarray(0, pl.length - 1));
  assert.deepEqual(
    errors(cut).map((f) => f.ruleId),
    ['integrity/truncated'],
    describe(cut.findings),
  );
  const bad = buildBootPreloader('EMMC_BOOT', pl);
  bad.writeUInt32LE(0x41414141, 0x214);
  const r = await inspectAs(t, 'preloader.img', bad);
  assert.deepEqual(
    errors(r).map((f) => f.ruleId),
    ['format/layout-invalid'],
    describe(r.findings),
  );
});

test('mtk-efuse: the runs of set values are listed', async (t) => {
  const r = await inspectAs(t, 'efuse.img', buildMtkEfuse([{ offset: 0x40, data: Buffer.from('0102030405060708', 'hex') }]));
  assert.equal(r.root.format, 'mtk-efuse');
  assert.deepEqual(r.root.info.valuesSet, [{ offset: 0x40, bytes: 8, hex: '0102030405060708' }]);
});

test('Checksum.ini: without a scatter file partitions are <partition>.img or .bin; switch off or another version: counted, not checked', async (t) => {
  const boot = pseudoRandom(4000, 7);
  const logo = pseudoRandom(3000, 8);
  const zip = (ini: Buffer) =>
    buildZip([
      { name: 'fw/boot.img', data: boot },
      { name: 'fw/logo.bin', data: logo },
      { name: 'fw/Checksum.ini', data: ini },
    ]);
  const good = await inspectAs(t, 'fw.zip', zip(buildChecksumIni({ boot: mtkSum16(boot), logo: mtkSum16(logo) })));
  assert.deepEqual(good.findings, [], describe(good.findings));
  assert.equal(artifactAt(good.root, 'fw/logo.bin').hashes.sum16, mtkSum16(logo).toString(16).padStart(4, '0'));
  const wrong = { boot: (mtkSum16(boot) + 1) % 0x10000, logo: mtkSum16(logo), tee: 5 };
  const bad = await inspectAs(t, 'fw.zip', zip(buildChecksumIni(wrong)));
  assert.deepEqual(
    bad.findings.map((f) => `${f.ruleId} ${f.path}`),
    ['integrity/checksum-file fw/boot.img', 'integrity/listed-file-missing fw/Checksum.ini'],
    describe(bad.findings),
  );
  for (const opts of [{ switchOn: false }, { version: 'V2' }]) {
    const r = await inspectAs(t, 'fw.zip', zip(buildChecksumIni(wrong, opts)));
    assert.deepEqual(r.findings, [], describe(r.findings));
    assert.equal(artifactAt(r.root, 'fw/Checksum.ini').info.uncheckedEntries, 3);
  }
  const junk = await inspectAs(t, 'fw.zip', zip(Buffer.from('[CheckSum]\r\nboot=12345\r\n')));
  assert.deepEqual(
    junk.findings.map((f) => f.ruleId),
    ['format/unreadable'],
    describe(junk.findings),
  );
});
