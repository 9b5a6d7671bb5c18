/**
 * Numbers past 2^53 in text layouts (a rawprogram's sector count, a scatter
 * file's `0xFFFFFFFFFFFFFFFF` "to the end" size) are read as bigints, shown
 * as decimal strings in JSON, and left out of the size comparisons, instead
 * of being reported as "not a number". Words are still not numbers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/pipeline/inspect';
import { renderJson } from '../../src/report/json';
import { tempDir } from '../helpers';
import { buildRawprogram } from '../../fixtures/builders/rawprogram';
import { buildScatterYaml } from '../../fixtures/builders/scatter';

const MAX64 = 18446744073709551615n;

test('rawprogram: num_partition_sectors past 2^53 is a bigint, not "not a number"; a word still is', async (t) => {
  const dir = tempDir(t);
  const xml = buildRawprogram([
    { label: 'boot', filename: 'boot.img', startSector: 6, sectors: 1024 },
    { label: 'userdata', startSector: 2000, sectors: 7 },
  ]).replace('num_partition_sectors="7"', `num_partition_sectors="${MAX64}"`);
  assert.match(xml, /18446744073709551615/);
  const f = join(dir, 'rawprogram0.xml');
  writeFileSync(f, xml);
  const r = await inspect(f);
  assert.deepEqual(
    r.findings.filter((x) => x.ruleId === 'format/layout-invalid'),
    [],
  );
  const programs = r.root.info.programs as { label: string; numPartitionSectors: unknown }[];
  assert.equal(programs[1].numPartitionSectors, MAX64);
  assert.equal(programs[0].numPartitionSectors, 1024);
  const json = JSON.parse(renderJson(r));
  assert.equal(json.root.info.programs[1].numPartitionSectors, '18446744073709551615');
  assert.equal(json.root.info.programs[0].numPartitionSectors, 1024);

  writeFileSync(f, xml.replace(`num_partition_sectors="${MAX64}"`, 'num_partition_sectors="many"'));
  const bad = await inspect(f);
  assert.match(bad.findings.find((x) => x.ruleId === 'format/layout-invalid')!.message, /num_partition_sectors="many" is not a number/);
});

test('scatter: partition_size 0xFFFFFFFFFFFFFFFF is a bigint and not compared; no layout-invalid finding', async (t) => {
  const dir = tempDir(t);
  const text = buildScatterYaml([
    { name: 'boot', file: 'boot.img', start: 0x100000, size: 0x2000000 },
    { name: 'userdata', start: 0x4000000, size: 0x1234 },
  ]).replace(/partition_size: 0x1234\b/, 'partition_size: 0xFFFFFFFFFFFFFFFF');
  assert.match(text, /0xFFFFFFFFFFFFFFFF/);
  const f = join(dir, 'MT6765_Android_scatter.txt');
  writeFileSync(f, text);
  const r = await inspect(f);
  assert.deepEqual(
    r.findings.filter((x) => x.ruleId === 'format/layout-invalid'),
    [],
  );
  const parts = r.root.info.partitions as { name: string; partitionSize: unknown }[];
  assert.equal(parts.find((p) => p.name === 'userdata')!.partitionSize, MAX64);
  assert.equal(JSON.parse(renderJson(r)).root.info.partitions[1].partitionSize, '18446744073709551615');
});
