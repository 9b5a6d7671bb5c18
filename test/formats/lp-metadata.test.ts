/**
 * Dynamic partitions (liblp, FORMATS.md §4): full super images made by our
 * own liblp writer (fixtures/builders/super.ts), raw, as a sparse image made
 * by `img2simg`, and inside a zip. Every logical partition with data is a
 * child whose bytes are what was put in (LINEAR extents read in table order,
 * ZERO extents as zeros); checksums are verified copy by copy and a damaged
 * primary falls back to its backup; rule breaks are findings, not crashes.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/pipeline/inspect';
import { extract } from '../../src/pipeline/extract';
import { RULES } from '../../src/rules/registry';
import type { Artifact, Report } from '../../src/report/model';
import { buildZip } from '../../fixtures/builders/zip';
import { pseudoRandom } from '../../fixtures/builders/data';
import { buildSuperEmpty, buildSuperImage, lpCopyOffset, lpReservedBytes, LP_SECTOR, type LpBreaks, type LpGeometrySpec, type LpMetadataSpec } from '../../fixtures/builders/super';
import { BIN, requireTools, runTool, tempDir } from '../helpers';
import { artifactAt, describe, errors, peakMemoryGrowth, sha256 } from '../interop/util';

// A factory-style A/B super: data in the _a partitions, the _b set empty.
const SYSTEM = pseudoRandom(96 * 1024, 11);
const VENDOR_1 = pseudoRandom(20 * 1024, 12);
const VENDOR_2 = pseudoRandom(12 * 1024 + 512, 13);
const ODM = pseudoRandom(8 * 1024, 14);

function abMetadata(extra: Partial<LpMetadataSpec> = {}): LpMetadataSpec {
  return {
    version: '10.2',
    flags: 1,
    groups: [
      { name: 'main_a', maximumSize: 1 << 20 },
      { name: 'main_b', maximumSize: 1 << 20 },
    ],
    partitions: [
      { name: 'system_a', group: 'main_a', attributes: ['readonly'], data: SYSTEM },
      // Two LINEAR extents with a ZERO extent between them; the second LINEAR
      // extent lies *before* the first on the disk (explicit start sectors).
      {
        name: 'vendor_a',
        group: 'main_a',
        attributes: ['readonly'],
        extents: [
          { data: VENDOR_1, start: 4096 },
          { type: 'zero', sectors: 16 },
          { data: VENDOR_2, start: 3072 },
        ],
      },
      // Only a ZERO extent: a partition of zeros with no bytes on the disk.
      { name: 'cache_a', group: 'main_a', extents: [{ type: 'zero', sectors: 64 }] },
      { name: 'odm_a', group: 'main_a', attributes: ['readonly'], data: ODM },
      { name: 'system_b', group: 'main_b', attributes: ['readonly'] },
      { name: 'vendor_b', group: 'main_b', attributes: ['readonly'] },
    ],
    ...extra,
  };
}

const EXPECTED_CHILDREN = ['system_a', 'vendor_a', 'cache_a', 'odm_a'];

function expectedBytes(name: string): Buffer {
  switch (name) {
    case 'system_a':
      return SYSTEM;
    case 'vendor_a':
      return Buffer.concat([VENDOR_1, Buffer.alloc(16 * LP_SECTOR), VENDOR_2]);
    case 'cache_a':
      return Buffer.alloc(64 * LP_SECTOR);
    case 'odm_a':
      return ODM;
  }
  throw new Error(name);
}

/** The default A/B image: 3 MiB, data from 1 MiB on (default geometry: M 64 KiB, 2 slots). */
function abImage(br: LpBreaks = {}, md = abMetadata()) {
  return buildSuperImage(md, {}, br, { size: 3 << 20 });
}

async function inspectBytes(t: TestContext, name: string, bytes: Buffer): Promise<{ r: Report; file: string; dir: string }> {
  const dir = tempDir(t);
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return { r: await inspect(file), file, dir };
}

const facts = (a: Artifact, kind: string) => a.facts.filter((f) => f.kind === kind);
const ruleRegistered = (id: string) => RULES.some((r) => r.id === id);

/** Children of the super artifact are the partitions with data, in table order, with the bytes put in; extract agrees. */
async function assertPartitions(t: TestContext, file: string, superPath: string, r: Report) {
  const sup = artifactAt(r.root, superPath);
  assert.equal(sup.format, 'lp-metadata');
  assert.deepEqual(
    sup.children.map((c) => c.name),
    EXPECTED_CHILDREN,
  );
  const out = join(tempDir(t), 'out');
  mkdirSync(out);
  for (const c of sup.children) {
    const want = expectedBytes(c.name);
    assert.equal(c.path, superPath ? `${superPath}/${c.name}` : c.name);
    assert.equal(c.size, want.length, c.name);
    assert.equal(c.hashes.sha256, sha256(want), c.name);
    const x = await extract(file, c.path, out);
    assert.equal(x.bytes, want.length);
    assert.ok(readFileSync(x.output).equals(want), `extracted ${c.path}`);
  }
  return sup;
}

test('lp-metadata: the builder lays out a full image the way liblp does', () => {
  const { image, geometry, firstLogicalSector } = abImage();
  assert.deepEqual(geometry, { metadataMaxSize: 65536, slotCount: 2, logicalBlockSize: 4096 });
  assert.equal(lpReservedBytes(geometry), 4096 + 2 * (4096 + 2 * 65536));
  assert.equal(firstLogicalSector, 2048, 'reserved area rounded up to the 1 MiB alignment');
  assert.ok(
    image.subarray(0, 4096).every((b) => b === 0),
    'reserved 4096 bytes are zero',
  );
  assert.equal(image.readUInt32LE(4096), 0x616c4467);
  assert.ok(image.subarray(4096, 8192).equals(image.subarray(8192, 12288)), 'backup geometry is a copy');
  for (const slot of [0, 1]) {
    const p = lpCopyOffset(geometry, { slot, copy: 'primary' });
    const b = lpCopyOffset(geometry, { slot, copy: 'backup' });
    assert.equal(p, 12288 + slot * 65536);
    assert.equal(b, 12288 + 2 * 65536 + slot * 65536);
    assert.ok(image.subarray(p, p + 65536).equals(image.subarray(b, b + 65536)));
    assert.equal(image.readUInt32LE(p), 0x414c5030);
  }
  assert.ok(image.subarray(1 << 20, (1 << 20) + SYSTEM.length).equals(SYSTEM), 'the first placed extent starts at the first logical sector');
  assert.ok(image.subarray(4096 * 512, 4096 * 512 + VENDOR_1.length).equals(VENDOR_1));
  assert.ok(image.subarray(3072 * 512, 3072 * 512 + VENDOR_2.length).equals(VENDOR_2));
});

test('lp-metadata: a raw full super image; partitions are children with their bytes', async (t) => {
  const { image } = abImage();
  const { r, file } = await inspectBytes(t, 'super.img', image);
  assert.deepEqual(r.findings, [], describe(r.findings));
  const sup = await assertPartitions(t, file, '', r);
  const info = sup.info as Record<string, unknown>;
  assert.equal(info.image, 'super');
  assert.equal(info.version, '10.2');
  assert.equal(info.flags, 1);
  assert.equal(info.metadataMaxSize, 65536);
  assert.equal(info.metadataSlotCount, 2);
  assert.equal(info.logicalBlockSize, 4096);
  assert.deepEqual(info.slots, [
    { slot: 0, copy: 'primary', offset: 12288, valid: true },
    { slot: 0, copy: 'backup', offset: 12288 + 2 * 65536, valid: true },
    { slot: 1, copy: 'primary', offset: 12288 + 65536, valid: true },
    { slot: 1, copy: 'backup', offset: 12288 + 3 * 65536, valid: true },
  ]);
  assert.deepEqual(
    (info.groups as { name: string; maximumSize: number }[]).map((g) => [g.name, g.maximumSize]),
    [
      ['default', 0],
      ['main_a', 1 << 20],
      ['main_b', 1 << 20],
    ],
  );
  assert.deepEqual(info.blockDevices, [{ firstLogicalSector: 2048, alignment: 1048576, alignmentOffset: 0, size: 3 << 20, name: 'super', flags: 0 }]);
  assert.deepEqual(info.partitions, [
    { name: 'system_a', group: 'main_a', size: SYSTEM.length, attributes: ['readonly'], extents: 1 },
    { name: 'vendor_a', group: 'main_a', size: expectedBytes('vendor_a').length, attributes: ['readonly'], extents: 3 },
    { name: 'cache_a', group: 'main_a', size: 64 * 512, attributes: [], extents: 1 },
    { name: 'odm_a', group: 'main_a', size: ODM.length, attributes: ['readonly'], extents: 1 },
    { name: 'system_b', group: 'main_b', size: 0, attributes: ['readonly'], extents: 0 },
    { name: 'vendor_b', group: 'main_b', size: 0, attributes: ['readonly'], extents: 0 },
  ]);
  assert.equal(info.otherBlockDevices, undefined);
  // One geometry (the primary verified, so the backup is not needed) + 4 metadata copies.
  assert.deepEqual(r.summary.integrity, { status: 'verified', checks: 5, failed: 0 });
  assert.equal(facts(sup, 'lp-checksum-ok').length, 5);
  // The layout fact: real partition sizes, start of single-LINEAR partitions, nothing flashed.
  const layout = sup.facts.find((f) => f.kind === 'layout') as unknown as { layout: string; sizesAreLimits: boolean; deviceBytes: Record<string, number>; entries: Record<string, unknown>[] };
  assert.equal(layout.layout, 'lp-metadata');
  assert.equal(layout.sizesAreLimits, false);
  assert.deepEqual(layout.deviceBytes, { super: 3 << 20 });
  assert.deepEqual(layout.entries[0], { partition: 'system_a', file: null, sizeBytes: SYSTEM.length, startBytes: 1 << 20, device: 'super', flashed: false });
  assert.equal(layout.entries[1].startBytes, null, 'vendor_a has two LINEAR extents');
  assert.equal(layout.entries[2].startBytes, null, 'cache_a has no LINEAR extent');
  assert.ok(layout.entries.every((e) => e.flashed === false));
});

test('lp-metadata: versions 10.0 and 10.1 (128-byte headers, no flags)', async (t) => {
  for (const version of ['10.0', '10.1'] as const) {
    const { image } = buildSuperImage({ ...abMetadata(), version, flags: undefined }, { slotCount: 3, metadataMaxSize: 8192 }, {}, { size: 3 << 20 });
    const { r, file } = await inspectBytes(t, `super-${version}.img`, image);
    assert.deepEqual(r.findings, [], describe(r.findings));
    await assertPartitions(t, file, '', r);
    assert.equal(r.root.info.version, version);
    assert.equal(r.root.info.flags, undefined);
    assert.equal(r.root.info.metadataSlotCount, 3);
    assert.equal((r.root.info.slots as unknown[]).length, 6);
    assert.equal(r.root.info.metadataMaxSize, 8192);
  }
});

test('lp-metadata: a full super image inside a zip, stored and deflated', async (t) => {
  const { image } = abImage();
  const zip = buildZip([
    { name: 'images/super.img', data: image },
    { name: 'super-deflated.img', data: image, method: 'deflate' },
  ]);
  const { r, file } = await inspectBytes(t, 'factory.zip', zip);
  assert.deepEqual(r.findings, [], describe(r.findings));
  await assertPartitions(t, file, 'images/super.img', r);
  await assertPartitions(t, file, 'super-deflated.img', r);
});

test('lp-metadata: a sparse super.img made by img2simg, alone and in a zip, expands to a raw lp-metadata child', async (t) => {
  if (!requireTools(t, 'img2simg')) return;
  const dir = tempDir(t);
  const { image } = abImage();
  writeFileSync(join(dir, 'super.raw'), image);
  runTool('img2simg', [join(dir, 'super.raw'), join(dir, 'super.img')]);
  const sparse = readFileSync(join(dir, 'super.img'));
  assert.equal(sparse.readUInt32LE(0), 0xed26ff3a);
  assert.ok(sparse.length < image.length, 'img2simg left the holes out');

  const alone = await inspect(join(dir, 'super.img'));
  assert.deepEqual(alone.findings, [], describe(alone.findings));
  assert.equal(alone.root.format, 'android-sparse');
  await assertPartitions(t, join(dir, 'super.img'), 'raw', alone);

  writeFileSync(join(dir, 'factory.zip'), buildZip([{ name: 'super.img', data: sparse }]));
  const zipped = await inspect(join(dir, 'factory.zip'));
  assert.deepEqual(zipped.findings, [], describe(zipped.findings));
  await assertPartitions(t, join(dir, 'factory.zip'), 'super.img/raw', zipped);
});

test('lp-metadata: a damaged primary metadata copy is reported and its backup is used', async (t) => {
  // Slot 0's primary has a byte of its tables flipped: the first partition's
  // name would read ")ystem_a" if the copy were believed.
  const { image } = abImage({ tablesBytes: [{ slot: 0, copy: 'primary' }] });
  const { r, file } = await inspectBytes(t, 'super.img', image);
  const found = r.findings.filter((f) => f.ruleId === 'integrity/lp-checksum');
  assert.equal(found.length, 1, describe(r.findings));
  assert.equal(found[0].path, '');
  assert.equal(found[0].severity, 'error');
  assert.match(found[0].message, /slot 0 primary metadata \(offset 12288\): metadata tables SHA-256 does not match/);
  assert.equal(found[0].offset, 12288);
  assert.deepEqual(
    r.findings.filter((f) => f.ruleId !== 'integrity/lp-checksum'),
    [],
    describe(r.findings),
  );
  const sup = await assertPartitions(t, file, '', r);
  assert.deepEqual(
    (sup.info.slots as { valid: boolean }[]).map((s) => s.valid),
    [false, true, true, true],
  );
  assert.deepEqual(r.summary.integrity, { status: 'failed', checks: 5, failed: 1 });
});

test('lp-metadata: a damaged primary header checksum, and a damaged primary geometry', async (t) => {
  const { image } = abImage({ headerChecksum: [{ slot: 1, copy: 'primary' }], geometryChecksum: ['primary'] });
  const { r, file } = await inspectBytes(t, 'super.img', image);
  const found = r.findings.filter((f) => f.ruleId === 'integrity/lp-checksum');
  assert.deepEqual(
    found.map((f) => [f.message, f.offset]),
    [
      ['geometry at offset 4096: SHA-256 does not match', 4096],
      [`slot 1 primary metadata (offset ${12288 + 65536}): metadata header SHA-256 does not match`, 12288 + 65536],
    ],
    describe(r.findings),
  );
  assert.equal(r.findings.length, 2, describe(r.findings));
  await assertPartitions(t, file, '', r);
});

test('lp-metadata: every copy damaged: nothing is believed, no children', async (t) => {
  const all = [0, 1].flatMap((slot) => (['primary', 'backup'] as const).map((copy) => ({ slot, copy })));
  const { image } = abImage({ headerChecksum: all });
  const { r } = await inspectBytes(t, 'super.img', image);
  assert.equal(r.findings.filter((f) => f.ruleId === 'integrity/lp-checksum').length, 4, describe(r.findings));
  const invalid = r.findings.filter((f) => f.ruleId === 'format/layout-invalid');
  assert.deepEqual(
    invalid.map((f) => f.message),
    ['no metadata copy parses and verifies'],
  );
  assert.deepEqual(r.root.children, []);
  assert.equal(r.root.info.partitions, undefined);
});

test('lp-metadata: a super_empty.img from the builder; a broken geometry checksum there', async (t) => {
  const md = abMetadata();
  md.partitions = md.partitions.map((p) => ({ name: p.name, group: p.group, attributes: p.attributes }));
  const good = await inspectBytes(t, 'super_empty.img', buildSuperEmpty(md));
  assert.deepEqual(good.r.findings, [], describe(good.r.findings));
  assert.equal(good.r.root.info.image, 'super_empty');
  assert.deepEqual(good.r.root.children, []);
  const layout = good.r.root.facts.find((f) => f.kind === 'layout') as unknown as { sizesAreLimits: boolean; entries: { partition: string; sizeBytes: number }[] };
  assert.equal(layout.sizesAreLimits, true);
  assert.deepEqual(
    layout.entries.map((e) => [e.partition, e.sizeBytes]),
    md.partitions.map((p) => [p.name, 1 << 20]),
  );

  const bad = await inspectBytes(t, 'super_empty.img', buildSuperEmpty(md, {}, { geometryChecksum: ['primary'] }));
  assert.deepEqual(
    bad.r.findings.map((f) => [f.ruleId, f.message]),
    [['integrity/lp-checksum', 'geometry at offset 0: SHA-256 does not match']],
  );
});

test('lp-metadata: a group whose partitions exceed its maximum size is a layout-overlap', async (t) => {
  const md = abMetadata({
    groups: [
      { name: 'main_a', maximumSize: 64 * 1024 },
      { name: 'main_b', maximumSize: 1 << 20 },
    ],
  });
  const { image } = abImage({}, md);
  const { r } = await inspectBytes(t, 'super.img', image);
  const used = EXPECTED_CHILDREN.reduce((n, p) => n + expectedBytes(p).length, 0);
  const overlap = facts(r.root, 'layout-overlap');
  assert.equal(overlap.length, 1);
  assert.equal(overlap[0].message, `group main_a holds ${used} bytes of partitions, its maximum is 65536`);
  if (ruleRegistered('layout/overlap')) {
    const found = r.findings.filter((f) => f.ruleId === 'layout/overlap');
    assert.deepEqual(
      found.map((f) => [f.path, f.message]),
      [['', overlap[0].message]],
    );
  } else {
    t.diagnostic('layout/overlap is not registered yet: asserted on the layout-overlap fact only');
  }
  // The partitions are still readable.
  assert.deepEqual(
    r.root.children.map((c) => c.name),
    EXPECTED_CHILDREN,
  );
});

test('lp-metadata: an extent past the end of the image is format/layout-invalid; the other partitions stay children', async (t) => {
  const md = abMetadata();
  md.partitions[3] = { name: 'odm_a', group: 'main_a', extents: [{ data: ODM, start: (3 << 20) / 512 - 8 }] };
  const { image } = abImage({}, md);
  const { r } = await inspectBytes(t, 'super.img', image);
  const found = r.findings.filter((f) => f.ruleId === 'format/layout-invalid');
  assert.equal(found.length, 1, describe(r.findings));
  assert.equal(found[0].path, '');
  assert.equal(found[0].message, `partition odm_a has an extent (sectors ${(3 << 20) / 512 - 8}+${ODM.length / 512}) past the end of the super image (${3 << 20} bytes)`);
  assert.equal(r.findings.length, 1, describe(r.findings));
  assert.deepEqual(
    r.root.children.map((c) => c.name),
    ['system_a', 'vendor_a', 'cache_a'],
  );
});

test('lp-metadata: a table size of 2^31 is reported at once, with bounded memory', async (t) => {
  const { image } = abImage({ tablesSize: 2 ** 31 });
  const dir = tempDir(t);
  writeFileSync(join(dir, 'super.img'), image);
  const t0 = Date.now();
  const { value: r, arrayBuffers } = await peakMemoryGrowth(() => inspect(join(dir, 'super.img')));
  const ms = Date.now() - t0;
  assert.ok(ms < 5000, `took ${ms} ms`);
  assert.ok(arrayBuffers < 64 << 20, `array buffers grew by ${arrayBuffers} bytes`);
  const invalid = r.findings.filter((f) => f.ruleId === 'format/layout-invalid');
  assert.equal(invalid.length, 5, describe(r.findings));
  assert.match(invalid[0].message, /^slot 0 primary metadata \(offset 12288\): tables_size 2147483648 does not fit in the 65536-byte metadata area$/);
  assert.equal(invalid[4].message, 'no metadata copy parses and verifies');
  assert.deepEqual(r.root.children, []);
});

test('lp-metadata: table descriptors that lie (2^31 entries, wrong entry size) are findings', async (t) => {
  for (const [br, want] of [
    [{ descriptors: { partitions: { num: 2 ** 31 } } }, /partition table \(2147483648 x 52 at 0\) runs past tables_size/],
    [{ descriptors: { extents: { size: 32 } } }, /extent entries are 32 bytes, not 24/],
    [{ descriptors: { groups: { offset: 2 ** 32 - 1 } } }, /group table \(3 x 48 at 4294967295\) runs past tables_size/],
  ] as [LpBreaks, RegExp][]) {
    const { image } = abImage(br);
    const t0 = Date.now();
    const { r } = await inspectBytes(t, 'super.img', image);
    assert.ok(Date.now() - t0 < 5000);
    const invalid = r.findings.filter((f) => f.ruleId === 'format/layout-invalid');
    assert.ok(invalid.length >= 1 && want.test(invalid[0].message), describe(r.findings));
    assert.deepEqual(r.root.children, []);
  }
});

test('lp-metadata: attribute bits the version does not allow, and an extent index past the table', async (t) => {
  // UPDATED (bit 2) exists from 10.1 on.
  const md = abMetadata({ version: '10.0', flags: undefined });
  md.partitions[0] = { ...md.partitions[0], attributes: 0x5 };
  const v10 = await inspectBytes(t, 'super.img', abImage({}, md).image);
  assert.deepEqual(
    v10.r.findings.map((f) => [f.ruleId, f.message]),
    [['format/layout-invalid', 'slot 0 primary metadata (offset 12288): partition "system_a" has attribute bits 0x5 not allowed in 10.0']],
  );
  const v11 = await inspectBytes(t, 'super.img', abImage({}, { ...md, version: '10.1' }).image);
  assert.deepEqual(v11.r.findings, [], describe(v11.r.findings));
  assert.deepEqual((v11.r.root.info.partitions as { attributes: string[] }[])[0].attributes, ['readonly', 'updated']);

  const md2 = abMetadata();
  md2.partitions[4] = { ...md2.partitions[4], firstExtentIndex: 100, numExtents: 1 };
  const past = await inspectBytes(t, 'super.img', abImage({}, md2).image);
  assert.match(past.r.findings.map((f) => f.message).join('\n'), /partition "system_b" uses extents 100\.\.100, there are 6/);
});

test('lp-metadata: first_logical_sector inside the metadata area is format/layout-invalid', async (t) => {
  // The data stays at 1 MiB; only the block device's first usable sector is wrong.
  const md = abMetadata({ blockDevices: [{ firstLogicalSector: 256 }] });
  md.partitions = [{ name: 'system_a', group: 'main_a', extents: [{ data: SYSTEM, start: 2048 }] }];
  const { image } = buildSuperImage(md, {}, {}, { size: 3 << 20 });
  const { r } = await inspectBytes(t, 'super.img', image);
  const invalid = r.findings.filter((f) => f.ruleId === 'format/layout-invalid');
  assert.deepEqual(
    invalid.map((f) => f.message),
    [`first_logical_sector 256 lies inside the metadata area (${lpReservedBytes({})} bytes)`],
  );
  assert.equal(r.findings.length, 1, describe(r.findings));
  assert.equal(r.root.children[0]?.hashes.sha256, sha256(SYSTEM));
});

test('lp-metadata: a partition on a second block device (retrofit) is listed, not a child', async (t) => {
  const md = abMetadata({ blockDevices: [{ name: 'super' }, { name: 'system_b', size: 1 << 20 }] });
  md.partitions[0] = { ...md.partitions[0], extents: [{ data: SYSTEM, start: 2048, device: 1 }] };
  const { image } = buildSuperImage(md, {}, {}, { size: 3 << 20 });
  const { r } = await inspectBytes(t, 'super.img', image);
  assert.deepEqual(r.findings, [], describe(r.findings));
  assert.equal(r.root.info.otherBlockDevices, true);
  assert.deepEqual(
    r.root.children.map((c) => c.name),
    ['vendor_a', 'cache_a', 'odm_a'],
  );
  assert.equal((r.root.info.blockDevices as unknown[]).length, 2);
});

test('lp-metadata: geometry fields out of range are format/layout-invalid', async (t) => {
  for (const [fields, want] of [
    [{ metadataMaxSize: 1000 }, /metadata_max_size 1000 is not a multiple of 512/],
    [{ slotCount: 0 }, /metadata_slot_count 0 is not 1-8/],
    [{ logicalBlockSize: 100 }, /logical_block_size 100 is not a multiple of 512/],
  ] as [LpGeometrySpec, RegExp][]) {
    const { image } = abImage({ geometryFields: fields });
    const { r } = await inspectBytes(t, 'super.img', image);
    const msgs = r.findings.map((f) => `${f.ruleId}: ${f.message}`).join('\n');
    assert.match(msgs, want);
    assert.match(msgs, /format\/layout-invalid: no usable geometry/);
    assert.deepEqual(
      errors(r).filter((f) => f.ruleId === 'integrity/lp-checksum'),
      [],
      'the checksums are right',
    );
    assert.deepEqual(r.root.children, []);
  }
});

test('lp-metadata: ZERO extents count against --max-expanded (1 GiB of zeros under a 64 MiB budget)', async (t) => {
  // 60 bytes of extent table describe 1 GiB that is nowhere in the file: like
  // a sparse image's holes, it must be charged before it is read.
  const md = abMetadata();
  md.partitions[2] = { name: 'cache_a', group: 'main_a', extents: [{ type: 'zero', sectors: 2 ** 21 }] };
  md.groups = [{ name: 'main_a' }, { name: 'main_b' }];
  const { image } = abImage({}, md);
  const dir = tempDir(t);
  writeFileSync(join(dir, 'super.img'), image);
  const r = await inspect(join(dir, 'super.img'), { budget: { maxExpandedBytes: 64 << 20 } });
  const budget = r.findings.filter((f) => f.ruleId === 'format/budget-exceeded');
  assert.ok(budget.length >= 1, `expected a format/budget-exceeded finding; got:\n${describe(r.findings)}`);
  const cache = r.root.children.find((c) => c.name === 'cache_a');
  assert.ok(!cache?.hashes.sha256, 'the 1 GiB partition was not read');
});

test('lp-metadata: a ZERO extent of 2^40 sectors does not make inspect run for ever', (t) => {
  // 512 TiB of zeros from one 24-byte extent entry, under the default budget
  // (at most 1 TiB). Run in a child process so a hang is a failure, not a stuck suite.
  const md = abMetadata();
  md.partitions[2] = { name: 'cache_a', group: 'main_a', extents: [{ type: 'zero', sectors: 2 ** 40 }] };
  md.groups = [{ name: 'main_a' }, { name: 'main_b' }];
  const { image } = abImage({}, md);
  const dir = tempDir(t);
  writeFileSync(join(dir, 'super.img'), image);
  const res = spawnSync(process.execPath, [BIN, 'inspect', '--json', join(dir, 'super.img')], { encoding: 'utf8', timeout: 20_000, maxBuffer: 64 << 20 });
  assert.equal(res.signal, null, 'romscope inspect was still running after 20 s (killed)');
  const report = JSON.parse(res.stdout) as Report;
  assert.ok(
    report.findings.some((f) => f.ruleId === 'format/budget-exceeded'),
    `expected a format/budget-exceeded finding; got:\n${describe(report.findings)}`,
  );
});

test('lp-metadata: a full image with its primary geometry wiped is still read, through the backup geometry', async (t) => {
  // liblp's reader falls back to the backup geometry at 8192 (FORMATS.md §4.2).
  const { image } = abImage();
  image.fill(0, 4096, 8192);
  const { r, file } = await inspectBytes(t, 'super.img', image);
  assert.equal(r.root.format, 'lp-metadata', 'detected through the backup geometry');
  const about = r.findings.filter((f) => f.ruleId === 'integrity/lp-checksum' || f.ruleId === 'format/layout-invalid');
  assert.ok(about.length >= 1 && about.every((f) => f.path === ''), `the wiped primary geometry is reported; got:\n${describe(r.findings)}`);
  assert.match(about.map((f) => f.message).join('\n'), /offset 4096/);
  await assertPartitions(t, file, '', r);
});

test('lp-metadata: a wiped metadata copy is reported; the image is still read', async (t) => {
  const { image } = abImage({ wipe: [{ slot: 0, copy: 'primary' }] });
  const { r, file } = await inspectBytes(t, 'super.img', image);
  assert.deepEqual(
    r.findings.map((f) => [f.ruleId, f.message]),
    [['format/layout-invalid', 'slot 0 primary metadata (offset 12288): no metadata header magic']],
  );
  await assertPartitions(t, file, '', r);
});

test('lp-metadata: a super image cut short is an error, not a crash', async (t) => {
  const { image } = abImage();
  const { r } = await inspectBytes(t, 'super.img', image.subarray(0, 150_000));
  assert.equal(r.root.format, 'lp-metadata');
  assert.ok(errors(r).length >= 1, describe(r.findings));
  assert.ok(
    r.root.children.every((c) => c.hashes.sha256),
    'no child is left half-read',
  );
});

test('lp-metadata: a geometry struct_size other than 52 is format/layout-invalid, not a checksum failure', async (t) => {
  // The SHA-256 is right for the 64 bytes struct_size announces (liblp hashes
  // struct_size bytes, then rejects the size): only the size is wrong.
  const { image } = abImage({ geometryStructSize: 64 });
  const { r } = await inspectBytes(t, 'super.img', image);
  assert.deepEqual(
    r.findings.map((f) => [f.ruleId, f.message]),
    [
      ['format/layout-invalid', 'geometry at offset 4096: geometry struct_size is 64, not 52'],
      ['format/layout-invalid', 'geometry at offset 8192: geometry struct_size is 64, not 52'],
      ['format/layout-invalid', 'no usable geometry'],
    ],
    describe(r.findings),
  );
  assert.equal(r.summary.integrity.failed, 0, 'no checksum failed');
  assert.deepEqual(r.root.children, []);
});
