/**
 * Rockchip update.img (src/formats/rockchip-rkfw) and the RKAF image inside
 * it (src/formats/rockchip-rkaf): the RKFW header, the loader child, the
 * RKAF items as children (package-file, the PARM-wrapped parameter, a boot
 * image from mkbootimg, a sparse system image from img2simg, a signed
 * vbmeta) decoded down to their own checks, the MD5 trailer checked against
 * md5sum, the RKAF CRC-32 checked, one flipped byte in any item found by
 * the MD5, lying headers turned into findings. With the shared corpus, an
 * update.img is built around the real rk3399 loader, KRNL boot image,
 * parameter.txt and sparse oem.img (skipped visibly without it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/index';
import { walkArtifacts, type Report } from '../../src/report/model';
import { isLayoutFact } from '../../src/formats/layout';
import { buildRkaf, buildRkafWithLayout, buildRkfw, RKFW_HEADER, type RkafItem } from '../../fixtures/builders/rkfw';
import { buildParameter, buildRkLoader } from '../../fixtures/builders/vendor';
import { buildBootImage } from '../../fixtures/builders/bootimg';
import { pseudoRandom } from '../../fixtures/builders/data';
import { corpusFile, runCli, runTool, tempDir } from '../helpers';
import { innerImages } from './inner-images';
import { artifactAt, describe } from '../interop/util';

const rules = (r: Report) => r.findings.map((f) => f.ruleId);
const allFacts = (r: Report, kind: string) => [...walkArtifacts(r.root)].flatMap((a) => a.facts.filter((f) => f.kind === kind).map((f) => `${a.path}: ${f.message}`));

const MTDPARTS = '0x00002000@0x00002000(uboot),0x00008000@0x00004000(boot),0x00080000@0x0000C000(system),0x00000800@0x0008C000(vbmeta),-@0x0008C800(userdata:grow)';

function loader(): Buffer {
  return buildRkLoader({
    e471: [{ name: 'rk3399_ddr_800MHz', data: pseudoRandom(2000, 20) }],
    e472: [{ name: 'rk3399_usbplug', data: pseudoRandom(1500, 21) }],
    loader: [
      { name: 'FlashData', data: pseudoRandom(1000, 22) },
      { name: 'FlashBoot', data: pseudoRandom(1200, 23) },
    ],
  });
}

interface Built {
  dir: string;
  boot: Buffer;
  simg: Buffer;
  vbmeta: Buffer;
  loader: Buffer;
  items: RkafItem[];
}

function realistic(t: Parameters<typeof tempDir>[0]): Built | null {
  const inner = innerImages(t, { tools: ['md5sum'], osVersion: '11.0.0', patchLevel: '2021-08', salt: Buffer.alloc(32, 9) });
  if (!inner) return null;
  const { dir, simg, boot, vbmeta } = inner;
  const l = loader();
  const items: RkafItem[] = [
    { name: 'bootloader', fileName: 'Image/MiniLoaderAll.bin', data: l },
    { name: 'parameter', fileName: 'Image/parameter.txt', data: buildParameter(MTDPARTS), nandAddress: 0, nandSize: 0x2000 },
    { name: 'boot', fileName: 'Image/boot.img', data: boot, nandAddress: 0x4000, nandSize: 0x8000 },
    { name: 'system', fileName: 'Image/system.img', data: simg, nandAddress: 0xc000, nandSize: 0x80000 },
    { name: 'vbmeta', fileName: 'Image/vbmeta.img', data: vbmeta, nandAddress: 0x8c000, nandSize: 0x800 },
    { name: 'backup', fileName: 'RESERVED' },
  ];
  return { dir, boot, simg, vbmeta, loader: l, items };
}

test('update.img: RKFW header, loader and RKAF children, items decoded to their own checks, MD5 (as md5sum computes it) and CRCs verified, an item extracts byte for byte', async (t) => {
  const b = realistic(t);
  if (!b) return;
  const rkaf = buildRkaf(b.items, { model: 'RK3399', manufacturer: 'RK3399', id: '007', version: [8, 1, 0] });
  const file = join(b.dir, 'update.img');
  writeFileSync(file, buildRkfw(b.loader, rkaf, { chip: '330C', version: [8, 1, 0] }));
  const r = await inspect(file, { sidecars: false });
  assert.equal(r.root.format, 'rockchip-rkfw');
  const info = r.root.info;
  assert.equal(info.headerSize, RKFW_HEADER);
  assert.equal(info.version, '8.1.0');
  assert.equal(info.chip, '330C');
  assert.equal(info.releaseTime, '2019-09-20 05:00:44');
  assert.equal(info.loaderOffset, RKFW_HEADER);
  assert.equal(info.loaderSize, b.loader.length);
  assert.equal(info.imageOffset, RKFW_HEADER + b.loader.length);
  assert.equal(info.imageSize, rkaf.length);
  // The MD5 trailer is what md5sum gives over the file before it.
  const size = readFileSync(file).length;
  const md5sum = runTool('sh', ['-c', `head -c ${size - 32} "${file}" | md5sum`])
    .stdout.toString()
    .split(' ')[0];
  assert.equal(info.md5, md5sum);
  assert.deepEqual(
    r.root.children.map((c) => [c.name, c.format]),
    [
      ['loader.bin', 'rockchip-loader'],
      ['firmware.img', 'rockchip-rkaf'],
    ],
  );
  const fw = artifactAt(r.root, 'firmware.img');
  assert.equal(fw.info.model, 'RK3399');
  assert.equal(fw.info.manufacturer, 'RK3399');
  assert.equal(fw.info.version, '8.1.0');
  assert.equal(fw.info.itemCount, 7);
  assert.deepEqual(
    fw.children.map((c) => [c.name, c.format]),
    [
      ['package-file', 'data'],
      ['Image/MiniLoaderAll.bin', 'rockchip-loader'],
      ['Image/parameter.txt', 'rockchip-parameter'],
      ['Image/boot.img', 'android-boot'],
      ['Image/system.img', 'android-sparse'],
      ['Image/vbmeta.img', 'avb-vbmeta'],
    ],
  );
  const items = fw.info.items as Record<string, unknown>[];
  assert.deepEqual(items[3], { name: 'boot', fileName: 'Image/boot.img', nandSize: 0x8000, nandAddress: 0x4000, offset: items[3].offset, paddedSize: Math.ceil(b.boot.length / 2048) * 2048, size: b.boot.length });
  assert.equal((items[3].offset as number) % 2048, 0);
  assert.equal(items[6].fileName, 'RESERVED');
  assert.match(items[6].note as string, /unwritten/);
  assert.match(
    readFileSync(file)
      .subarray(RKFW_HEADER + b.loader.length)
      .toString('latin1', 2048, 2048 + 12),
    /^# NAME/,
  );
  // Every checksum: the MD5, the RKAF CRC, both loaders' CRCs, the PARM CRC; the boot id, the vbmeta signature and boot hash.
  const ok = allFacts(r, 'image-checksum-ok');
  assert.equal(ok.length, 5, ok.join('\n'));
  assert.ok(ok.some((m) => /^: the MD5 trailer \([0-9a-f]{32}\) matches bytes 0-\d+$/.test(m)));
  assert.ok(ok.some((m) => /^firmware\.img: the image's CRC \(Rockchip CRC-32 0x[0-9a-f]{8}\)/.test(m)));
  assert.ok(ok.some((m) => /^firmware\.img\/Image\/parameter\.txt: the parameter text's CRC/.test(m)));
  assert.equal(allFacts(r, 'boot-id-ok').length, 1);
  const vb = artifactAt(r.root, 'firmware.img/Image/vbmeta.img');
  assert.ok(vb.facts.some((f) => f.kind === 'avb-signature-ok'));
  assert.ok(
    vb.facts.some((f) => f.kind === 'avb-hash-ok'),
    JSON.stringify(vb.facts),
  );
  assert.equal([...walkArtifacts(r.root)].find((a) => a.path === 'firmware.img/Image/system.img/raw')?.size, 1 << 20);
  const param = artifactAt(r.root, 'firmware.img/Image/parameter.txt');
  assert.ok(param.facts.some(isLayoutFact));
  assert.equal(r.summary.integrity.status, 'verified');
  assert.deepEqual(rules(r), [], describe(r.findings));
  const out = join(b.dir, 'boot.out');
  const x = runCli(['extract', file, 'firmware.img/Image/boot.img', '-o', out]);
  assert.equal(x.code, 0, x.stderr);
  assert.ok(readFileSync(out).equals(b.boot));
});

test('update.img: one flipped byte in any item is found by the MD5 trailer (and by the RKAF CRC)', async (t) => {
  const b = realistic(t);
  if (!b) return;
  const { image, items } = buildRkafWithLayout(b.items);
  const base = buildRkfw(b.loader, image);
  const imageAt = RKFW_HEADER + b.loader.length;
  const targets = [{ name: 'loader.bin', at: RKFW_HEADER + 100 }, ...items.filter((i) => i.size > 0).map((i) => ({ name: i.name, at: imageAt + i.offset + Math.floor(i.size / 2) }))];
  assert.equal(targets.length, 7);
  for (const target of targets) {
    const bad = Buffer.from(base);
    bad[target.at] ^= 0x01;
    const r = await inspect(bad, { name: 'update.img', sidecars: false });
    const md5 = r.findings.filter((f) => f.ruleId === 'integrity/image-checksum' && f.path === '');
    assert.equal(md5.length, 1, `${target.name}: ${describe(r.findings)}`);
    assert.match(md5[0].message, /^the MD5 trailer is [0-9a-f]{32}, but bytes 0-\d+ give [0-9a-f]{32} \(MD5\)$/);
    if (target.name !== 'loader.bin')
      assert.ok(
        r.findings.some((f) => f.ruleId === 'integrity/image-checksum' && f.path === 'firmware.img'),
        `${target.name}: ${describe(r.findings)}`,
      );
    assert.equal(r.summary.integrity.status, 'failed');
  }
});

test('RKAF alone (afptool output shipped as update.img): A/B items over the same bytes give one child, SELF and RESERVED are listed, not children', async () => {
  const boot = buildBootImage({ kernel: pseudoRandom(3000, 30) });
  const rkaf = buildRkaf([
    { name: 'parameter', fileName: 'parameter.txt', data: buildParameter(MTDPARTS) },
    { name: 'uboot_a', fileName: 'uboot.img', data: pseudoRandom(5000, 31) },
    { name: 'uboot_b', fileName: 'uboot.img', sameAs: 1 },
    { name: 'boot', fileName: 'boot.img', data: boot },
    { name: 'backup', fileName: 'SELF' },
  ]);
  const r = await inspect(rkaf, { name: 'update.img', sidecars: false });
  assert.equal(r.root.format, 'rockchip-rkaf');
  assert.deepEqual(
    r.root.children.map((c) => c.name),
    ['package-file', 'parameter.txt', 'uboot.img', 'boot.img'],
  );
  const items = r.root.info.items as Record<string, unknown>[];
  assert.equal(items[3].sameBytesAs, 'uboot_a');
  assert.equal(items[5].fileName, 'SELF');
  assert.equal(items[5].size, rkaf.length);
  assert.match(items[5].note as string, /the image itself/);
  assert.equal(r.root.facts.filter((f) => f.kind === 'image-checksum-ok').length, 1);
  assert.deepEqual(
    r.findings.filter((f) => f.severity === 'error'),
    [],
  );
  const bad = await inspect(buildRkaf([{ name: 'boot', fileName: 'boot.img', data: boot }], { badCrc: true }), { name: 'update.img', sidecars: false });
  assert.ok(bad.findings.some((f) => f.ruleId === 'integrity/image-checksum' && /^the image's CRC is 0x[0-9a-f]{8}, but bytes 0-\d+ give/.test(f.message)));
});

test('update.img: lying sizes, offsets and counts, a missing or bad MD5 trailer are findings, not crashes', async () => {
  const l = loader();
  const rkaf = buildRkaf([{ name: 'boot', fileName: 'Image/boot.img', data: buildBootImage({ kernel: pseudoRandom(3000, 32) }) }]);
  const run = (b: Buffer) => inspect(b, { name: 'update.img', sidecars: false });
  const has = (r: Report, rule: string, re: RegExp) =>
    assert.ok(
      r.findings.some((f) => f.ruleId === rule && re.test(f.message)),
      describe(r.findings),
    );

  let r = await run(buildRkfw(l, rkaf, { imageSize: 0xffffffff }));
  has(r, 'integrity/truncated', /firmware\.img \(4294967295 bytes at offset \d+\) runs past the end/);
  r = await run(buildRkfw(l, rkaf, { imageOffset: RKFW_HEADER + 10 }));
  has(r, 'format/unreadable', /overlap; only the loader is read/);
  r = await run(buildRkfw(l, rkaf, { loaderOffset: 4 }));
  has(r, 'format/unreadable', /offset 4 is inside the 102-byte header/);
  r = await run(buildRkfw(l, rkaf, { badMd5: true }));
  has(r, 'integrity/image-checksum', /^the MD5 trailer is/);
  const good = buildRkfw(l, rkaf);
  r = await run(good.subarray(0, good.length - 32));
  has(r, 'integrity/truncated', /before the 32-character MD5/);
  const noHex = Buffer.from(good);
  noHex.write('z', good.length - 5, 'latin1');
  r = await run(noHex);
  has(r, 'format/unreadable', /are not an MD5 in hex/);
  r = await run(Buffer.concat([good, Buffer.from('extra')]));
  has(r, 'format/unreadable', /5 bytes follow the MD5 trailer/);

  // RKAF: a huge item count, an item over the header, an item past the end, a length past the end, overlapping items.
  const many = Buffer.from(rkaf);
  many.writeUInt32LE(0xffffffff, 136);
  r = await run(many);
  has(r, 'format/budget-exceeded', /lists 4294967295 items/);
  const onHeader = Buffer.from(rkaf);
  onHeader.writeUInt32LE(100, 140 + 112 + 96);
  r = await run(onHeader);
  has(r, 'format/unreadable', /lie over the header or the item table/);
  const far = Buffer.from(rkaf);
  far.writeUInt32LE(0xfffffff0, 140 + 112 + 108);
  r = await run(far);
  has(r, 'integrity/truncated', /runs past the end/);
  const long = Buffer.from(rkaf);
  long.writeUInt32LE(0xfffffff0, 4);
  r = await run(long);
  has(r, 'integrity/truncated', /image of 4294967280 bytes and a 4-byte CRC/);
  const overlap = Buffer.from(rkaf);
  overlap.writeUInt32LE(overlap.readUInt32LE(140 + 96) + 1, 140 + 112 + 96);
  r = await run(overlap);
  has(r, 'format/unreadable', /overlap those of package-file/);
});

test('corpus rk3399: an update.img built around the real loader, KRNL boot image, parameter.txt and sparse oem.img', async (t) => {
  const paths = ['MiniLoaderAll.bin', 'boot.img', 'parameter.txt', 'oem.img'].map((n) => corpusFile(t, `rockchip/rk3399/${n}`));
  if (paths.some((p) => p === null)) return;
  const [ldr, boot, param, oem] = paths.map((p) => readFileSync(p!));
  const rkaf = buildRkaf([
    { name: 'bootloader', fileName: 'Image/MiniLoaderAll.bin', data: ldr },
    { name: 'parameter', fileName: 'Image/parameter.txt', data: param },
    { name: 'boot', fileName: 'Image/boot.img', data: boot, nandAddress: 0x1c000, nandSize: 0x10000 },
    { name: 'oem', fileName: 'Image/oem.img', data: oem, nandAddress: 0x58e000, nandSize: 0x80000 },
  ]);
  const r = await inspect(buildRkfw(ldr, rkaf), { name: 'update.img', sidecars: false });
  assert.equal(r.root.format, 'rockchip-rkfw');
  const fw = artifactAt(r.root, 'firmware.img');
  assert.deepEqual(
    fw.children.map((c) => [c.name, c.format]),
    [
      ['package-file', 'data'],
      ['Image/MiniLoaderAll.bin', 'rockchip-loader'],
      ['Image/parameter.txt', 'rockchip-parameter'],
      ['Image/boot.img', 'rockchip-krnl'],
      ['Image/oem.img', 'android-sparse'],
    ],
  );
  assert.equal(artifactAt(r.root, 'loader.bin').info.chip, '330C');
  // MD5, RKAF CRC, two loader CRCs, PARM CRC, KRNL CRC.
  assert.equal(allFacts(r, 'image-checksum-ok').length, 6, allFacts(r, 'image-checksum-ok').join('\n'));
  assert.equal(allFacts(r, 'image-checksum').length, 0);
  const layout = artifactAt(r.root, 'firmware.img/Image/parameter.txt').facts.find(isLayoutFact);
  assert.equal(layout?.entries.length, 16);
  assert.equal(r.summary.integrity.status, 'verified');
});
