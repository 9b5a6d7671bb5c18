/**
 * Corpus: the MediaTek pieces of two real packages, packed into a tar at
 * test time exactly as they lie in the corpus (names matter: Checksum.ini
 * sits beside the scatter file and the images it covers).
 *
 * - `xiaomi-fastboot/begonia/images/`: SP Flash Tool's Checksum.ini holds one
 *   real mismatch (`lk`, with `lk2` flashed from the same file); every other
 *   image present matches its 16-bit byte sum. The stock PGPT_UFS template,
 *   preloaders, lk.img, logo.bin and efuse.img raise nothing.
 * - `mtk/gongcheng/`: lk-verified.img, whose byte sum is the Checksum.ini
 *   value of `lk_a` (its scatter file names the file lk.img, which the
 *   corpus does not hold).
 *
 * The package is partial (the corpus keeps small files only), so the
 * scatter files' missing images are `layout/missing-image` and the
 * Checksum.ini lines naming them `integrity/listed-file-missing`; no other
 * error is raised on an untouched stock file.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/index';
import type { Report } from '../../src/report/model';
import { buildTar } from '../../fixtures/builders/tar';
import { corpusFile, tempDir } from '../helpers';
import { artifactAt, describe, errors } from '../interop/util';

/** The folder as a tar under `top/`, or null when the corpus is absent. */
async function packed(t: TestContext, rel: string, top: string): Promise<{ r: Report; dir: string } | null> {
  const dir = corpusFile(t, rel);
  if (!dir) return null;
  const entries = readdirSync(dir)
    .sort()
    .map((n) => ({ name: `${top}/${n}`, data: readFileSync(join(dir, n)) }));
  const file = join(tempDir(t), `${top}.tar`);
  writeFileSync(file, buildTar(entries));
  return { r: await inspect(file, { hashes: ['sha256', 'sum16'] }), dir };
}

/** Checksum.ini's [CheckSum] lines, read here with a plain regex. */
function iniSums(text: string): Map<string, string> {
  const part = text.slice(text.indexOf('[CheckSum]'));
  return new Map([...part.matchAll(/^(\w+)=0x([0-9A-Fa-f]+)\r?$/gm)].map((m) => [m[1], m[2].toLowerCase().padStart(4, '0')]));
}

test('corpus begonia: Checksum.ini finds the lk mismatch, every other stock image matches; no error on a stock file', async (t) => {
  const p = await packed(t, 'xiaomi-fastboot/begonia/images', 'images');
  if (!p) return;
  const { r, dir } = p;
  const others = errors(r).filter((f) => f.ruleId !== 'layout/missing-image');
  assert.deepEqual(
    others.map((f) => `${f.ruleId} ${f.path}`),
    ['integrity/checksum-file images/lk.img'],
    describe(r.findings),
  );
  assert.match(others[0].message, /^sum16 is d247, images\/Checksum\.ini lines 24, 25 says 4d1e$/);
  const sums = iniSums(readFileSync(join(dir, 'Checksum.ini'), 'latin1'));
  // Partition → file as the scatter file says; each present file's byte sum is the listed value.
  const files: Record<string, string> = {
    preloader: 'preloader_begonia.bin',
    efuse: 'efuse.img',
    vbmeta: 'vbmeta.img',
    dtbo: 'dtbo.img',
    logo: 'logo.bin',
    cache: 'cache.img',
    gsort: 'gsort.img',
    oem_misc1: 'oem_misc1.img',
    exaid: 'exaid.img',
  };
  for (const [partition, file] of Object.entries(files)) {
    assert.equal(artifactAt(r.root, `images/${file}`).hashes.sum16, sums.get(partition), `${partition} (${file})`);
  }
  assert.equal(artifactAt(r.root, 'images/lk.img').hashes.sum16, 'd247');
  assert.equal(sums.get('lk'), '4d1e');
  // 9 matching images and lk (lines 24 and 25 as one check), besides crclist.txt's and vbmeta's checks.
  assert.equal(r.summary.integrity.failed, 1);
  const ini = artifactAt(r.root, 'images/Checksum.ini');
  assert.equal(ini.format, 'checksum-file');
  assert.deepEqual(ini.info, { mode: ini.info.mode, mtime: ini.info.mtime, entries: 31, algorithms: ['sum16'], version: 'V1', checksumSwitch: 1 });

  // The MediaTek pieces are identified with their fields.
  const lk = artifactAt(r.root, 'images/lk.img');
  assert.equal(lk.format, 'mtk-image');
  const images = lk.info.images as { name: string; offset: number; size: number; listEnd: boolean }[];
  assert.deepEqual(
    images.map((i) => [i.name, i.offset, i.size]),
    [
      ['lk', 0, 1518120],
      ['cert1', 0x172c30, 1709],
      ['cert2', 0x1734e0, 957],
      ['lk_main_dtb', 0x173aa0, 165202],
      ['cert1', 0x19c200, 1709],
      ['cert2', 0x19cab0, 957],
    ],
  );
  assert.equal(images.at(-1)!.listEnd, true);
  assert.equal(lk.info.bytesAfterImages, undefined, 'the chain ends exactly at the end of the file');
  assert.equal(artifactAt(r.root, 'images/lk.img/lk_main_dtb').format, 'fdt');
  const logo = artifactAt(r.root, 'images/logo.bin');
  assert.equal(logo.format, 'mtk-image');
  assert.deepEqual(
    logo.children.map((c) => [c.name, c.size]),
    [
      ['logo', 2861917],
      ['cert1', 1709],
      ['cert2', 957],
    ],
  );
  const pl = artifactAt(r.root, 'images/preloader_begonia.bin');
  assert.equal(pl.format, 'mtk-preloader');
  assert.deepEqual(pl.info.fileInfo, {
    fileVersion: 1,
    fileType: 1,
    flashType: 'generic (eMMC/UFS/NOR/SD)',
    signatureType: 5,
    loadAddress: '0x00200f10',
    fileLength: 322920,
    maxSize: 0x80000,
    contentOffset: 0xf0,
    signatureLength: 0x66c,
    jumpOffset: 0xf0,
    attributes: '0xc2600001',
  });
  assert.deepEqual(
    (pl.info.gfh as { type: number; size: number }[]).map((b) => [b.type, b.size]),
    [
      [0, 56],
      [1, 12],
      [7, 100],
      [2, 20],
      [8, 48],
    ],
  );
  const ufs = artifactAt(r.root, 'images/preloader_ufs.img');
  assert.equal(ufs.format, 'mtk-preloader');
  assert.deepEqual(ufs.info.deviceHeader, { name: 'UFS_BOOT', version: 1, size: 4096 });
  assert.deepEqual(ufs.info.layout, { name: 'BRLYT', version: 1, headerSize: 4096, totalSize: 0x81000, magic: '0x42424242', type: '0x0001000c', typeName: 'ufs' });
  assert.equal(ufs.info.gfhOffset, 4096);
  assert.equal((ufs.info.fileInfo as { fileLength: number }).fileLength, 322920);
  const efuse = artifactAt(r.root, 'images/efuse.img');
  assert.equal(efuse.format, 'mtk-efuse');
  assert.deepEqual(
    (efuse.info.valuesSet as { offset: number; bytes: number }[]).map((v) => [v.offset, v.bytes]),
    [
      [0x1c, 32],
      [0x70, 4],
      [0x90, 4],
      [0x1e0, 32],
    ],
  );
  const gpt = artifactAt(r.root, 'images/PGPT_UFS');
  assert.equal(gpt.format, 'gpt');
  assert.deepEqual(
    r.findings.filter((f) => f.path.startsWith('images/PGPT_UFS') || f.path.startsWith('images/lk.img/') || f.path.startsWith('images/preloader') || f.path.startsWith('images/efuse') || f.path.startsWith('images/logo')),
    [],
  );
});

test("corpus gongcheng: lk-verified.img is an mtk-image whose byte sum is Checksum.ini's lk_a; no error on a stock file", async (t) => {
  const p = await packed(t, 'mtk/gongcheng', 'gongcheng');
  if (!p) return;
  const { r, dir } = p;
  assert.deepEqual(
    errors(r)
      .filter((f) => f.ruleId !== 'layout/missing-image')
      .map((f) => f.ruleId),
    [],
    describe(r.findings),
  );
  const lk = artifactAt(r.root, 'gongcheng/lk-verified.img');
  assert.equal(lk.format, 'mtk-image');
  assert.deepEqual(
    lk.children.map((c) => [c.name, c.size]),
    [
      ['lk', 410264],
      ['cert1', 1709],
      ['cert2', 945],
    ],
  );
  assert.equal(lk.info.bytesAfterImages, 524288 - 0x65310, 'zero padding to 512 KiB');
  // The scatter file flashes lk_a from lk.img; the corpus keeps it as lk-verified.img, whose sum is the listed one.
  assert.equal(lk.hashes.sum16, iniSums(readFileSync(join(dir, 'Checksum.ini'), 'latin1')).get('lk_a'));
  assert.ok(r.findings.some((f) => f.ruleId === 'integrity/listed-file-missing' && /lists partition lk_a \(file "lk\.img" in the scatter file\)/.test(f.message)));
});
