/**
 * Corpus: real boot, init_boot and vendor_boot images from the shared corpus
 * (device images v0, u-boot's v2/v4 test images, Samsung and Cuttlefish
 * init_boot v4, a vendor_boot v3) decode with no error findings, their
 * v0–v2 ids verify, and known facts about them hold. Each one is also
 * rebuilt with our own writer (fixtures/builders/bootimg.ts) from the
 * sections and header fields romscope decoded, and must come out byte for
 * byte identical: that is what makes the writer trustworthy for the rule
 * and interop tests. The corpus is never copied into the project; tests skip
 * visibly when it is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/index';
import type { Artifact, Report } from '../../src/report/model';
import { CORPUS, corpusFile, ofFormat } from '../helpers';
import { artifactAt, describe, errors } from '../interop/util';
import { buildBootImageWithLayout, buildVendorBootImageWithLayout, type BuiltImage, type VendorRamdiskType } from '../../fixtures/builders/bootimg';

const DIR = 'boot-img';
/** The files MANIFEST.tsv lists today; the directory's own listing is used when it exists, so new files are covered too. */
const KNOWN = [
  'a057f_init_boot.img',
  'arkt7_nabu_uefi_v0_boot.img',
  'cfig_cf13_init_boot.img',
  'cfig_issue122_ramdisk_as_v0_boot.img',
  'crespo_v0_boot.img',
  'htc_marvel_sense5_v0_boot.img',
  'mrrob0x_vendor_boot_v3.img',
  'pulse_cm_v0_boot.img',
  'u8650_v0_boot.img',
  'uboot_abootimg_v2_boot.img',
  'uboot_abootimg_v4_boot.img',
  'uboot_abootimg_v4_vendor_boot.img',
];
const NAMES = existsSync(join(CORPUS, DIR)) ? readdirSync(join(CORPUS, DIR)).sort() : KNOWN;

interface Sect {
  name: string;
  offset: number;
  size: number;
}

/** path → { size, sha256 } from MANIFEST.tsv (header line names the columns). */
function manifest(): Map<string, { size: number; sha256: string }> {
  const lines = readFileSync(join(CORPUS, 'MANIFEST.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const head = lines[0].split('\t');
  const [p, s, h] = ['path', 'size', 'sha256'].map((n) => head.indexOf(n));
  return new Map(
    lines
      .slice(1)
      .map((l) => l.split('\t'))
      .map((c) => [c[p], { size: Number(c[s]), sha256: c[h] }]),
  );
}

/**
 * The image our writer makes from what romscope decoded: the sections' bytes
 * (sliced from the file at the offsets romscope computed) and the header
 * fields in `info`. v0–v2 come in both id variants (AOSP, LineageOS), or with
 * a zero id when the stored one is zero.
 */
function rebuild(file: Buffer, info: Record<string, unknown>): BuiltImage[] {
  const sections = info.sections as Sect[];
  const sec = (n: string) => {
    const s = sections.find((x) => x.name === n);
    return s ? file.subarray(s.offset, s.offset + s.size) : undefined;
  };
  const num = (k: string) => info[k] as number;
  const str = (k: string) => info[k] as string;
  if (info.kind === 'vendor_boot') {
    const common = {
      headerVersion: num('headerVersion'),
      pageSize: num('pageSize'),
      headerSize: num('headerSize'),
      dtb: sec('dtb'),
      cmdline: str('cmdline'),
      board: str('board'),
      kernelAddr: num('kernelAddr'),
      ramdiskAddr: num('ramdiskAddr'),
      tagsAddr: num('tagsAddr'),
      dtbAddr: num('dtbAddr'),
    };
    if (num('headerVersion') < 4) return [buildVendorBootImageWithLayout({ ...common, ramdisk: sec('vendor_ramdisk') })];
    const all = sec('vendor_ramdisk') ?? Buffer.alloc(0);
    const list = info.vendorRamdisks as { name: string; type: VendorRamdiskType | number; size: number; offset: number; boardId?: number[] }[];
    return [
      buildVendorBootImageWithLayout({
        ...common,
        bootconfig: sec('bootconfig'),
        ramdisks: list.map((r) => ({ data: all.subarray(r.offset, r.offset + r.size), name: r.name, type: r.type, boardId: r.boardId })),
      }),
    ];
  }
  if (num('headerVersion') >= 3) {
    return [
      buildBootImageWithLayout({
        headerVersion: num('headerVersion'),
        headerSize: num('headerSize'),
        kernel: sec('kernel'),
        ramdisk: sec('ramdisk'),
        bootSignature: sec('boot_signature'),
        osVersion: info.osVersion as string | null,
        patchLevel: info.patchLevel as string | null,
        cmdline: str('cmdline'),
      }),
    ];
  }
  const o = {
    headerVersion: num('headerVersion'),
    pageSize: num('pageSize'),
    kernel: sec('kernel'),
    ramdisk: sec('ramdisk'),
    second: sec('second'),
    dt: sec('dt'),
    recoveryDtbo: sec('recovery_dtbo'),
    dtb: sec('dtb'),
    kernelAddr: num('kernelAddr'),
    ramdiskAddr: num('ramdiskAddr'),
    secondAddr: num('secondAddr'),
    tagsAddr: num('tagsAddr'),
    dtbAddr: info.dtbAddr as number | undefined,
    osVersion: info.osVersion as string | null,
    patchLevel: info.patchLevel as string | null,
    board: str('board'),
    cmdline: str('cmdline'),
  };
  if (!info.id) return [buildBootImageWithLayout({ ...o, id: 'zero' })];
  return [buildBootImageWithLayout({ ...o, id: 'aosp' }), buildBootImageWithLayout({ ...o, id: 'lineage' })];
}

function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

function bootIdFindings(r: Report) {
  return r.findings.filter((f) => f.ruleId === 'integrity/boot-id');
}

for (const name of NAMES) {
  test(`corpus ${DIR}/${name}: android-boot, no errors, sections inside the file; our writer rebuilds it byte for byte`, async (t) => {
    const path = corpusFile(t, `${DIR}/${name}`);
    if (!path) return;
    const file = readFileSync(path);
    const r = await inspect(path);
    assert.deepEqual(errors(r), [], describe(r.findings));
    assert.equal(r.root.format, 'android-boot');
    const row = existsSync(join(CORPUS, 'MANIFEST.tsv')) ? manifest().get(`${DIR}/${name}`) : undefined;
    if (row) {
      assert.equal(r.root.size, row.size, 'size recorded in MANIFEST.tsv');
      assert.equal(r.root.hashes.sha256, row.sha256, 'sha256 recorded in MANIFEST.tsv');
    }
    const info = r.root.info;
    assert.ok(['boot', 'recovery', 'init_boot', 'vendor_boot'].includes(info.kind as string), `kind ${info.kind}`);
    const sections = info.sections as Sect[];
    assert.ok(sections.length > 0, 'at least one section');
    let prev = 0;
    for (const s of sections) {
      assert.ok(s.offset >= prev && s.offset % (info.pageSize as number) === 0, `${s.name} at ${s.offset}: page-aligned and in order`);
      assert.ok(s.offset + s.size <= file.length, `${s.name} inside the file`);
      prev = s.offset + s.size;
    }
    // Every section except the ramdisk table is a child, with the section's bytes.
    for (const s of sections.filter((x) => x.name !== 'vendor_ramdisk_table' && !(x.name === 'vendor_ramdisk' && info.vendorRamdisks))) {
      const c = artifactAt(r.root, s.name);
      // A MediaTek 512-byte header in front of a kernel or ramdisk is not part of the child.
      assert.equal(c.size, c.info.mtkHeader ? s.size - 512 : s.size, `${s.name} size`);
    }
    // No integrity/boot-id finding on a real image; a non-zero v0–v2 id verifies.
    assert.deepEqual(bootIdFindings(r), [], describe(r.findings));
    if ((info.headerVersion as number) <= 2 && info.kind !== 'vendor_boot' && info.id) {
      assert.ok(
        r.root.facts.some((f) => f.kind === 'boot-id-ok'),
        `the id of ${name} verifies (boot-id-ok fact)`,
      );
    }

    const candidates = rebuild(file, info);
    const results = candidates.map((c) => firstDifference(c.image, file.subarray(0, c.end)));
    assert.ok(results.includes(-1), `rebuilt image differs from ${name} at byte ${results.join(' / ')}`);
    if (info.id) assert.equal(results[0], -1, `${name}: the AOSP id recipe (not only the LineageOS one) gives its id`);
    const built = candidates[results.indexOf(-1)];
    assert.deepEqual(
      built.sections.filter((s) => s.name !== 'vendor_ramdisk_table' || info.kind === 'vendor_boot'),
      sections,
      'our writer puts the sections where romscope finds them',
    );
    // Whatever follows the last section is a trailer romscope describes.
    if (built.end < file.length) assert.equal(info.trailingBytes, file.length - built.end);
    else assert.equal(info.trailingBytes, undefined);
  });
}

test(`corpus ${DIR}/crespo_v0_boot.img: an arm zImage kernel (Linux 3.0.8), a gzip ramdisk holding a cpio, a verified id`, async (t) => {
  const path = corpusFile(t, `${DIR}/crespo_v0_boot.img`);
  if (!path) return;
  const r = await inspect(path);
  assert.equal(ofFormat(r.root, 'android-boot').info.kind, 'boot');
  assert.equal(ofFormat(r.root, 'android-boot').info.headerVersion, 0);
  assert.equal(ofFormat(r.root, 'android-boot').info.pageSize, 4096);
  assert.equal(ofFormat(r.root, 'android-boot').info.cmdline, 'console=ttyFIQ0 no_console_suspend');
  const kernel = artifactAt(r.root, 'kernel');
  assert.equal(kernel.format, 'linux-kernel');
  assert.equal(kernel.info.kernelFormat, 'arm-zimage');
  assert.ok(String(kernel.info.linuxVersion).startsWith('Linux version 3.0.8'), `banner: ${kernel.info.linuxVersion}`);
  assert.equal(kernel.info.release, '3.0.8AC-AOSPv2-');
  assert.equal(artifactAt(r.root, 'ramdisk').format, 'gzip');
  assert.equal(artifactAt(r.root, 'ramdisk/ramdisk').format, 'cpio');
  assert.equal(artifactAt(r.root, 'ramdisk/ramdisk/init.rc').format, 'init-rc');
  assert.ok(r.root.facts.some((f) => f.kind === 'boot-id-ok'));
  assert.deepEqual(r.findings, [], describe(r.findings));
});

test(`corpus ${DIR}/a057f_init_boot.img: Samsung init_boot v4, no kernel, an lz4 (legacy) ramdisk, an AVB footer child`, async (t) => {
  const path = corpusFile(t, `${DIR}/a057f_init_boot.img`);
  if (!path) return;
  const r = await inspect(path);
  const info = ofFormat(r.root, 'android-boot').info;
  assert.equal(info.kind, 'init_boot');
  assert.equal(info.headerVersion, 4);
  assert.equal(info.headerSize, 1584);
  assert.equal(info.kernelSize, 0);
  assert.equal(info.bootSignatureSize, 0);
  assert.equal(info.osVersion, '13.0.0');
  assert.equal(info.patchLevel, '2025-11');
  // The footer's vbmeta (signed by Samsung; its hash descriptor covers the image) is the child `vbmeta`.
  assert.deepEqual(
    r.root.children.map((c) => c.name),
    ['ramdisk', 'avb_footer', 'vbmeta'],
  );
  assert.equal(artifactAt(r.root, 'vbmeta').info.signature, 'verified');
  const ramdisk = artifactAt(r.root, 'ramdisk');
  assert.equal(ramdisk.format, 'lz4');
  assert.equal(ramdisk.info.variant, 'legacy');
  assert.equal(artifactAt(r.root, 'ramdisk/ramdisk').format, 'cpio');
  const footer = artifactAt(r.root, 'avb_footer');
  assert.equal(footer.format, 'avb-footer');
  assert.equal(footer.size, 64);
  assert.equal(footer.info.version, '1.0');
  assert.equal(info.avbFooter, true);
  // The footer's original image size covers the boot image and Samsung's 512-byte signer block after it.
  const end = 4096 + Math.ceil((info.ramdiskSize as number) / 4096) * 4096;
  assert.equal(footer.info.originalImageSize, end + 512);
  assert.equal(info.trailingBytes, (r.root.size as number) - end);
  assert.deepEqual(r.findings, [], describe(r.findings));
});

test(`corpus ${DIR}/uboot_abootimg_v4_vendor_boot.img: vendor_boot v4 with a ramdisk table entry and a bootconfig section`, async (t) => {
  const path = corpusFile(t, `${DIR}/uboot_abootimg_v4_vendor_boot.img`);
  if (!path) return;
  const r = await inspect(path);
  const info = ofFormat(r.root, 'android-boot').info;
  assert.equal(info.kind, 'vendor_boot');
  assert.equal(info.headerVersion, 4);
  assert.equal(info.headerSize, 2128);
  assert.equal(info.pageSize, 4096);
  assert.equal(info.ramdiskTableEntries, 1);
  assert.equal(info.ramdiskTableEntrySize, 108);
  assert.equal(info.ramdiskTableSize, 108);
  assert.equal(info.bootconfigSize, 26);
  // As the JSON report shows it (keys without a value are left out).
  assert.deepEqual(JSON.parse(JSON.stringify(info.vendorRamdisks)), [{ name: '', type: 'platform', size: 16, offset: 0 }]);
  assert.deepEqual(
    r.root.children.map((c) => c.name),
    ['vendor_ramdisk00', 'dtb', 'bootconfig'],
  );
  const rd = artifactAt(r.root, 'vendor_ramdisk00');
  assert.equal(rd.size, 16);
  // The ramdisk's name (mkbootimg gives a plain --vendor_ramdisk the empty name) and type are on the child.
  assert.equal(rd.info.ramdiskName, '');
  assert.equal(rd.info.ramdiskType, 'platform');
  const bc = artifactAt(r.root, 'bootconfig');
  assert.equal(bc.size, 26);
  const text = readFileSync(path)
    .subarray(4 * 4096, 4 * 4096 + 26)
    .toString('latin1');
  assert.equal(text, 'androidboot.hardware=test\n');
  assert.equal(artifactAt(r.root, 'dtb').size, 250);
  assert.deepEqual(errors(r), [], describe(r.findings));
});

test(`corpus ${DIR}/uboot_abootimg_v4_boot.img: boot v4 with a 15-byte kernel and a 16-byte ramdisk, nothing after them`, async (t) => {
  const path = corpusFile(t, `${DIR}/uboot_abootimg_v4_boot.img`);
  if (!path) return;
  const r = await inspect(path);
  assert.equal(ofFormat(r.root, 'android-boot').info.kind, 'boot');
  assert.equal(ofFormat(r.root, 'android-boot').info.headerVersion, 4);
  assert.deepEqual(ofFormat(r.root, 'android-boot').info.sections, [
    { name: 'kernel', offset: 4096, size: 15 },
    { name: 'ramdisk', offset: 8192, size: 16 },
  ]);
  assert.equal(ofFormat(r.root, 'android-boot').info.trailingBytes, undefined);
});

test(`corpus ${DIR}: every v0–v2 image's id verifies (AOSP recipe), no integrity/boot-id findings`, async (t) => {
  let checked = 0;
  for (const name of NAMES) {
    const path = corpusFile(t, `${DIR}/${name}`);
    if (!path) return;
    const r = await inspect(path);
    const a: Artifact = r.root;
    if (a.info.kind === 'vendor_boot' || (a.info.headerVersion as number) > 2) continue;
    assert.deepEqual(bootIdFindings(r), [], `${name}: ${describe(r.findings)}`);
    assert.equal(typeof a.info.id, 'string', `${name} has a non-zero id`);
    assert.match(a.info.id as string, /^[0-9a-f]{40}$/);
    assert.deepEqual(
      a.facts.filter((f) => f.kind.startsWith('boot-id')).map((f) => f.kind),
      ['boot-id-ok'],
      name,
    );
    checked++;
  }
  assert.ok(checked >= 7, `premise: the corpus has v0–v2 images (${checked})`);
});
