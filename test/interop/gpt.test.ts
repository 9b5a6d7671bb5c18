/**
 * Interop: GPT disks partitioned by the reference sgdisk (random partitions,
 * names, type codes and attribute bits, 128 and 200 entries) read exactly as
 * `sgdisk -p` and `sgdisk -i` print them; each partition is a child with the
 * right bytes. Damaged headers fall back to the backup as EDK2 does; hostile
 * entry counts are findings, fast and in bounded memory. MBR disks written
 * by sfdisk read as `sfdisk -d` prints them. Images are built at test time.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { openSync, closeSync, writeSync, readFileSync, writeFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { inspect } from '../../src/index';
import type { Artifact, Report } from '../../src/report/model';
import { isLayoutFact } from '../../src/formats/layout';
import { gptHandler } from '../../src/formats/gpt';
import { BufferSource } from '../../src/io/source';
import { Budget, defaultBudget } from '../../src/io/limits';
import { mbrHandler } from '../../src/formats/mbr';
import { tempDir, runTool, requireTools, runCli, ofFormat } from '../helpers';
import { pseudoRandom } from '../../fixtures/builders/data';
import { buildGptDisk, buildGptDump, buildMbrDisk, buildMbrSector, type GptPartitionSpec } from '../../fixtures/builders/gpt';
import { describe, errors, peakMemoryGrowth, sha256 } from './util';

// Debian installs sgdisk and sfdisk in /usr/sbin, which a normal user's PATH lacks.
process.env.PATH = `${process.env.PATH ?? ''}:/usr/sbin:/sbin`;

const MiB = 1 << 20;
const DISK = 64 * MiB;

/** Type codes used in the random tables: every one is in romscope's name table. */
const CODES = ['8300', '8200', '0700', 'ef00', 'ef02', ...Array.from({ length: 0x41 }, (_, i) => `a0${i.toString(16).padStart(2, '0')}`)];
const NAMES = ['boot_a', 'boot_b', 'system', 'vendor_b', 'userdata', 'modemst1', 'sys tem', 'ÄÖü-persist', 'ß中文', 'x'.repeat(36), 'metadata', 'misc', 'boot_a'];
const ATTR_BITS = [0, 2, 48, 49, 50, 51, 52, 54, 55, 60];

interface Part {
  number: number;
  name: string;
  first: number;
  last: number;
  code: string;
  bits: number[];
}

interface GptInfo {
  dumpKind: string;
  sectorSize: number;
  diskGuid: string;
  partitionsFrom: string;
  firstUsableLba: number;
  lastUsableLba: number;
  headers: { primary?: { valid: boolean; numEntries: number; headerCrc: string; entriesCrc: string }; backup?: { valid: boolean; numEntries: number } };
  partitions: { index: number; name: string; type: string; typeName?: string; guid: string; firstLba: number; lastLba: number; sizeBytes: number; attributes: string; attributeFlags?: string[] }[];
}

function rng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

/** A random table for a disk of `sectors`: partitions in disk order with random gaps, numbered out of order. */
function randomTable(seed: number, sectors: number, maxEntries: number, firstUsable: number): Part[] {
  const r = rng(seed);
  const n = 1 + r(12);
  const numbers = new Set<number>();
  while (numbers.size < n) numbers.add(1 + r(maxEntries));
  const nums = [...numbers];
  const lastUsable = sectors - firstUsable - 1;
  const out: Part[] = [];
  let at = firstUsable + r(3000);
  for (let i = 0; i < n; i++) {
    const size = 1 + r(i % 3 === 0 ? 9000 : 500);
    if (at + size - 1 > lastUsable) break;
    const bits = ATTR_BITS.filter(() => r(4) === 0);
    out.push({ number: nums[i], name: r(8) === 0 ? '' : NAMES[r(NAMES.length)], first: at, last: at + size - 1, code: CODES[r(CODES.length)], bits });
    at += size + (r(3) === 0 ? r(2048) : 0);
  }
  return out;
}

/** A sparse 64 MiB file partitioned by sgdisk; each partition starts with distinct bytes so the children differ. */
function sgdiskDisk(t: TestContext, parts: Part[], extra: string[] = []): string {
  const file = join(tempDir(t), 'disk.img');
  writeFileSync(file, '');
  truncateSync(file, DISK);
  const args = ['-o', '-a', '1', ...extra];
  for (const p of parts) {
    args.push('-n', `${p.number}:${p.first}:${p.last}`, '-t', `${p.number}:${p.code}`);
    if (p.name) args.push('-c', `${p.number}:${p.name}`);
    for (const b of p.bits) args.push('-A', `${p.number}:set:${b}`);
  }
  runTool('sgdisk', [...args, file]);
  const fd = openSync(file, 'r+');
  try {
    parts.forEach((p, i) => writeSync(fd, pseudoRandom(Math.min(4096, (p.last - p.first + 1) * 512), 100 + i), 0, undefined, p.first * 512));
  } finally {
    closeSync(fd);
  }
  return file;
}

interface SgdiskRow {
  number: number;
  start: number;
  end: number;
  code: string;
  name: string;
}

interface SgdiskTable {
  diskGuid: string;
  entries: number;
  firstUsable: number;
  lastUsable: number;
  rows: SgdiskRow[];
}

/** `sgdisk -p IMG`: the disk lines and one row per partition (number start end size unit code name). */
function sgdiskPrint(file: string): SgdiskTable {
  const out = runTool('sgdisk', ['-p', file]).stdout.toString('utf8');
  const rows: SgdiskRow[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+[\d.]+ \S+\s+([0-9A-F]{4})(?: {2}(.*))?$/.exec(line);
    if (m) rows.push({ number: Number(m[1]), start: Number(m[2]), end: Number(m[3]), code: m[4], name: m[5] ?? '' });
  }
  const usable = /First usable sector is (\d+), last usable sector is (\d+)/.exec(out)!;
  return {
    diskGuid: /Disk identifier \(GUID\): (\S+)/.exec(out)![1],
    entries: Number(/holds up to (\d+) entries/.exec(out)![1]),
    firstUsable: Number(usable[1]),
    lastUsable: Number(usable[2]),
    rows,
  };
}

/** `sgdisk -i N IMG`: type GUID and its gdisk name, unique GUID, attribute flags. */
function sgdiskInfo(file: string, n: number): { type: string; typeName: string; guid: string; attributes: string; name: string } {
  const out = runTool('sgdisk', ['-i', String(n), file]).stdout.toString('utf8');
  const type = /Partition GUID code: (\S+) \((.*)\)/.exec(out)!;
  return {
    type: type[1],
    typeName: type[2],
    guid: /Partition unique GUID: (\S+)/.exec(out)![1],
    attributes: /Attribute flags: ([0-9A-F]+)/i.exec(out)![1].toUpperCase(),
    name: /Partition name: '(.*)'/.exec(out)![1],
  };
}

/** romscope's table agrees with sgdisk's, row by row; every child is the partition's bytes. */
function assertMatchesSgdisk(r: Report, file: string, ref: SgdiskTable, info = new Map<number, ReturnType<typeof sgdiskInfo>>()): void {
  const gi = r.root.info as unknown as GptInfo;
  assert.equal(r.root.format, 'gpt');
  assert.equal(gi.dumpKind, 'disk');
  assert.equal(gi.sectorSize, 512);
  assert.equal(gi.diskGuid, ref.diskGuid);
  assert.equal(gi.firstUsableLba, ref.firstUsable);
  assert.equal(gi.lastUsableLba, ref.lastUsable);
  // sgdisk -p cuts long names to "xxxxxxxxxxxxxxxxxxx..."; sgdisk -i (below) prints them whole.
  const shown = (name: string, printed: string) => (printed.endsWith('...') && name.startsWith(printed.slice(0, -3)) ? printed : name);
  assert.deepEqual(
    gi.partitions.map((p, i) => ({ number: p.index, start: p.firstLba, end: p.lastLba, name: shown(p.name, ref.rows[i]?.name ?? '') })),
    ref.rows.map((x) => ({ number: x.number, start: x.start, end: x.end, name: x.name })),
    'rows of sgdisk -p',
  );
  for (const p of gi.partitions) {
    const i = info.get(p.index) ?? sgdiskInfo(file, p.index);
    info.set(p.index, i);
    assert.equal(p.type, i.type, `partition ${p.index} type GUID`);
    assert.equal(p.typeName, i.typeName, `partition ${p.index} type name`);
    assert.equal(p.guid, i.guid, `partition ${p.index} unique GUID`);
    assert.equal(p.attributes, i.attributes, `partition ${p.index} attributes`);
    assert.equal(p.name, i.name);
    assert.equal(p.sizeBytes, (p.lastLba - p.firstLba + 1) * 512);
  }
  // Children: one per partition, in entry order, named after it (#n for a repeated name), with its bytes.
  const disk = readFileSync(file);
  assert.equal(r.root.children.length, gi.partitions.length);
  const seen = new Map<string, number>();
  gi.partitions.forEach((p, k) => {
    const c: Artifact = r.root.children[k];
    const base = p.name === '' ? `partition${p.index}` : p.name;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    assert.equal(c.name, n === 1 ? base : `${base}#${n}`);
    assert.equal(c.size, p.sizeBytes, `child ${c.name} size`);
    assert.equal(c.hashes.sha256, sha256(disk.subarray(p.firstLba * 512, (p.lastLba + 1) * 512)), `child ${c.name} bytes`);
  });
}

for (const seed of [1, 2, 3, 4, 5]) {
  test(`sgdisk disk, seed ${seed}: every row of sgdisk -p and -i matches, children are the partitions`, async (t) => {
    if (!requireTools(t, 'sgdisk')) return;
    const parts = randomTable(seed, DISK / 512, 128, 34);
    const file = sgdiskDisk(t, parts);
    assert.match(runTool('sgdisk', ['-v', file]).stdout.toString(), /No problems found/, 'premise: sgdisk -v is happy');
    const ref = sgdiskPrint(file);
    assert.equal(ref.rows.length, parts.length, 'premise: sgdisk made every partition');
    const r = await inspect(file);
    assert.deepEqual(errors(r), [], describe(r.findings));
    assert.deepEqual(r.findings, [], describe(r.findings));
    assertMatchesSgdisk(r, file, ref);
    const gi = r.root.info as unknown as GptInfo;
    assert.equal(gi.partitionsFrom, 'primary');
    assert.equal(gi.headers.primary?.numEntries, 128);
    assert.equal(gi.headers.backup?.valid, true);
    // Two headers and two entry arrays, each CRC-checked.
    assert.deepEqual(r.summary.integrity, { status: 'verified', checks: 4, failed: 0 });
    const layout = r.root.facts.find(isLayoutFact)!;
    assert.equal(layout.layout, 'gpt');
    assert.deepEqual(layout.deviceBytes, { disk: (ref.lastUsable + 1) * 512 });
    assert.deepEqual(
      layout.entries.map((e) => [e.partition, e.startBytes, e.sizeBytes, e.device, e.flashed, e.file]),
      ref.rows.map((x, i) => [gi.partitions[i].name, x.start * 512, (x.end - x.start + 1) * 512, 'disk', false, null]),
    );
  });
}

test('sgdisk -S 200 (200 entries, a 50-sector array): rows match', async (t) => {
  if (!requireTools(t, 'sgdisk')) return;
  for (const seed of [11, 12]) {
    const parts = randomTable(seed, DISK / 512, 200, 52);
    const file = sgdiskDisk(t, parts, ['-S', '200']);
    const ref = sgdiskPrint(file);
    assert.equal(ref.entries, 200, 'premise: sgdisk wrote 200 entries');
    assert.equal(ref.firstUsable, 52);
    const r = await inspect(file);
    assert.deepEqual(r.findings, [], describe(r.findings));
    assertMatchesSgdisk(r, file, ref);
    assert.equal((r.root.info as unknown as GptInfo).headers.primary?.numEntries, 200);
  }
});

test("our builder's 512-byte-sector disk reads the same in sgdisk and romscope", async (t) => {
  if (!requireTools(t, 'sgdisk')) return;
  const parts: GptPartitionSpec[] = [
    { name: 'boot_a', firstLba: 40, lastLba: 1063, type: '20117F86-E985-4357-B9EE-374BC1D8487D', attributes: 0x0037000000000000n },
    { name: 'modemst1', firstLba: 2048, lastLba: 2048, type: 'EBBEADAF-22C9-E33B-8F5D-0E81686A68CB' },
    { name: 'super', firstLba: 3000, lastLba: 8000, attributes: 1n << 60n },
  ];
  const file = join(tempDir(t), 'b.img');
  writeFileSync(file, buildGptDisk(parts, { mark: true }));
  assert.match(runTool('sgdisk', ['-v', file]).stdout.toString(), /No problems found/, "premise: sgdisk accepts the builder's disk");
  const ref = sgdiskPrint(file);
  assert.deepEqual(
    ref.rows.map((x) => [x.number, x.start, x.end, x.name]),
    parts.map((p, i) => [i + 1, p.firstLba, p.lastLba, p.name]),
  );
  const r = await inspect(file);
  assert.deepEqual(r.findings, [], describe(r.findings));
  assertMatchesSgdisk(r, file, ref);
  const flags = (r.root.info as unknown as GptInfo).partitions.map((p) => p.attributeFlags);
  assert.deepEqual(flags, [['priority=3', 'active', 'retry=6'], undefined, ['read-only']]);
});

test('4096-byte sectors (built by our builder; sgdisk cannot make them on a file): header at 4096, sizes in 4 KiB sectors', async (t) => {
  const parts: GptPartitionSpec[] = [
    { name: 'xbl_a', firstLba: 6, lastLba: 1029 },
    { name: 'ufs_misc', firstLba: 1030, lastLba: 1030, type: '82ACC91F-357C-4A68-9C8F-689E1B1A23A1' },
    { name: 'super', firstLba: 2000, lastLba: 4000 },
  ];
  const bytes = buildGptDisk(parts, { sectorSize: 4096, sectors: 8192, numEntries: 32, mark: true });
  const file = join(tempDir(t), 'lun0.img');
  writeFileSync(file, bytes);
  const r = await inspect(file);
  assert.deepEqual(r.findings, [], describe(r.findings));
  const gi = r.root.info as unknown as GptInfo;
  assert.equal(gi.sectorSize, 4096);
  assert.equal(gi.firstUsableLba, 2 + 4, 'a 16 KiB array is 4 sectors of 4 KiB');
  assert.deepEqual(
    gi.partitions.map((p) => [p.name, p.firstLba, p.lastLba, p.sizeBytes, p.typeName]),
    [
      ['xbl_a', 6, 1029, 1024 * 4096, 'Linux filesystem'],
      ['ufs_misc', 1030, 1030, 4096, 'Android misc 1'],
      ['super', 2000, 4000, 2001 * 4096, 'Linux filesystem'],
    ],
  );
  assert.deepEqual(
    r.root.children.map((c) => [c.name, c.size, c.hashes.sha256]),
    parts.map((p) => [p.name, (p.lastLba - p.firstLba + 1) * 4096, sha256(bytes.subarray(p.firstLba * 4096, (p.lastLba + 1) * 4096))]),
  );
  assert.deepEqual(r.summary.integrity, { status: 'verified', checks: 4, failed: 0 });
});

/** An sgdisk disk and its table before any damage. */
function damagedSetup(t: TestContext, seed: number): { file: string; ref: SgdiskTable; info: Map<number, ReturnType<typeof sgdiskInfo>> } {
  const parts = randomTable(seed, DISK / 512, 128, 34);
  const file = sgdiskDisk(t, parts);
  const ref = sgdiskPrint(file);
  const info = new Map(ref.rows.map((x) => [x.number, sgdiskInfo(file, x.number)]));
  return { file, ref, info };
}

function patch(file: string, at: number, bytes: Buffer): void {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, at);
  } finally {
    closeSync(fd);
  }
}

/** Rewrites a header field and fixes the header CRC, so only the field itself is wrong. */
function setHeaderField(file: string, headerAt: number, field: number, value: Buffer): void {
  const h = Buffer.from(readFileSync(file).subarray(headerAt, headerAt + 92));
  value.copy(h, field);
  h.writeUInt32LE(0, 16);
  h.writeUInt32LE(crc32(h) >>> 0, 16);
  patch(file, headerAt, h);
}

test('a corrupted primary header CRC: integrity/gpt-crc, partitions read from the backup', async (t) => {
  if (!requireTools(t, 'sgdisk')) return;
  const { file, ref, info } = damagedSetup(t, 21);
  const b = readFileSync(file);
  patch(file, 512 + 60, Buffer.from([b[512 + 60] ^ 0x01]));
  const r = await inspect(file);
  assert.deepEqual(
    errors(r).map((f) => [f.ruleId, f.path]),
    [['integrity/gpt-crc', '']],
    describe(r.findings),
  );
  assert.match(errors(r)[0].message, /primary GPT header .*header CRC32/);
  assert.equal(errors(r)[0].offset, 512 + 16);
  const gi = r.root.info as unknown as GptInfo;
  assert.equal(gi.partitionsFrom, 'backup');
  assert.equal(gi.headers.primary?.valid, false);
  assert.equal(gi.headers.primary?.headerCrc, 'bad');
  assert.ok(
    r.root.facts.some((f) => f.kind === 'gpt-primary-bad'),
    'says the backup is used',
  );
  assertMatchesSgdisk(r, file, ref, info);
  assert.equal(r.summary.integrity.status, 'failed');
  assert.equal(runCli(['check', file, '--json']).code, 1);
});

test('a corrupted primary entry array: integrity/gpt-crc, partitions read from the backup', async (t) => {
  if (!requireTools(t, 'sgdisk')) return;
  const { file, ref, info } = damagedSetup(t, 22);
  // The name of entry 128 (unused): only the array CRC notices.
  patch(file, 1024 + 127 * 128 + 60, Buffer.from('X'));
  const r = await inspect(file);
  assert.deepEqual(
    errors(r).map((f) => f.ruleId),
    ['integrity/gpt-crc'],
    describe(r.findings),
  );
  assert.match(errors(r)[0].message, /partition entry array CRC32/);
  assert.equal((r.root.info as unknown as GptInfo).headers.primary?.entriesCrc, 'bad');
  assert.equal((r.root.info as unknown as GptInfo).partitionsFrom, 'backup');
  assertMatchesSgdisk(r, file, ref, info);
});

test('the backup cut off (the image truncated): only the primary is used, integrity/truncated', async (t) => {
  if (!requireTools(t, 'sgdisk')) return;
  const { file, ref, info } = damagedSetup(t, 23);
  truncateSync(file, DISK - 33 * 512);
  const r = await inspect(file);
  assert.deepEqual(
    errors(r).map((f) => f.ruleId),
    ['integrity/truncated'],
    describe(r.findings),
  );
  assert.match(errors(r)[0].message, /backup header at LBA 131071/);
  const gi = r.root.info as unknown as GptInfo;
  assert.equal(gi.headers.backup, undefined);
  assert.equal(gi.partitionsFrom, 'primary');
  assert.equal(gi.headers.primary?.valid, true);
  assertMatchesSgdisk(r, file, ref, info);
});

test('a zeroed backup header in a full-size image: format/layout-invalid, the primary is used', async (t) => {
  if (!requireTools(t, 'sgdisk')) return;
  const { file, ref, info } = damagedSetup(t, 24);
  patch(file, DISK - 512, Buffer.alloc(512));
  const r = await inspect(file);
  assert.deepEqual(
    errors(r).map((f) => f.ruleId),
    ['format/layout-invalid'],
    describe(r.findings),
  );
  assert.match(errors(r)[0].message, /no backup GPT header/);
  assertMatchesSgdisk(r, file, ref, info);
});

for (const [what, field, value] of [
  ['num_entries 0xFFFFFFFF', 80, 0xffffffff],
  ['entry size 0', 84, 0],
  ['entry size 100 (not a multiple of 128)', 84, 100],
] as const) {
  test(`a primary with ${what}: format/layout-invalid, fast, bounded memory; the backup is used`, async (t) => {
    if (!requireTools(t, 'sgdisk')) return;
    const { file, ref, info } = damagedSetup(t, 30 + field);
    const v = Buffer.alloc(4);
    v.writeUInt32LE(value);
    setHeaderField(file, 512, field, v);
    const t0 = performance.now();
    const { value: r, arrayBuffers } = await peakMemoryGrowth(() => inspect(file));
    assert.ok(performance.now() - t0 < 10_000, 'finished within 10 s');
    assert.ok(arrayBuffers < 64 * MiB, `buffers grew by ${arrayBuffers} bytes`);
    assert.deepEqual(
      errors(r).map((f) => f.ruleId),
      ['format/layout-invalid'],
      describe(r.findings),
    );
    assert.equal(errors(r)[0].offset, 512 + field);
    assert.equal((r.root.info as unknown as GptInfo).partitionsFrom, 'backup');
    assertMatchesSgdisk(r, file, ref, info);
  });
}

test('both headers claim 0xFFFFFFFF entries: findings, no partitions, no children, bounded memory', async (t) => {
  const bytes = buildGptDisk([{ name: 'a', firstLba: 40, lastLba: 99 }], { primary: { numEntries: 0xffffffff }, backup: { numEntries: 0xffffffff } });
  const file = join(tempDir(t), 'hostile.img');
  writeFileSync(file, bytes);
  const { value: r, arrayBuffers } = await peakMemoryGrowth(() => inspect(file));
  assert.ok(arrayBuffers < 64 * MiB, `buffers grew by ${arrayBuffers} bytes`);
  const ids = errors(r).map((f) => f.ruleId);
  assert.ok(ids.length >= 2 && ids.every((id) => id === 'format/layout-invalid'), describe(r.findings));
  assert.deepEqual(r.root.children, []);
  assert.equal((r.root.info as unknown as GptInfo).partitions, undefined);
});

test('Qualcomm dumps from our builder: gpt_main, gpt_backup, gpt_both with ptool placeholders; no findings, no children', async (t) => {
  const parts: GptPartitionSpec[] = [
    { name: 'xbl_a', firstLba: 34, lastLba: 7000 },
    { name: 'boot_a', firstLba: 7001, lastLba: 9000 },
    // The last partition grows to fill the disk: no sectors until patch0.xml sizes it.
    { name: 'userdata', firstLba: 9001, lastLba: 9000 },
  ];
  for (const [kind, name] of [
    ['gpt_main', 'gpt_main0.bin'],
    ['gpt_backup', 'gpt_backup0.bin'],
    ['gpt_both', 'gpt_both4.bin'],
    ['gpt_main', 'PrimaryGPT.bin'],
  ] as const) {
    const file = join(tempDir(t), name);
    writeFileSync(file, buildGptDump(kind, parts));
    const r = await inspect(file);
    assert.deepEqual(r.findings, [], `${name}: ${describe(r.findings)}`);
    const gi = r.root.info as unknown as GptInfo & { lun?: number };
    assert.equal(r.root.format, 'gpt', name);
    assert.equal(gi.dumpKind, kind, name);
    assert.deepEqual(
      gi.partitions.map((p) => [p.name, p.sizeBytes]),
      [
        ['xbl_a', 6967 * 512],
        ['boot_a', 2000 * 512],
        ['userdata', 0],
      ],
      name,
    );
    assert.deepEqual(r.root.children, [], `${name}: a dump holds no partition data`);
    const layout = r.root.facts.find(isLayoutFact)!;
    assert.equal(layout.deviceBytes, undefined);
    assert.deepEqual(new Set(layout.entries.map((e) => e.device)), new Set([name === 'PrimaryGPT.bin' ? 'disk' : name === 'gpt_both4.bin' ? 'lun4' : 'lun0']));
    assert.equal(r.summary.integrity.failed, 0);
  }
});

test("a flipped byte in a gpt_backup dump's entries is integrity/gpt-crc", async (t) => {
  const bytes = buildGptDump('gpt_backup', [{ name: 'boot_a', firstLba: 34, lastLba: 99 }]);
  bytes[56] ^= 0x20;
  const file = join(tempDir(t), 'gpt_backup0.bin');
  writeFileSync(file, bytes);
  const r = await inspect(file);
  assert.deepEqual(
    errors(r).map((f) => f.ruleId),
    ['integrity/gpt-crc'],
    describe(r.findings),
  );
});

interface SfdiskRow {
  number: number;
  start: number;
  size: number;
  type: number;
  bootable: boolean;
}

/** `sfdisk -d IMG` rows: `IMGn : start=S, size=N, type=T[, bootable]`. */
function sfdiskDump(file: string): { id: string; rows: SfdiskRow[] } {
  const out = runTool('sfdisk', ['-d', file]).stdout.toString();
  const rows: SfdiskRow[] = [];
  for (const line of out.split('\n')) {
    const m = /(\d+) : start=\s*(\d+), size=\s*(\d+), type=([0-9a-f]+)(, bootable)?/.exec(line);
    if (m) rows.push({ number: Number(m[1]), start: Number(m[2]), size: Number(m[3]), type: parseInt(m[4], 16), bootable: !!m[5] });
  }
  return { id: /label-id: (0x[0-9a-f]+)/.exec(out)![1], rows };
}

const MBR_TYPES = ['83', 'c', 'b', '7', '82', 'e', '6', 'da', 'ef', '8e'];

for (const seed of [1, 2, 3]) {
  test(`sfdisk MBR disk, seed ${seed}: primaries, extended and logical partitions match sfdisk -d`, async (t) => {
    if (!requireTools(t, 'sfdisk')) return;
    const r0 = rng(seed * 7919);
    const file = join(tempDir(t), 'sd.img');
    writeFileSync(file, '');
    truncateSync(file, 32 * MiB);
    const lines = ['label: dos', `label-id: 0x${(0x10000000 + r0(0x0fffffff)).toString(16)}`];
    let at = 2048;
    const primaries = 1 + r0(3);
    for (let i = 0; i < primaries; i++) {
      const size = 100 + r0(6000);
      lines.push(`${file}${i + 1} : start=${at}, size=${size}, type=${MBR_TYPES[r0(MBR_TYPES.length)]}${r0(3) === 0 ? ', bootable' : ''}`);
      at += size + r0(100);
    }
    // Seeds 1 and 2 chain logical partitions through EBRs; seed 3 has primaries only.
    const logicals = seed === 3 ? 0 : 1 + r0(4);
    if (logicals) {
      // The extended partition in slot 4 (slots between stay empty), so the lines after it are logical partitions 5, 6...
      lines.push(`${file}4 : start=${at}, size=${30000}, type=${r0(2) ? '5' : 'f'}`);
      for (let i = 0; i < logicals; i++) lines.push(`${file}${5 + i} : size=${100 + r0(3000)}, type=${MBR_TYPES[r0(MBR_TYPES.length)]}`);
    }
    runTool('sfdisk', ['-q', file], { input: Buffer.from(lines.join('\n') + '\n') });
    const ref = sfdiskDump(file);
    assert.ok(ref.rows.length >= primaries, 'premise: sfdisk made the partitions');
    const r = await inspect(file);
    assert.deepEqual(r.findings, [], describe(r.findings));
    assert.equal(r.root.format, 'mbr');
    assert.equal(
      ref.rows.some((x) => x.number >= 5),
      logicals > 0,
      'premise: sfdisk made the logical partitions',
    );
    const info = r.root.info as { diskSignature: string; dumpKind: string; partitions: { number: number; kind: string; type: string; bootable?: boolean; startLba: number; sectors: number; sizeBytes: number }[] };
    assert.equal(info.dumpKind, 'disk');
    assert.equal(info.diskSignature, ref.id);
    assert.deepEqual(
      info.partitions.map((p) => ({ number: p.number, start: p.startLba, size: p.sectors, type: parseInt(p.type, 16), bootable: !!p.bootable })),
      ref.rows,
    );
    const disk = readFileSync(file);
    const data = info.partitions.filter((p) => p.kind !== 'extended');
    assert.deepEqual(
      r.root.children.map((c) => [c.name, c.size, c.hashes.sha256]),
      data.map((p) => [`partition${p.number}`, p.sectors * 512, sha256(disk.subarray(p.startLba * 512, (p.startLba + p.sectors) * 512))]),
    );
    const layout = r.root.facts.find(isLayoutFact)!;
    assert.equal(layout.layout, 'mbr');
    assert.equal(layout.entries.length, data.length);
  });
}

test('an MBR whose EBR chain loops: format/layout-invalid, reading stops', async (t) => {
  const bytes = buildMbrDisk(
    [
      { type: 0x83, startLba: 2048, sectors: 100 },
      { type: 0x05, startLba: 4096, sectors: 2000 },
    ],
    [{ type: 0x83, startLba: 4097, sectors: 50 }],
    { loop: true },
  );
  const file = join(tempDir(t), 'loop.img');
  writeFileSync(file, bytes);
  const r = await inspect(file);
  assert.equal(r.root.format, 'mbr');
  assert.deepEqual(
    errors(r).map((f) => f.ruleId),
    ['format/layout-invalid'],
    describe(r.findings),
  );
  assert.match(errors(r)[0].message, /loops back to LBA 4096/);
});

test('mbr detection: random sectors with 55 AA, a FAT boot sector and a lone protective MBR are not claimed', () => {
  let claimed = 0;
  for (let i = 0; i < 3000; i++) {
    const b = pseudoRandom(512, 1000 + i);
    b[510] = 0x55;
    b[511] = 0xaa;
    if (mbrHandler.detect({ peek: b, name: 'x.bin', size: 512 })) claimed++;
  }
  assert.equal(claimed, 0);
  const fat = buildMbrSector([{ type: 0x0c, startLba: 63, sectors: 1000 }]);
  fat.write('FAT32   ', 82, 'latin1');
  assert.equal(mbrHandler.detect({ peek: fat, name: 'x.bin', size: 512 }), false);
  const pmbr = buildMbrSector([{ type: 0xee, startLba: 1, sectors: 100 }]);
  assert.equal(mbrHandler.detect({ peek: pmbr, name: 'x.bin', size: 512 }), false);
  assert.equal(gptHandler.detect({ peek: pmbr, name: 'x.bin', size: 512 }), true);
  // A bare table: recognised, partitions listed, nothing to read.
  const table = buildMbrSector([{ type: 0x83, startLba: 2048, sectors: 4096, boot: true }]);
  assert.equal(mbrHandler.detect({ peek: table, name: 'MBR', size: 512 }), true);
});

test('a bare 512-byte MBR file (MediaTek `MBR`): partitions listed, no children, no findings', async (t) => {
  const file = join(tempDir(t), 'MBR');
  writeFileSync(
    file,
    buildMbrSector([
      { type: 0x83, startLba: 2048, sectors: 4096 },
      { type: 0x05, startLba: 8192, sectors: 100000 },
    ]),
  );
  const r = await inspect(file);
  assert.equal(r.root.format, 'mbr');
  assert.deepEqual(r.findings, [], describe(r.findings));
  assert.equal(ofFormat(r.root, 'mbr').info.dumpKind, 'table');
  assert.equal((r.root.info.partitions as unknown[]).length, 2);
  assert.deepEqual(r.root.children, []);
});

test("a GPT disk's protective MBR is described in the gpt info (hybrid records too), not as an mbr artifact", async (t) => {
  const bytes = buildGptDisk([{ name: 'esp', firstLba: 40, lastLba: 2000 }], { pmbr: [{ type: 0x0c, startLba: 40, sectors: 1961 }] });
  const file = join(tempDir(t), 'hybrid.img');
  writeFileSync(file, bytes);
  const r = await inspect(file);
  assert.equal(r.root.format, 'gpt');
  assert.deepEqual(r.findings, [], describe(r.findings));
  const pm = r.root.info.protectiveMbr as { valid: boolean; hybrid?: boolean; records: { type: string; startLba: number }[] };
  assert.equal(pm.valid, true);
  assert.equal(pm.hybrid, true);
  assert.deepEqual(
    pm.records.map((x) => [x.type, x.startLba]),
    [
      ['0xee', 1],
      ['0x0c', 40],
    ],
  );
});

test('random header fields, cut files and random sectors behind the GPT and MBR magics never throw', async () => {
  const base = buildGptDisk(
    [
      { name: 'a', firstLba: 40, lastLba: 99 },
      { name: 'b', firstLba: 100, lastLba: 300 },
    ],
    { sectors: 2048 },
  );
  const r = rng(99);
  const cases: Buffer[] = [];
  for (let i = 0; i < 300; i++) {
    const b = Buffer.from(base);
    // Scramble 1–4 bytes of a header field (primary or backup), or of an entry, or cut the file.
    for (let k = 0; k <= r(4); k++) {
      const at = r(3) === 0 ? 1024 + r(256) : (r(2) ? 512 : b.length - 512) + 8 + r(84);
      b[at] = r(256);
    }
    cases.push(r(5) === 0 ? b.subarray(0, r(b.length)) : b);
  }
  for (const n of [0, 1, 8, 92, 100, 511, 512, 600, 4096, 4200]) {
    const b = pseudoRandom(Math.max(n, 520), n + 7);
    b.write('EFI PART', 512, 'latin1');
    cases.push(b.subarray(0, Math.max(n, 520)));
    const mbr = buildMbrSector([{ type: 0x05, startLba: 1, sectors: 100 }]);
    cases.push(Buffer.concat([mbr, pseudoRandom(n, n)]));
  }
  for (const bytes of cases) {
    for (const h of [gptHandler, mbrHandler]) {
      const src = new BufferSource(bytes, 'gpt_both0.bin');
      const res = await h.decode(src, { budget: new Budget(defaultBudget(bytes.length)), fact: () => undefined });
      for (const c of res.children) assert.ok(c.source.size === null || c.source.size <= bytes.length, 'a child never claims more than the file');
    }
  }
});

test('a gpt_main0.bin padded with zeros past its tables is still a main dump, under any name; followed by data, a cut disk', async (t) => {
  const main = buildGptDump('gpt_main', [{ name: 'boot_a', firstLba: 34, lastLba: 99 }], { placeholders: false, sectors: 1 << 20 });
  const file = join(tempDir(t), 'gpt_main0.bin');
  writeFileSync(file, Buffer.concat([main, Buffer.alloc(64 * 1024)]));
  const r = await inspect(file);
  assert.deepEqual(r.findings, [], describe(r.findings));
  assert.equal(ofFormat(r.root, 'gpt').info.dumpKind, 'gpt_main');
  // Under another name the same bytes are a primary-only table too (LG ships them padded): only zeros follow the table.
  const other = join(tempDir(t), 'table.bin');
  writeFileSync(other, readFileSync(file));
  const r2 = await inspect(other);
  assert.equal(ofFormat(r2.root, 'gpt').info.dumpKind, 'gpt_main');
  assert.deepEqual(r2.findings, [], describe(r2.findings));
  // With partition data after the table, it is a disk cut short: the end of the disk it describes is missing.
  const cut = join(tempDir(t), 'disk.img');
  writeFileSync(cut, Buffer.concat([main, pseudoRandom(64 * 1024, 3)]));
  const r3 = await inspect(cut);
  assert.equal(ofFormat(r3.root, 'gpt').info.dumpKind, 'disk');
  assert.deepEqual(
    errors(r3).map((f) => f.ruleId),
    ['integrity/truncated'],
    describe(r3.findings),
  );
});
