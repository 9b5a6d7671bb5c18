/**
 * `extract` through an A/B payload reads only what the artifact needs:
 * `payload.bin/boot.img` decodes only boot's operations, and a file inside a
 * file system inside the payload (`payload.bin/system.img/system/build.prop`)
 * is found by looking its path up directory by directory, decoding only the
 * operations whose blocks those directories and the file lie in, not by
 * walking the file system's tree. Counted with `partitionReadStats` (every
 * operation read for a partition, and the bytes it gave); the file's bytes
 * are checked against `debugfs -R cat` on the image `mke2fs -d` made.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { extract } from '../../src/index';
import { partitionReadStats } from '../../src/formats/ota-payload/partition';
import { mke2fs, type TreeEntry } from '../../fixtures/builders/ext4';
import { pseudoRandom } from '../../fixtures/builders/data';
import { buildProp } from '../../fixtures/builders/rom';
import { buildPayload } from '../../fixtures/builders/payload';
import { buildAbOtaZip } from '../../fixtures/builders/ota-zip';
import { requireTools, runTool, tempDir } from '../helpers';

const MiB = 1024 * 1024;

/** A system tree of 40 directories of 12 files each (about 36 MiB), build.prop among them. */
function tree(): Record<string, TreeEntry> {
  const t: Record<string, TreeEntry> = {
    'system/build.prop': { type: 'file', data: buildProp({ 'ro.product.device': 'sunfish', 'ro.build.fingerprint': 'google/sunfish/sunfish:13/TQ3A.230805.001/10316531:user/release-keys' }) },
  };
  for (let d = 0; d < 40; d++) for (let f = 0; f < 12; f++) t[`system/d${d}/f${f}.bin`] = { type: 'file', data: pseudoRandom(75_000, d * 100 + f) };
  return t;
}

function delta(before: { operations: number; bytes: number }) {
  return { operations: partitionReadStats.operations - before.operations, bytes: partitionReadStats.bytes - before.bytes };
}

test('extract through a payload: boot.img decodes only its own operations; a file in its ext4 system image only the few its path needs', async (t) => {
  if (!requireTools(t, 'mke2fs', 'debugfs')) return;
  const dir = tempDir(t);
  const system = mke2fs(tree(), ['-t', 'ext4', '-b', '4096'], 48 * 1024);
  const img = join(dir, 'system.img');
  writeFileSync(img, system);
  const boot = pseudoRandom(3 * MiB, 99);
  // Compressed operations of 128 blocks (512 KiB): reading any byte of one decodes it whole.
  const built = buildPayload(
    [
      { name: 'boot', data: boot, type: 'REPLACE_XZ', chunkBlocks: 128 },
      { name: 'system', data: system, type: 'REPLACE_XZ', chunkBlocks: 128 },
    ],
    { compress: 'builtin' },
  );
  const ops = built.manifest.partitions.map((p) => p.operations.length);
  const zip = join(dir, 'ota.zip');
  writeFileSync(zip, buildAbOtaZip({ payload: built.payload, properties: built.properties }).zip);

  let before = { ...partitionReadStats };
  const b = await extract(zip, 'payload.bin/boot.img', join(dir, 'boot.img'));
  const bootRead = delta(before);
  t.diagnostic(`boot.img: ${bootRead.operations} operations, ${bootRead.bytes} bytes read for it (boot has ${ops[0]}, system ${ops[1]})`);
  assert.ok(readFileSync(b.output).equals(boot));
  assert.deepEqual(bootRead, { operations: ops[0], bytes: boot.length });

  before = { ...partitionReadStats };
  const r = await extract(zip, 'payload.bin/system.img/system/build.prop', join(dir, 'build.prop'));
  const propRead = delta(before);
  t.diagnostic(`system/build.prop: ${propRead.operations} of ${ops[1]} operations, ${propRead.bytes} of ${system.length} bytes decoded`);
  const want = runTool('debugfs', ['-R', 'cat /system/build.prop', img]).stdout;
  assert.ok(want.length > 100);
  assert.ok(readFileSync(r.output).equals(want), 'the bytes debugfs reads');
  // The superblock and group descriptors, the inode table block(s), two directories and the file: a handful of operations.
  assert.ok(propRead.operations <= 8, `${propRead.operations} operations decoded`);
  assert.ok(propRead.bytes <= system.length / 10, `${propRead.bytes} bytes decoded`);
});
