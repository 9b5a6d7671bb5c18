/**
 * care_map.pb / care_map.txt: the real care maps of two OTA packages in the
 * shared corpus (saved under other names) are recognised by content, with
 * the partitions, properties and fingerprints they hold; lookalikes are not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/pipeline/inspect';
import { corpusFile, tempDir } from '../helpers';
import { careMapPb } from '../../fixtures/builders/rom';
import { buildZip } from '../../fixtures/builders/zip';
import { pseudoRandom } from '../../fixtures/builders/data';

type Part = { name: string; blocks: number; ranges: number; id?: string; fingerprint?: string };

test('corpus: the care maps of two real OTA packages, under other names', async (t) => {
  const want: Record<string, { name: string; id: string; fingerprint: string }[]> = {
    'ota-misc/pe_daisy_care_map.pb': [
      { name: 'system', id: 'ro.system.build.fingerprint', fingerprint: 'xiaomi/daisy/daisy_sprout:10/QKQ1.191002.002/V11.0.21.0.QDLMIXM:user/release-keys' },
      { name: 'vendor', id: 'ro.vendor.build.fingerprint', fingerprint: 'xiaomi/daisy/daisy_sprout:10/QKQ1.191002.002/V11.0.21.0.QDLMIXM:user/release-keys' },
    ],
    'ota-misc/redmi_rgeinxm_care_map.pb': [
      { name: 'product', id: 'ro.product.build.fingerprint', fingerprint: 'Redmi/qssi/qssi:11/RKQ1.211001.001/V13.0.8.0.RGEINXM:user/release-keys' },
      { name: 'system', id: 'ro.system.build.fingerprint', fingerprint: 'Redmi/qssi/qssi:11/RKQ1.211001.001/V13.0.8.0.RGEINXM:user/release-keys' },
      { name: 'system_ext', id: 'ro.system_ext.build.fingerprint', fingerprint: 'Redmi/qssi/qssi:11/RKQ1.211001.001/V13.0.8.0.RGEINXM:user/release-keys' },
      { name: 'vendor', id: 'ro.vendor.build.fingerprint', fingerprint: 'Redmi/fog/fog:11/RKQ1.211001.001/V13.0.8.0.RGEINXM:user/release-keys' },
    ],
  };
  for (const [rel, parts] of Object.entries(want)) {
    const p = corpusFile(t, rel);
    if (!p) return;
    const r = await inspect(p);
    assert.equal(r.root.format, 'care-map', rel);
    assert.deepEqual(r.findings, []);
    const got = r.root.info.partitions as Part[];
    assert.deepEqual(
      got.map(({ name, id, fingerprint }) => ({ name, id, fingerprint })),
      parts,
    );
    for (const g of got) assert.ok(g.blocks > 0 && g.ranges > 0);
  }
});

test('care map: ranges counted; the text form; inside a package; lookalikes are not care maps', async (t) => {
  const dir = tempDir(t);
  const pb = careMapPb([{ name: 'system', ranges: '4,0,10,20,35' }]);
  writeFileSync(join(dir, 'x_care_map.pb'), pb);
  const r = await inspect(join(dir, 'x_care_map.pb'));
  assert.equal(r.root.format, 'care-map');
  assert.deepEqual(r.root.info.partitions, [{ name: 'system', blocks: 25, ranges: 2 }]);
  writeFileSync(join(dir, 'care_map.txt'), 'system\n4,0,10,20,35\nvendor\n2,5,9\n');
  const txt = await inspect(join(dir, 'care_map.txt'));
  assert.equal(txt.root.format, 'care-map');
  assert.equal(txt.root.info.form, 'text');
  assert.equal(txt.root.info.partitionCount, 2);
  const zip = join(dir, 'ota.zip');
  writeFileSync(zip, buildZip([{ name: 'care_map.pb', data: pb }]));
  assert.equal((await inspect(zip)).root.children[0].format, 'care-map');
  // A bad range set (odd count, descending), another field, random bytes: not a care map.
  for (const [name, bytes] of [
    ['a.pb', careMapPb([{ name: 'system', ranges: '3,0,10,20' }])],
    ['b.pb', careMapPb([{ name: 'system', ranges: '2,10,5' }])],
    ['c.pb', Buffer.concat([pb, Buffer.from([0x10, 0x01])])],
    ['d.bin', pseudoRandom(600, 3)],
  ] as const) {
    writeFileSync(join(dir, name), bytes);
    assert.notEqual((await inspect(join(dir, name))).root.format, 'care-map', name);
  }
});
