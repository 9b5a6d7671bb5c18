/**
 * Partition tables and flash layouts built by the project's own writers:
 * Samsung PIT, MTK scatter (YAML-like and legacy text), Qualcomm rawprogram /
 * patch XML. Structure problems become `layout-invalid` facts; hostile input
 * (a lying entry count, an entity bomb, millions of elements) costs bounded work.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/index';
import { detectFormat } from '../../src/formats/registry';
import type { DocumentHandler } from '../../src/formats/types';
import { isLayoutFact, type LayoutFact } from '../../src/formats/layout';
import type { Fact } from '../../src/report/model';
import { parseSimpleXml } from '../../src/formats/qcom-rawprogram/xml';
import { buildPit } from '../../fixtures/builders/pit';
import { buildScatterYaml, buildScatterLegacy } from '../../fixtures/builders/scatter';
import { buildRawprogram, buildPatchXml } from '../../fixtures/builders/rawprogram';
import { buildZip } from '../../fixtures/builders/zip';
import { tempDir } from '../helpers';

/** Detects and decodes a document the way the walk does; returns its format, info and facts. */
function decode(bytes: Buffer | string, name: string) {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
  const h = detectFormat({ peek: b.subarray(0, 65536), name, size: b.length });
  assert.ok(h && h.kind === 'document', `${name} detected as ${h?.id ?? 'data'}`);
  const facts: Fact[] = [];
  const info = (h as DocumentHandler).decode(b, { budget: undefined as never, fact: (f) => void facts.push(f) }, name);
  const layouts = facts.filter(isLayoutFact);
  return { id: h.id, info, facts, problems: facts.filter((f) => f.kind !== 'layout'), layout: layouts[0] as LayoutFact | undefined, layouts };
}

// ---------------------------------------------------------------- Samsung PIT

const PIT_ENTRIES = [
  { deviceType: 2, identifier: 70, name: 'GANG', flashFilename: 'emmc.img' },
  { deviceType: 2, identifier: 1, attributes: 1, blockSizeOrOffset: 8192, blockCount: 40960, name: 'EFS', flashFilename: 'efs.img' },
  { deviceType: 8, identifier: 2, attributes: 1, blockSizeOrOffset: 49152, blockCount: 2560, name: 'CACHE', flashFilename: '' },
  { binaryType: 1, deviceType: 1, identifier: 9, name: '', flashFilename: '' },
];

test('pit: header, entries and the layout (sizes are block count × 512; nameless entries are not partitions)', () => {
  const d = decode(buildPit(PIT_ENTRIES, { pad: true }), 'x.pit');
  assert.equal(d.id, 'samsung-pit');
  assert.deepEqual(d.problems, []);
  assert.equal(d.info.entryCount, 4);
  assert.equal((d.info.partitions as unknown[]).length, 4);
  assert.deepEqual(d.layout!.entries, [
    { partition: 'GANG', file: 'emmc.img', sizeBytes: null, startBytes: null, device: 'mmc', flashed: false },
    { partition: 'EFS', file: 'efs.img', sizeBytes: 40960 * 512, startBytes: null, device: 'mmc', flashed: false },
    { partition: 'CACHE', file: null, sizeBytes: 2560 * 512, startBytes: null, device: 'ufs', flashed: false },
  ]);
});

test('pit: an entry count beyond the file is layout-invalid and costs only what the file holds', () => {
  const pit = buildPit(PIT_ENTRIES.slice(0, 2), { entryCount: 0xffffffff });
  const t0 = process.hrtime.bigint();
  const d = decode(pit, 'x.pit');
  assert.ok(Number(process.hrtime.bigint() - t0) < 1e9, 'decoding took over a second');
  assert.equal(d.problems.length, 1);
  assert.equal(d.problems[0].kind, 'layout-invalid');
  assert.match(d.problems[0].message, /header says 4294967295 entries .* holds 2/);
  assert.equal(d.info.entryCount, 0xffffffff);
  assert.equal(d.info.partitionCount, 2);
  assert.equal(d.layout!.entries.length, 2);
});

test('pit: a name filling all 32 bytes and a repeated partition name are layout-invalid', () => {
  const d = decode(
    buildPit([
      { name: 'A'.repeat(32), flashFilename: 'a.img' },
      { name: 'BOOT', flashFilename: 'boot.img' },
      { name: 'BOOT', flashFilename: 'boot2.img' },
    ]),
    'x.pit',
  );
  assert.deepEqual(
    d.problems.map((p) => p.kind),
    ['layout-invalid', 'layout-invalid'],
  );
  assert.match(d.problems[0].message, /entry 0: the partition name fills all 32 bytes/);
  assert.match(d.problems[1].message, /entry 2: partition name "BOOT" is already used by entry 1/);
});

test('pit: found by its magic whatever the name; too short for a header it is data', () => {
  assert.equal(decode(buildPit(PIT_ENTRIES), 'CSC/whatever.bin').id, 'samsung-pit');
  assert.equal(detectFormat({ peek: buildPit([]).subarray(0, 20), name: 'x.pit', size: 20 }), null);
});

// ---------------------------------------------------------------- MTK scatter

const SCATTER = [
  { name: 'preloader', file: 'preloader_demo.bin', type: 'SV5_BL_BIN', start: 0, size: 0x40000, region: 'EMMC_BOOT1_BOOT2' },
  { name: 'pgpt', start: 0, size: 0x8000 },
  { name: 'boot', file: 'boot.img', start: 0x8000, size: 0x2000000 },
  { name: 'userdata', file: 'userdata.img', isDownload: false, start: 0x2008000, size: 0x40000000 },
  { name: 'otp', start: 0xffff0000, size: 0x2b00000 },
];

test('scatter yaml: general settings, every partition, and the layout', () => {
  const d = decode(buildScatterYaml(SCATTER, { platform: 'MT6765', project: 'demo_proj' }), 'MT6765_Android_scatter.txt');
  assert.equal(d.id, 'mtk-scatter');
  assert.deepEqual(d.problems, []);
  assert.equal(d.info.form, 'yaml');
  assert.equal(d.info.platform, 'MT6765');
  assert.equal(d.info.project, 'demo_proj');
  assert.deepEqual(d.info.storage, ['EMMC']);
  assert.equal(d.info.partitionCount, 5);
  const p = (d.info.partitions as Record<string, unknown>[])[2];
  assert.deepEqual(
    { index: p.index, name: p.name, fileName: p.fileName, isDownload: p.isDownload, type: p.type, linearStartAddr: p.linearStartAddr, partitionSize: p.partitionSize },
    { index: 'SYS2', name: 'boot', fileName: 'boot.img', isDownload: true, type: 'NORMAL_ROM', linearStartAddr: 0x8000, partitionSize: 0x2000000 },
  );
  assert.deepEqual(d.layout!.entries, [
    { partition: 'preloader', file: 'preloader_demo.bin', sizeBytes: 0x40000, startBytes: 0, device: 'emmc_boot1_boot2', flashed: true },
    { partition: 'pgpt', file: null, sizeBytes: 0x8000, startBytes: 0, device: 'emmc_user', flashed: false },
    { partition: 'boot', file: 'boot.img', sizeBytes: 0x2000000, startBytes: 0x8000, device: 'emmc_user', flashed: true },
    { partition: 'userdata', file: 'userdata.img', sizeBytes: 0x40000000, startBytes: 0x2008000, device: 'emmc_user', flashed: false },
    // A pseudo address (0xFFFF0000-0xFFFFFFFF) is not a place on the device.
    { partition: 'otp', file: null, sizeBytes: 0x2b00000, startBytes: null, device: 'emmc_user', flashed: false },
  ]);
});

test('scatter yaml: CRLF, trailing spaces and odd indentation are tolerated; detection does not need the name', () => {
  const text = buildScatterYaml(SCATTER, { eol: '   \r\n' }).replace(/\n {2}partition_name/g, '\n      partition_name');
  const d = decode(text, 'layout.txt');
  assert.equal(d.id, 'mtk-scatter');
  assert.deepEqual(d.problems, []);
  assert.equal(d.layout!.entries.length, 5);
});

test('scatter yaml: duplicate names and indexes, a downloaded partition without a file, bad numbers and junk lines are layout-invalid', () => {
  let text = buildScatterYaml([...SCATTER, { name: 'boot', file: 'boot2.img', start: 0x4000000, size: 0x1000 }]);
  text = text.replace('partition_index: SYS4', 'partition_index: SYS3');
  text = text.replace('partition_size: 0x8000\n', 'partition_size: 32K\n');
  text = text.replace('  file_name: userdata.img\n  is_download: false', '  file_name: NONE\n  is_download: true');
  text += '{ this is not scatter }\n';
  const d = decode(text, 'MT6765_Android_scatter.txt');
  const msgs = d.problems.map((p) => `${p.kind}: ${p.message}`);
  assert.equal(msgs.length, 5, msgs.join('\n'));
  assert.ok(d.problems.every((p) => p.kind === 'layout-invalid'));
  assert.match(msgs.join('\n'), /partition_size "32K" is not a number/);
  assert.match(msgs.join('\n'), /userdata has is_download: true but no file_name/);
  assert.match(msgs.join('\n'), /partition_index SYS3 is already used/);
  assert.match(msgs.join('\n'), /partition_name "boot" is already used/);
  assert.match(msgs.join('\n'), /not a "key: value" line/);
});

test('scatter yaml: partitions are capped', () => {
  const many = Array.from({ length: 5000 }, (_, i) => ({ name: `p${i}`, start: i * 4096, size: 4096 }));
  const d = decode(buildScatterYaml(many), 'MT6765_Android_scatter.txt');
  assert.equal(d.info.partitionCount, 4096);
  assert.match(d.problems.map((p) => p.message).join('\n'), /more than 4096 partitions/);
});

test('scatter legacy: sizes from the next start, __NODL_ is not flashed, MTK file names, pseudo addresses left out', () => {
  const text = buildScatterLegacy([
    { name: 'PRELOADER', start: 0 },
    { name: 'MBR', start: 0x600000 },
    { name: 'NVRAM', start: 0x680000, nodl: true },
    { name: 'BOOTIMG', start: 0xb80000 },
    { name: 'ANDROID', start: 0x1180000 },
    { name: 'FAT', start: 0x3d180000, nodl: true },
    { name: 'BMTPOOL', start: 0xffff0050, nodl: true, rsv: true },
  ]);
  const d = decode(text, 'MT6589_Android_scatter_emmc.txt');
  assert.equal(d.id, 'mtk-scatter');
  assert.deepEqual(d.problems, []);
  assert.equal(d.info.form, 'legacy');
  assert.equal(d.info.platform, 'MT6589');
  assert.deepEqual(
    d.layout!.entries.map((e) => [e.partition, e.file, e.sizeBytes, e.startBytes, e.flashed]),
    [
      ['PRELOADER', null, 0x600000, 0, false],
      ['MBR', 'MBR', 0x80000, 0x600000, true],
      ['NVRAM', null, 0x500000, 0x680000, false],
      ['BOOTIMG', 'boot.img', 0x600000, 0xb80000, true],
      ['ANDROID', 'system.img', 0x3c000000, 0x1180000, true],
      ['FAT', null, null, 0x3d180000, false],
      ['BMTPOOL', null, null, null, false],
    ],
  );
  const bmt = (d.info.partitions as Record<string, unknown>[])[6];
  assert.equal(bmt.isReserved, true);
  assert.equal(bmt.isDownload, false);
});

test('scatter legacy: detection needs two blocks, or one and a scatter name; bad lines are layout-invalid', () => {
  const one = buildScatterLegacy([{ name: 'PRELOADER', start: 0 }]);
  assert.equal(detectFormat({ peek: Buffer.from(one), name: 'notes.txt', size: one.length }), null);
  assert.equal(decode(one, 'MT6577_Android_scatter.txt').id, 'mtk-scatter');
  const bad =
    buildScatterLegacy([
      { name: 'PRELOADER', start: 0 },
      { name: 'BOOTIMG', start: 0x800000 },
      { name: 'RECOVERY', start: 0x400000 },
    ]) + 'garbage here\nUSRDATA 0x900000\n{\n';
  const d = decode(bad, 'MT6577_Android_scatter.txt');
  const msgs = d.problems.map((p) => p.message).join('\n');
  assert.ok(d.problems.every((p) => p.kind === 'layout-invalid'));
  assert.match(msgs, /RECOVERY starts at 0x400000, not after BOOTIMG/);
  assert.match(msgs, /not a "NAME 0xADDRESS" line/);
  assert.match(msgs, /the block of USRDATA is not closed/);
});

// ---------------------------------------------------------------- Qualcomm rawprogram / patch

const PROGRAMS = [
  { label: 'PrimaryGPT', filename: 'gpt_main0.bin', startSector: 0, sectors: 6 },
  { label: 'persist', filename: 'persist.img', startSector: 8, sectors: 8192, sparse: true },
  { label: 'misc', startSector: 8200, sectors: 256 },
  { label: 'userdata', filename: 'userdata.img', startSector: 8456, sectors: 0, sparse: true },
  { label: 'BackupGPT', filename: 'gpt_backup0.bin', startSector: 'NUM_DISK_SECTORS-5.', sectors: 5 },
  { label: 'xbl_a', filename: 'xbl.elf', startSector: 6, sectors: 896, lun: 1 },
];

test('rawprogram: every program, expressions kept as text, one table across LUNs', () => {
  const d = decode(buildRawprogram(PROGRAMS, { comment: 'NOTE: autogenerated & checked' }), 'rawprogram0.xml');
  assert.equal(d.id, 'qcom-rawprogram');
  assert.deepEqual(d.problems, []);
  assert.equal(d.info.programCount, 6);
  assert.deepEqual(d.info.luns, [0, 1]);
  const backup = (d.info.programs as Record<string, unknown>[])[4];
  assert.deepEqual(backup, {
    label: 'BackupGPT',
    filename: 'gpt_backup0.bin',
    startSector: 'NUM_DISK_SECTORS-5.',
    numPartitionSectors: 5,
    sectorSizeInBytes: 4096,
    physicalPartitionNumber: 0,
    sparse: false,
    startByteHex: '(4096*NUM_DISK_SECTORS)-20480.',
    fileSectorOffset: 0,
  });
  assert.deepEqual(d.layout!.entries, [
    { partition: 'PrimaryGPT', file: 'gpt_main0.bin', sizeBytes: 6 * 4096, startBytes: 0, device: 'lun0', flashed: true },
    { partition: 'persist', file: 'persist.img', sizeBytes: 8192 * 4096, startBytes: 8 * 4096, device: 'lun0', flashed: true },
    { partition: 'misc', file: null, sizeBytes: 256 * 4096, startBytes: 8200 * 4096, device: 'lun0', flashed: false },
    { partition: 'userdata', file: 'userdata.img', sizeBytes: 0, startBytes: 8456 * 4096, device: 'lun0', flashed: true },
    { partition: 'BackupGPT', file: 'gpt_backup0.bin', sizeBytes: 5 * 4096, startBytes: null, device: 'lun0', flashed: true },
    { partition: 'xbl_a', file: 'xbl.elf', sizeBytes: 896 * 4096, startBytes: 6 * 4096, device: 'lun1', flashed: true },
  ]);
});

test('patch xml: every patch, entities decoded, no layout', () => {
  const xml = buildPatchXml([
    { filename: 'DISK', byteOffset: 48, sizeInBytes: 8, startSector: 1, value: 'NUM_DISK_SECTORS-6.', what: "Update 'userdata' <last> & first" },
    { filename: 'gpt_main0.bin', byteOffset: 16, sizeInBytes: 4, startSector: 1, value: 'CRC32(1,92)', what: 'Update Primary Header with CRC of Primary Header.', lun: 2 },
  ]);
  const d = decode(xml, 'anything.xml');
  assert.equal(d.id, 'qcom-rawprogram');
  assert.deepEqual(d.problems, []);
  assert.equal(d.layouts.length, 0);
  assert.equal(d.info.patchCount, 2);
  assert.deepEqual(d.info.luns, [0, 2]);
  assert.equal((d.info.patches as Record<string, unknown>[])[0].what, "Update 'userdata' <last> & first");
});

test('rawprogram: a DTD / entity bomb is layout-invalid at once and never expanded', () => {
  const defs = ['<!ENTITY a0 "ha">', ...Array.from({ length: 30 }, (_, i) => `<!ENTITY a${i + 1} "${`&a${i};`.repeat(10)}">`)];
  const bomb = `<?xml version="1.0"?>\n<!DOCTYPE data [\n${defs.join('\n')}\n]>\n<data>\n  <program SECTOR_SIZE_IN_BYTES="4096" filename="&a30;" label="boot" num_partition_sectors="1" physical_partition_number="0" start_sector="6" />\n</data>\n`;
  const t0 = process.hrtime.bigint();
  const d = decode(bomb, 'rawprogram0.xml');
  assert.ok(Number(process.hrtime.bigint() - t0) < 1e9, 'decoding took over a second');
  assert.equal(d.id, 'qcom-rawprogram');
  assert.equal(d.problems.length, 1);
  assert.equal(d.problems[0].kind, 'layout-invalid');
  assert.match(d.problems[0].message, /DTD or entity declaration/);
  assert.equal(d.info.programCount, 0);
  assert.equal(d.layouts.length, 0);
});

test('rawprogram: undefined entities, broken tags, missing attributes and too many elements are layout-invalid', () => {
  const one = (attrs: string) => `<?xml version="1.0" ?>\n<data>\n<program ${attrs} />\n</data>\n`;
  const cases: [string, RegExp][] = [
    [one('SECTOR_SIZE_IN_BYTES="512" filename="&xxe;" label="a" num_partition_sectors="1" physical_partition_number="0" start_sector="0"'), /undefined entity reference &xxe;/],
    [one('SECTOR_SIZE_IN_BYTES="512" label="a" label="b" num_partition_sectors="1" physical_partition_number="0" start_sector="0"'), /attribute label given twice/],
    [one('SECTOR_SIZE_IN_BYTES="512" label="a" num_partition_sectors="1" physical_partition_number="0"'), /no start_sector/],
    [one('SECTOR_SIZE_IN_BYTES="512" label="a" num_partition_sectors="lots" physical_partition_number="0" start_sector="0"'), /num_partition_sectors="lots" is not a number/],
    [one('SECTOR_SIZE_IN_BYTES="512" label="a" num_partition_sectors="1" physical_partition_number="0" start_sector="0; rm -rf"'), /neither a number nor an expression/],
    ['<?xml version="1.0" ?>\n<data>\n<program label="a" />\n', /<data> is not closed/],
    ['<?xml version="1.0" ?>\n<data>\n<program label="a">\n</data>\n', /end tag <\/data> does not close <program>/],
    ['<data><![CDATA[x]]></data>', /unsupported markup/],
  ];
  for (const [xml, re] of cases) {
    const d = decode(xml, 'rawprogram0.xml');
    assert.ok(d.problems.length >= 1 && d.problems.every((p) => p.kind === 'layout-invalid'), xml);
    assert.match(d.problems.map((p) => p.message).join('\n'), re, xml);
  }
  const many = buildRawprogram(Array.from({ length: 25_000 }, (_, i) => ({ label: `p${i}`, startSector: i, sectors: 1 })));
  const d = decode(many, 'rawprogram0.xml');
  assert.match(d.problems.map((p) => p.message).join('\n'), /more than 20000 elements/);
  assert.ok((d.info.programCount as number) < 20_000);
});

test('xml reader: numeric references, single quotes and leaf text; nothing else is let in', () => {
  const r = parseSimpleXml(`<root a='x&#65;&#x42;&lt;'><digest n="1">  abc&amp;  </digest><e/></root>`);
  assert.equal(r.problem, null);
  assert.equal(r.root, 'root');
  assert.equal(r.elements[0].attrs.a, 'xAB<');
  assert.equal(r.elements[1].text, '  abc&  ');
  assert.equal(r.elements[2].text, undefined);
  assert.match(parseSimpleXml('<a b="&#0;"/>').problem!.message, /undefined entity reference/);
  assert.match(parseSimpleXml('<a/><b/>').problem!.message, /second root/);
  assert.match(parseSimpleXml('<a><b><c/></b></a>', { maxDepth: 2 }).problem!.message, /nested deeper than 2/);
});

test('rawprogram: recognised by content or by name; other XML is not', () => {
  const xml = buildRawprogram(PROGRAMS.slice(0, 1));
  assert.equal(decode(xml, 'flash.xml').id, 'qcom-rawprogram');
  const empty = '<?xml version="1.0"?>\n<patches>\n</patches>\n';
  assert.equal(decode(empty, 'patch0.xml').id, 'qcom-rawprogram');
  assert.equal(detectFormat({ peek: Buffer.from('<?xml version="1.0"?>\n<data>\n</data>\n'), name: 'config.xml', size: 40 }), null);
  assert.equal(detectFormat({ peek: Buffer.from('<?xml version="1.0"?>\n<root><program x="1"/></root>\n'), name: 'rawprogram0.xml', size: 40 }), null);
});

test('layouts in a package: each member is decoded and a bomb is reported on its path', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'edl.zip');
  writeFileSync(
    file,
    buildZip([
      { name: 'images/rawprogram0.xml', data: Buffer.from(buildRawprogram([{ label: 'boot_a', filename: 'boot.img', startSector: 8, sectors: 16 }])) },
      { name: 'images/boot.img', data: Buffer.alloc(4096) },
      { name: 'images/rawprogram1.xml', data: Buffer.from('<?xml version="1.0"?><!DOCTYPE data [<!ENTITY x "y">]><data>&x;</data>') },
      { name: 'MT6765_Android_scatter.txt', data: Buffer.from(buildScatterYaml(SCATTER.slice(1, 3))) },
      { name: 'CSC/demo.pit', data: buildPit(PIT_ENTRIES) },
    ]),
  );
  const r = await inspect(file);
  const formats = Object.fromEntries(r.root.children.map((c) => [c.path, c.format]));
  assert.deepEqual(formats, {
    'images/rawprogram0.xml': 'qcom-rawprogram',
    'images/boot.img': 'data',
    'images/rawprogram1.xml': 'qcom-rawprogram',
    'MT6765_Android_scatter.txt': 'mtk-scatter',
    'CSC/demo.pit': 'samsung-pit',
  });
  const invalid = r.findings.filter((f) => f.ruleId === 'format/layout-invalid');
  assert.deepEqual(
    invalid.map((f) => f.path),
    ['images/rawprogram1.xml'],
  );
});

test('rawprogram: a trailing "." marks a decimal number (Qualcomm syntax)', () => {
  const xml = '<?xml version="1.0" ?>\n<data>\n<program SECTOR_SIZE_IN_BYTES="512" filename="" label="ssd" num_partition_sectors="16." physical_partition_number="0" start_sector="34." />\n</data>\n';
  const d = decode(xml, 'rawprogram0.xml');
  assert.deepEqual(d.problems, []);
  assert.deepEqual(d.layout!.entries, [{ partition: 'ssd', file: null, sizeBytes: 16 * 512, startBytes: 34 * 512, device: 'lun0', flashed: false }]);
});
