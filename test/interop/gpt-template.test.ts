/**
 * Interop: GPT table files as MediaTek ships them, made
 * from tables sgdisk wrote: `PGPT` (protective MBR, header, entries) and
 * `SGPT` (entries, backup header) with both CRC fields zero for SP Flash
 * Tool to fill in, and userdata at LBA 0..0 for the tool to grow to the end
 * of the disk. They are templates (info, a `gpt-template` fact), not CRC or
 * overlap errors; a wrong non-zero CRC, or zero CRCs on a whole disk, still
 * fail. Images are built at test time.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/index';
import { isLayoutFact } from '../../src/formats/layout';
import { tempDir, runTool, requireTools, ofFormat } from '../helpers';
import { pseudoRandom } from '../../fixtures/builders/data';
import { describe, errors } from './util';

process.env.PATH = `${process.env.PATH ?? ''}:/usr/sbin:/sbin`;

const SS = 512;
const DISK = 16 << 20;
const PARTS = [
  { n: 1, first: 64, last: 2111, name: 'recovery' },
  { n: 2, first: 2112, last: 3135, name: 'misc' },
  { n: 3, first: 3136, last: 9000, name: 'userdata' },
];

interface TemplateInfo {
  dumpKind: string;
  template?: { crcFields: string; table: string; placedOnDevice?: string[] };
  headers: { primary?: { headerCrc: string; entriesCrc: string }; backup?: { headerCrc: string; entriesCrc: string } };
  partitions: { index: number; name: string; firstLba: number; lastLba: number }[];
}

/** A 16 MiB disk partitioned by sgdisk, and its rows as `sgdisk -p` prints them. */
function sgdiskDisk(t: TestContext): { disk: Buffer; rows: { n: number; start: number; end: number; name: string }[] } {
  const file = join(tempDir(t), 'disk.img');
  writeFileSync(file, '');
  truncateSync(file, DISK);
  const args = ['-o', '-a', '1'];
  for (const p of PARTS) args.push('-n', `${p.n}:${p.first}:${p.last}`, '-t', `${p.n}:8300`, '-c', `${p.n}:${p.name}`);
  runTool('sgdisk', [...args, file]);
  const rows: { n: number; start: number; end: number; name: string }[] = [];
  for (const line of runTool('sgdisk', ['-p', file]).stdout.toString('utf8').split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+[\d.]+ \S+\s+[0-9A-F]{4} {2}(.*)$/.exec(line);
    if (m) rows.push({ n: Number(m[1]), start: Number(m[2]), end: Number(m[3]), name: m[4] });
  }
  return { disk: readFileSync(file), rows };
}

/** MediaTek's edits: both CRC fields zero; the last partition (userdata) at LBA 0..0. `header` is the header's offset in `b`, `entries` the array's. */
function mtkTemplate(b: Buffer, header: number, entries: number): Buffer {
  const out = Buffer.from(b);
  out.writeUInt32LE(0, header + 16);
  out.writeUInt32LE(0, header + 88);
  const last = entries + (PARTS.length - 1) * 128;
  out.writeBigUInt64LE(0n, last + 32);
  out.writeBigUInt64LE(0n, last + 40);
  return out;
}

async function inspectAs(t: TestContext, name: string, bytes: Buffer) {
  const file = join(tempDir(t), name);
  writeFileSync(file, bytes);
  return inspect(file);
}

test('PGPT (sgdisk primary table, CRCs zeroed, userdata 0..0): a template with no findings; rows as sgdisk -p prints them', async (t) => {
  if (!requireTools(t, 'sgdisk')) return;
  const { disk, rows } = sgdiskDisk(t);
  assert.equal(rows.length, 3, 'premise: sgdisk made every partition');
  const pgpt = mtkTemplate(disk.subarray(0, 34 * SS), SS, 2 * SS);
  for (const [name, bytes] of [
    ['PGPT', pgpt],
    ['pgpt.bin', pgpt],
    // Padded with zeros past its table, under a name that says nothing: still a primary-only table, not a cut disk.
    ['table.bin', Buffer.concat([pgpt, Buffer.alloc(64 * 1024)])],
  ] as const) {
    const r = await inspectAs(t, name, bytes);
    assert.deepEqual(r.findings, [], `${name}: ${describe(r.findings)}`);
    const gi = r.root.info as unknown as TemplateInfo;
    assert.equal(gi.dumpKind, 'gpt_main', name);
    assert.deepEqual(gi.template, { crcFields: 'zero', table: 'primary', placedOnDevice: ['userdata'] }, name);
    assert.deepEqual([gi.headers.primary!.headerCrc, gi.headers.primary!.entriesCrc], ['zero', 'zero']);
    assert.deepEqual(
      gi.partitions.slice(0, 2).map((p) => ({ n: p.index, start: p.firstLba, end: p.lastLba, name: p.name })),
      rows.slice(0, 2),
      'rows of sgdisk -p',
    );
    assert.equal(gi.partitions[2].name, rows[2].name);
    const f = r.root.facts.find((x) => x.kind === 'gpt-template');
    assert.match(f?.message ?? '', /CRC fields are zero.*userdata is placed or sized to the end of the disk by the flash tool/);
    const layout = r.root.facts.find(isLayoutFact)!;
    assert.deepEqual(
      layout.entries.find((e) => e.partition === 'userdata'),
      { partition: 'userdata', file: null, sizeBytes: null, startBytes: null, device: 'disk', flashed: false },
      'the flash tool sizes it: no size to compare images with',
    );
    assert.deepEqual(r.summary.integrity, { status: 'unchecked', checks: 0, failed: 0 });
  }
});

test('SGPT (sgdisk backup entries and header, CRCs zeroed): a backup template with no findings', async (t) => {
  if (!requireTools(t, 'sgdisk')) return;
  const { disk, rows } = sgdiskDisk(t);
  const sgpt = mtkTemplate(disk.subarray(disk.length - 33 * SS), 32 * SS, 0);
  const r = await inspectAs(t, 'SGPT', sgpt);
  assert.deepEqual(r.findings, [], describe(r.findings));
  const gi = r.root.info as unknown as TemplateInfo;
  assert.equal(gi.dumpKind, 'gpt_backup');
  assert.deepEqual(gi.template, { crcFields: 'zero', table: 'backup', placedOnDevice: ['userdata'] });
  assert.deepEqual(
    gi.partitions.slice(0, 2).map((p) => ({ n: p.index, start: p.firstLba, end: p.lastLba, name: p.name })),
    rows.slice(0, 2),
  );
});

test('a table file whose CRC field is wrong and not zero still fails; zero CRCs on a whole disk still fail', async (t) => {
  if (!requireTools(t, 'sgdisk')) return;
  const { disk } = sgdiskDisk(t);
  const pgpt = mtkTemplate(disk.subarray(0, 34 * SS), SS, 2 * SS);
  // Only the header CRC zero: not a template; the header CRC fails, the array CRC still matches.
  const half = Buffer.from(disk.subarray(0, 34 * SS));
  half.writeUInt32LE(0, SS + 16);
  const r1 = await inspectAs(t, 'PGPT', half);
  assert.deepEqual(
    errors(r1).map((f) => f.ruleId),
    ['integrity/gpt-crc'],
    describe(r1.findings),
  );
  assert.equal((r1.root.info as unknown as TemplateInfo).template?.crcFields, 'set');
  const wrong = Buffer.from(pgpt);
  wrong.writeUInt32LE(1, SS + 16);
  const r2 = await inspectAs(t, 'PGPT', wrong);
  assert.ok(
    errors(r2).some((f) => f.ruleId === 'integrity/gpt-crc' && /header says 00000001/.test(f.message)),
    describe(r2.findings),
  );
  assert.ok(
    errors(r2).some((f) => f.ruleId === 'layout/overlap'),
    'with its CRCs set it is no MediaTek template: userdata at LBA 0 lies over the table',
  );
  const zeroDisk = Buffer.from(disk);
  zeroDisk.writeUInt32LE(0, SS + 16);
  zeroDisk.writeUInt32LE(0, SS + 88);
  const r3 = await inspectAs(t, 'disk.img', zeroDisk);
  assert.equal(ofFormat(r3.root, 'gpt').info.dumpKind, 'disk');
  assert.ok(
    errors(r3).some((f) => f.ruleId === 'integrity/gpt-crc'),
    describe(r3.findings),
  );
});

test('a primary table followed by partition data, with its backup beyond the file, is a disk cut short', async (t) => {
  if (!requireTools(t, 'sgdisk')) return;
  const { disk } = sgdiskDisk(t);
  const cut = Buffer.concat([disk.subarray(0, 64 * SS), pseudoRandom(4096, 7)]);
  const r = await inspectAs(t, 'table.bin', cut);
  assert.equal(ofFormat(r.root, 'gpt').info.dumpKind, 'disk');
  assert.deepEqual(
    errors(r).map((f) => `${f.ruleId} ${f.path}`),
    ['integrity/truncated ', 'integrity/truncated recovery'],
    describe(r.findings),
  );
});
