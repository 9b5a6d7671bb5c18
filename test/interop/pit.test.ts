/**
 * Interop: romscope reads every field of a Samsung PIT exactly as Heimdall's
 * libpit does (`heimdall print-pit --file X`, which works offline): the
 * shared corpus PITs and PITs from fixtures/builders/pit.ts.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/index';
import { buildPit, type PitEntrySpec } from '../../fixtures/builders/pit';
import { corpusFile, requireTools, runTool, tempDir, ofFormat } from '../helpers';
import { describe, errors } from './util';

interface HeimdallPit {
  header: Record<string, number>;
  entries: Record<string, number | string>[];
}

const NUMBER_FIELDS: Record<string, string> = {
  'Binary Type': 'binaryType',
  'Device Type': 'deviceType',
  Identifier: 'identifier',
  Attributes: 'attributes',
  'Update Attributes': 'updateAttributes',
  'Partition Block Size/Offset': 'blockSizeOrOffset',
  'Partition Block Count': 'blockCount',
  'File Offset (Obsolete)': 'fileOffset',
  'File Size (Obsolete)': 'fileSize',
};
const STRING_FIELDS: Record<string, string> = { 'Partition Name': 'name', 'Flash Filename': 'flashFilename', 'FOTA Filename': 'fotaFilename' };

/** Parses `heimdall print-pit` output. Heimdall prints every field with %d, so values are taken back to unsigned. */
function heimdallPrintPit(file: string): HeimdallPit {
  const out = runTool('heimdall', ['print-pit', '--file', file]).stdout.toString('latin1');
  const [head, ...blocks] = out.split(/\n--- Entry #\d+ ---\n/);
  const header: Record<string, number> = {};
  for (const m of head.matchAll(/^(Entry Count|Unknown (\d)): (-?\d+)$/gm)) header[m[2] ? `unknown${m[2]}` : 'entryCount'] = Number(m[3]) >>> 0;
  const entries = blocks.map((b) => {
    const e: Record<string, number | string> = {};
    for (const line of b.split('\n')) {
      const i = line.indexOf(': ');
      if (i < 0) continue;
      const key = line.slice(0, i);
      if (key in NUMBER_FIELDS) e[NUMBER_FIELDS[key]] = Number(/^-?\d+/.exec(line.slice(i + 2))![0]) >>> 0;
      else if (key in STRING_FIELDS) e[STRING_FIELDS[key]] = line.slice(i + 2);
    }
    return e;
  });
  return { header, entries };
}

async function assertAgrees(t: TestContext, file: string, expectedEntries?: number): Promise<void> {
  const ref = heimdallPrintPit(file);
  const r = await inspect(file);
  assert.deepEqual(errors(r), [], describe(r.findings));
  assert.equal(r.root.format, 'samsung-pit');
  const info = ofFormat(r.root, 'samsung-pit').info as unknown as { entryCount: number; header: Record<string, number>; partitions: Record<string, unknown>[] };
  assert.equal(info.entryCount, ref.header.entryCount);
  for (let k = 1; k <= 8; k++) assert.equal(info.header[`unknown${k}`], ref.header[`unknown${k}`], `unknown${k}`);
  assert.equal(info.partitions.length, ref.entries.length);
  if (expectedEntries !== undefined) assert.equal(ref.entries.length, expectedEntries);
  ref.entries.forEach((want, i) => {
    for (const [k, v] of Object.entries(want)) assert.equal(info.partitions[i][k], v, `entry ${i} ${k}`);
    assert.equal(Object.keys(want).length, 12, `heimdall printed all 12 fields of entry ${i}`);
  });
  t.diagnostic(`${ref.entries.length} entries agree`);
}

for (const rel of ['samsung-pit/grim_I9100_2GiB_stock.pit', 'samsung-pit/ebadi_I9100_1.5GB-System_6GB-Data_512MB-Preload_by-the.gangster.pit']) {
  test(`interop pit: heimdall print-pit and romscope agree on ${rel}`, async (t) => {
    if (!requireTools(t, 'heimdall')) return;
    const file = corpusFile(t, rel);
    if (!file) return;
    await assertAgrees(t, file, 15);
  });
}

const VARIED: PitEntrySpec[] = [
  { binaryType: 0, deviceType: 2, identifier: 70, attributes: 5, name: 'GANG', flashFilename: 'emmc.img' },
  { binaryType: 0, deviceType: 2, identifier: 71, attributes: 5, updateAttributes: 1, blockSizeOrOffset: 34, blockCount: 8192, name: 'BOOTLOADER', flashFilename: 'sboot.bin', fotaFilename: 'sboot.fota' },
  { binaryType: 1, deviceType: 3, identifier: 72, attributes: 3, updateAttributes: 3, blockSizeOrOffset: 8226, blockCount: 16384, name: 'RADIO', flashFilename: 'modem.bin' },
  { binaryType: 0, deviceType: 8, identifier: 73, attributes: 1, updateAttributes: 2, blockSizeOrOffset: 24610, blockCount: 131072, fileOffset: 12, fileSize: 4096, name: 'SUPER', flashFilename: 'super.img' },
  { binaryType: 0, deviceType: 0, identifier: 74, attributes: 2, blockSizeOrOffset: 0xfffffff0, blockCount: 0x80000001, name: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ01234', flashFilename: 'abcdefghijklmnopqrstuvwxyz01234' },
  { binaryType: 7, deviceType: 1, identifier: 0xffffffff, attributes: 0, name: '', flashFilename: '' },
];

const BUILT: { name: string; build: () => Buffer }[] = [
  { name: 'varied field values, padded to 4096', build: () => buildPit(VARIED, { unknown: [0x5441432d, 0x32524154, 1, 2, 0x4d53, 0x3843, 3, 0xffff], pad: true }) },
  { name: 'exact size, no padding', build: () => buildPit(VARIED.slice(0, 4)) },
  { name: 'no entries', build: () => buildPit([]) },
  {
    name: '100 entries',
    build: () =>
      buildPit(
        Array.from({ length: 100 }, (_, i) => ({ deviceType: 2, identifier: i, attributes: i % 4, blockSizeOrOffset: 8192 * (i + 1), blockCount: 8192, name: `PART${i}`, flashFilename: i % 3 ? `p${i}.img` : '' })),
        { pad: true },
      ),
  },
];

for (const c of BUILT) {
  test(`interop pit: heimdall print-pit and romscope agree on a built PIT (${c.name})`, async (t) => {
    if (!requireTools(t, 'heimdall')) return;
    const file = join(tempDir(t), 'built.pit');
    writeFileSync(file, c.build());
    await assertAgrees(t, file);
  });
}
