/**
 * Corpus: a real Qualcomm gpt_both0.bin (Xiaomi Pad 5 "nabu", UFS LUN 0,
 * 4096-byte sectors, as shipped by ArKT-7/won-deployer) decodes with no
 * errors: both headers and entry arrays verify, 31 partitions are listed,
 * the last (userdata) with the zero size ptool leaves for patch0.xml to fill.
 * The corpus is never copied into the project; the test skips visibly when
 * it is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from '../../src/index';
import { isLayoutFact } from '../../src/formats/layout';
import { corpusFile } from '../helpers';
import { describe, errors } from '../interop/util';

interface Part {
  index: number;
  name: string;
  firstLba: number;
  lastLba: number;
  sizeBytes: number;
  type: string;
  typeName?: string;
  attributeFlags?: string[];
}

test('corpus gpt/arkt7_nabu_gpt_both0.bin: gpt_both dump, 4096-byte sectors, no errors, partitions listed', async (t) => {
  const path = corpusFile(t, 'gpt/arkt7_nabu_gpt_both0.bin');
  if (!path) return;
  const r = await inspect(path);
  assert.deepEqual(errors(r), [], describe(r.findings));
  assert.deepEqual(r.findings, [], describe(r.findings));
  assert.equal(r.root.format, 'gpt');
  assert.equal(r.root.size, 45056);
  assert.equal(r.root.hashes.sha256, '79b025d05b855038203b1b0ae2fff3b37189ba9403ad7498680cb822d5a0f185', 'sha256 recorded in MANIFEST.tsv');
  const info = r.root.info as {
    dumpKind: string;
    sectorSize: number;
    lun: number;
    diskGuid: string;
    partitionsFrom: string;
    headers: { primary: { valid: boolean; lba: number }; backup: { valid: boolean; lba: number; offset: number } };
    protectiveMbr: { valid: boolean };
    partitions: Part[];
  };
  assert.equal(info.dumpKind, 'gpt_both');
  assert.equal(info.sectorSize, 4096);
  assert.equal(info.lun, 0);
  assert.equal(info.diskGuid, 'FC1EB6F8-0AD8-E0D2-9B0C-72EC73C71E82');
  assert.equal(info.partitionsFrom, 'primary');
  assert.equal(info.protectiveMbr.valid, true);
  assert.equal(info.headers.primary.valid, true);
  assert.equal(info.headers.backup.valid, true);
  // This dump was taken after patch0.xml: the backup knows its place on the 2654277-sector LUN.
  assert.equal(info.headers.backup.lba, 2654276);
  assert.equal(info.headers.backup.offset, 45056 - 4096);
  // Header and entry array of both copies.
  assert.deepEqual(r.summary.integrity, { status: 'verified', checks: 4, failed: 0 });
  assert.equal(r.root.children.length, 0, 'a dump holds no partition data');

  const parts = info.partitions;
  assert.equal(parts.length, 31);
  assert.deepEqual(
    parts.map((p) => p.index),
    Array.from({ length: 31 }, (_, i) => i + 1),
  );
  const names = parts.map((p) => p.name);
  for (const n of ['switch', 'keystore', 'frp', 'misc', 'devinfo', 'metadata', 'super', 'vbmeta_system_a', 'vbmeta_system_b', 'cust', 'rescue', 'userdata']) assert.ok(names.includes(n), `partition ${n}`);
  const byName = new Map(parts.map((p) => [p.name, p]));
  assert.deepEqual([byName.get('switch')!.firstLba, byName.get('switch')!.lastLba, byName.get('switch')!.sizeBytes], [6, 7, 8192]);
  assert.deepEqual([byName.get('super')!.firstLba, byName.get('super')!.lastLba], [49152, 2277375]);
  assert.equal(byName.get('super')!.sizeBytes, (2277375 - 49152 + 1) * 4096);
  assert.deepEqual(byName.get('super')!.attributeFlags, ['read-only']);
  assert.equal(byName.get('keystore')!.typeName, 'Android keystore');
  assert.equal(byName.get('keystore')!.type, 'DE7D4029-0F5B-41C8-AE7E-F6C023A02B33');
  // The grow-to-fill partition: no sectors until the device's size is known.
  assert.equal(byName.get('userdata')!.sizeBytes, 0);
  // Partitions follow each other without overlap.
  const sized = parts.filter((p) => p.sizeBytes > 0);
  for (let i = 1; i < sized.length; i++) assert.equal(sized[i].firstLba, sized[i - 1].lastLba + 1, `${sized[i].name} follows ${sized[i - 1].name}`);

  const layout = r.root.facts.find(isLayoutFact)!;
  assert.equal(layout.layout, 'gpt');
  assert.equal(layout.entries.length, 31);
  assert.ok(layout.entries.every((e) => e.device === 'lun0' && e.file === null && e.flashed === false));
  assert.equal(layout.deviceBytes, undefined, 'a dump does not know the disk it was made for as a whole');
  assert.deepEqual(
    layout.entries.find((e) => e.partition === 'frp'),
    { partition: 'frp', file: null, sizeBytes: 128 * 4096, startBytes: 384 * 4096, device: 'lun0', flashed: false },
  );
});

test('corpus xiaomi-fastboot/begonia/images/PGPT_UFS: a stock MediaTek GPT template (CRC fields zero), no findings', async (t) => {
  const path = corpusFile(t, 'xiaomi-fastboot/begonia/images/PGPT_UFS');
  if (!path) return;
  const r = await inspect(path);
  assert.deepEqual(r.findings, [], describe(r.findings));
  assert.equal(r.root.hashes.sha256, 'a226ae248968166736d2e318bc6bd191f2905eab64c41bbee403085ec30cf267', 'sha256 recorded in MANIFEST.tsv');
  const info = r.root.info as {
    dumpKind: string;
    sectorSize: number;
    template: { crcFields: string; table: string; placedOnDevice: string[] };
    headers: { primary: { valid: boolean; headerCrc: string; entriesCrc: string } };
    partitions: Part[];
  };
  assert.equal(info.dumpKind, 'gpt_main');
  assert.equal(info.sectorSize, 4096);
  assert.deepEqual(info.template, { crcFields: 'zero', table: 'primary', placedOnDevice: ['userdata', 'flashinfo'] });
  assert.deepEqual([info.headers.primary.valid, info.headers.primary.headerCrc, info.headers.primary.entriesCrc], [true, 'zero', 'zero']);
  assert.equal(info.partitions.length, 47);
  const byName = new Map(info.partitions.map((p) => [p.name, p]));
  assert.deepEqual([byName.get('recovery')!.firstLba, byName.get('recovery')!.lastLba], [8, 16391]);
  assert.deepEqual([byName.get('cust')!.firstLba, byName.get('cust')!.lastLba], [1697792, 1910783]);
  // Partitions the flash tool does not place follow each other without overlap.
  const placed = info.partitions.filter((p) => p.firstLba !== 0);
  for (let i = 1; i < placed.length; i++) assert.equal(placed[i].firstLba, placed[i - 1].lastLba + 1, `${placed[i].name} follows ${placed[i - 1].name}`);
  assert.match(r.root.facts.find((f) => f.kind === 'gpt-template')!.message, /CRC fields are zero/);
  assert.deepEqual(r.summary.integrity, { status: 'unchecked', checks: 0, failed: 0 });
});

test('corpus qcom-edl/qk1607/gpt_main0.bin: a Qualcomm primary-only template with its CRCs set and verified, no findings', async (t) => {
  const path = corpusFile(t, 'qcom-edl/qk1607/gpt_main0.bin');
  if (!path) return;
  const r = await inspect(path);
  assert.deepEqual(r.findings, [], describe(r.findings));
  const info = r.root.info as { dumpKind: string; template: { crcFields: string; table: string; placedOnDevice: string[] } };
  assert.equal(info.dumpKind, 'gpt_main');
  // userdata is written with no sectors (LBAs 10223616..10223615): patch0.xml grows it on the device.
  assert.deepEqual(info.template, { crcFields: 'set', table: 'primary', placedOnDevice: ['userdata'] });
  assert.deepEqual(r.summary.integrity, { status: 'verified', checks: 2, failed: 0 });
});
