/**
 * Corpus: two real `super_empty.img` files (liblp 10.0 and 10.2, made by
 * `lpmake` in device builds) decode without errors, and our own liblp writer
 * (fixtures/builders/super.ts) rebuilds each of them byte for byte from the
 * metadata romscope decodes, which checks the decoder and the writer against
 * the real layout at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { inspect } from '../../src/index';
import { buildSuperEmpty, type LpAttribute, type LpMetadataSpec } from '../../fixtures/builders/super';
import { corpusFile } from '../helpers';
import { describe, errors, sha256 } from '../interop/util';

const DIR = 'lpmetadata';

interface Info {
  image: string;
  metadataMaxSize: number;
  metadataSlotCount: number;
  logicalBlockSize: number;
  slots: { slot: number; copy: string; offset: number; valid: boolean }[];
  version: '10.0' | '10.1' | '10.2';
  flags?: number;
  groups: { name: string; flags: number; maximumSize: number }[];
  blockDevices: { name: string; firstLogicalSector: number; alignment: number; alignmentOffset: number; size: number; flags: number }[];
  partitions: { name: string; group: string; size: number; attributes: LpAttribute[]; extents: number }[];
}

const CASES = [
  {
    file: '4ragaki_xigua_super_empty.img',
    size: 5288,
    sha256: 'f562b6c75af6feb79f2a250743d84ed79922fe32a795899cf3f30b12b885b927',
    version: '10.2',
    flags: 1,
    slotCount: 3,
    groups: [
      ['default', 0],
      ['qti_dynamic_partitions_a', 16101933056],
      ['qti_dynamic_partitions_b', 16101933056],
    ],
    device: { name: 'super', size: 16106127360, firstLogicalSector: 2048, alignment: 1048576 },
    partitions: ['odm', 'product', 'system', 'system_dlkm', 'system_ext', 'vendor', 'vendor_dlkm'].flatMap((p) => [`${p}_a`, `${p}_b`]),
  },
  {
    file: 'luphaestus_super_empty.img',
    size: 4592,
    sha256: 'debd941d23403df9c2cb80cffe1a0a6019b9af401193cd8d2a7ca90d5a4d2a06',
    version: '10.0',
    flags: undefined,
    slotCount: 2,
    groups: [
      ['default', 0],
      ['group_basic', 10271850496],
    ],
    device: { name: 'super', size: 10276044800, firstLogicalSector: 2048, alignment: 1048576 },
    partitions: ['system', 'vendor', 'product', 'odm'],
  },
] as const;

for (const c of CASES) {
  test(`corpus ${DIR}/${c.file}: lp-metadata ${c.version}, no errors, expected groups and partitions`, async (t) => {
    const path = corpusFile(t, `${DIR}/${c.file}`);
    if (!path) return;
    const r = await inspect(path);
    assert.deepEqual(errors(r), [], describe(r.findings));
    assert.deepEqual(r.findings, [], describe(r.findings));
    assert.equal(r.root.format, 'lp-metadata');
    assert.equal(r.root.size, c.size);
    assert.equal(r.root.hashes.sha256, c.sha256);
    const info = r.root.info as unknown as Info;
    assert.equal(info.image, 'super_empty');
    assert.equal(info.version, c.version);
    assert.equal(info.flags, c.flags);
    assert.equal(info.metadataMaxSize, 65536);
    assert.equal(info.metadataSlotCount, c.slotCount);
    assert.equal(info.logicalBlockSize, 4096);
    assert.deepEqual(info.slots, [{ slot: 0, copy: 'primary', offset: 4096, valid: true }]);
    assert.deepEqual(
      info.groups.map((g) => [g.name, g.maximumSize]),
      c.groups,
    );
    assert.deepEqual(info.blockDevices, [{ ...c.device, alignmentOffset: 0, flags: 0 }]);
    assert.deepEqual(
      info.partitions.map((p) => p.name),
      c.partitions,
    );
    for (const p of info.partitions) {
      // super_empty partitions are empty, read-only, and sit in their slot's group.
      assert.equal(p.size, 0, p.name);
      assert.equal(p.extents, 0, p.name);
      assert.deepEqual(p.attributes, ['readonly'], p.name);
      assert.equal(p.group, c.groups.length === 2 ? 'group_basic' : `qti_dynamic_partitions_${p.name.slice(-1)}`, p.name);
    }
    assert.deepEqual(r.root.children, [], 'a super_empty.img has no partition data');
    // Geometry and the one metadata copy verify: two passed integrity checks.
    assert.deepEqual(r.summary.integrity, { status: 'verified', checks: 2, failed: 0 });
    // The layout fact: group maxima as upper bounds, nothing flashed.
    const layout = r.root.facts.find((f) => f.kind === 'layout') as unknown as { layout: string; sizesAreLimits: boolean; entries: { partition: string; sizeBytes: number; flashed: boolean; device: string }[] };
    assert.ok(layout, 'a layout fact');
    assert.equal(layout.layout, 'lp-metadata');
    assert.equal(layout.sizesAreLimits, true);
    assert.deepEqual(
      layout.entries.map((e) => e.partition),
      c.partitions,
    );
    assert.ok(layout.entries.every((e) => !e.flashed && e.device === 'super' && e.sizeBytes === c.groups[1][1]));
  });

  test(`corpus ${DIR}/${c.file}: fixtures/builders/super.ts rebuilds it byte for byte from the decoded metadata`, async (t) => {
    const path = corpusFile(t, `${DIR}/${c.file}`);
    if (!path) return;
    const r = await inspect(path);
    const info = r.root.info as unknown as Info;
    const md: LpMetadataSpec = {
      version: info.version,
      flags: info.flags,
      groups: info.groups.map((g) => ({ name: g.name, maximumSize: g.maximumSize, flags: g.flags })),
      blockDevices: info.blockDevices,
      partitions: info.partitions.map((p) => ({ name: p.name, group: p.group, attributes: p.attributes })),
    };
    const rebuilt = buildSuperEmpty(md, { metadataMaxSize: info.metadataMaxSize, slotCount: info.metadataSlotCount, logicalBlockSize: info.logicalBlockSize });
    const real = readFileSync(path);
    if (!rebuilt.equals(real)) {
      const at = rebuilt.findIndex((b, i) => b !== real[i]);
      assert.fail(`rebuilt ${rebuilt.length} bytes (sha256 ${sha256(rebuilt)}), real ${real.length}; first difference at offset ${at}`);
    }
  });
}
