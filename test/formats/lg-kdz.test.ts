/**
 * LG .kdz and .dz (src/formats/lg-kdz, src/formats/lg-dz): the KDZ file
 * table (v1, v2, v3), the DZ header and chunk table, every partition
 * rebuilt from its chunks and decoded by the other handlers (a sparse image
 * from img2simg, a boot image from mkbootimg, a signed vbmeta), each chunk's
 * MD5 checked while its data is decoded. The chunks are compressed by
 * node:zlib and by the `zstd` tool; extracted partitions are compared with
 * the inputs by `md5sum`, so neither side is only our own code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { inspect } from '../../src/index';
import { walkArtifacts, type Report } from '../../src/report/model';
import { buildDz, buildKdz, dzChunksOf, type DzChunkSpec, type DzSpec } from '../../fixtures/builders/kdz';
import { rsaKey } from '../../fixtures/builders/avb';
import { pseudoRandom } from '../../fixtures/builders/data';
import { zstdStored } from '../../fixtures/builders/payload';
import { requireTools, runCli, runTool, tempDir } from '../helpers';
import { innerImages } from './inner-images';
import { artifactAt, describe } from '../interop/util';

const rules = (r: Report) => r.findings.map((f) => f.ruleId);
const key = rsaKey(2048);

interface Images {
  dir: string;
  simg: Buffer;
  boot: Buffer;
  vbmeta: Buffer;
  persist: Buffer;
}

function images(t: Parameters<typeof tempDir>[0]): Images | null {
  const inner = innerImages(t, { tools: ['md5sum'], dataBytes: 200000, osVersion: '11.0.0', patchLevel: '2021-03', salt: pseudoRandom(32, 5), key });
  if (!inner) return null;
  const { dir, boot, vbmeta } = inner;
  // A partition with zero sectors between its data: LG's tools leave them out of the chunks.
  const persist = Buffer.alloc(256 * 1024);
  pseudoRandom(5000, 6).copy(persist, 4096);
  pseudoRandom(9000, 7).copy(persist, 100 * 1024);
  return { dir, simg: inner.simg, boot, vbmeta, persist };
}

function chunksOf(im: Images): DzChunkSpec[] {
  return [
    ...dzChunksOf('boot', im.boot, { startSector: 0x100 }),
    ...dzChunksOf('system', im.simg, { startSector: 0x1000, maxChunk: 64 * 1024 }),
    ...dzChunksOf('vbmeta', im.vbmeta, { startSector: 0x4000 }),
    ...dzChunksOf('persist', im.persist, { startSector: 0x5000, hwPartition: 1 }),
  ];
}

function kdzOf(dz: Buffer, version: 1 | 2 | 3 = 3): Buffer {
  return buildKdz({
    version,
    files: [
      { name: 'LMG900EM.dz', data: dz },
      { name: 'LGUP_c.dll', data: pseudoRandom(3000, 8) },
    ],
    secure: { parts: [{ name: 'boot', startSector: 0x100, sectorCount: 8 }] },
    extendedMemId: Buffer.from('UFS 128GB\n'),
    suffixMap: Buffer.from('_a\n_b\n'),
    skuMap: Buffer.from('EEA\n'),
  });
}

function zstdTool(data: Buffer): Buffer {
  return runTool('zstd', ['-c', '-q', '-3'], { input: data }).stdout;
}

for (const codec of ['zlib', 'zstd'] as const) {
  test(`KDZ v3 with a ${codec} DZ: files, header fields, partitions decoded down to the images' own checks`, async (t) => {
    const im = images(t);
    if (!im || (codec === 'zstd' && !requireTools(t, 'zstd'))) return;
    const spec: DzSpec = { chunks: chunksOf(im), compression: codec, ...(codec === 'zstd' ? { compress: zstdTool } : {}) };
    const file = join(im.dir, 'LMG900EM.kdz');
    writeFileSync(file, kdzOf(buildDz(spec)));
    const r = await inspect(file, { sidecars: false });
    assert.equal(r.root.format, 'lg-kdz');
    assert.deepEqual(
      r.root.children.map((c) => [c.name, c.format]),
      [
        ['LMG900EM.dz', 'lg-dz'],
        ['LGUP_c.dll', 'data'],
        ['extended_mem_id.dat', 'data'],
        ['suffix_map.dat', 'data'],
        ['sku_map.dat', 'data'],
      ],
    );
    assert.equal(r.root.info.version, 3);
    assert.equal(r.root.info.ftmModelName, 'LMG900EM');
    assert.equal(r.root.info.tag, 'EEA');
    assert.equal((r.root.info.securePartition as Record<string, unknown>).partCount, 1);
    const dz = artifactAt(r.root, 'LMG900EM.dz');
    assert.equal(dz.info.model, 'LMG900EM');
    assert.equal(dz.info.compression, codec);
    assert.equal(dz.info.buildDate, '2021-03-04 12:34:56');
    assert.equal(dz.info.sectorSize, 4096);
    assert.deepEqual(
      dz.children.map((c) => [c.name, c.format]),
      [
        ['boot.img', 'android-boot'],
        ['system.img', 'android-sparse'],
        ['vbmeta.img', 'avb-vbmeta'],
        ['persist.img', 'data'],
      ],
    );
    // The header CRC, the chunk headers' MD5, the data MD5, and one per partition.
    const ok = dz.facts.filter((f) => f.kind === 'image-checksum-ok').map((f) => f.message);
    assert.equal(ok.length, 7, ok.join('\n'));
    assert.ok(ok.some((m) => /^system: the MD5, CRC-32 and size of each of its \d+ chunks match their headers$/.test(m)));
    assert.ok(!rules(r).some((x) => x.startsWith('integrity/') || x.startsWith('format/')), describe(r.findings));
    // The images' own checks ran: the sparse image expands, the boot id and the vbmeta signature verify.
    assert.equal(artifactAt(r.root, 'LMG900EM.dz/system.img/raw').size, 1 << 20);
    const kinds = new Set<string>([...walkArtifacts(r.root)].flatMap((a) => a.facts.map((f) => f.kind)));
    for (const k of ['boot-id-ok', 'avb-signature-ok']) assert.ok(kinds.has(k), `${k} missing: ${[...kinds].join(', ')}`);
    // Partitions extract as the inputs (zeros between chunks, and after the data up to the last sector).
    for (const [name, want] of [
      ['persist.img', im.persist],
      ['boot.img', im.boot],
      ['system.img', im.simg],
    ] as const) {
      const out = join(im.dir, `out-${name}`);
      const x = runCli(['extract', file, `LMG900EM.dz/${name}`, '-o', out]);
      assert.equal(x.code, 0, x.stderr);
      const got = readFileSync(out);
      const padded = Buffer.concat([want, Buffer.alloc(got.length - want.length)]);
      assert.equal(got.length % 4096, 0);
      writeFileSync(join(im.dir, 'want'), padded);
      const sums: string[] = runTool('md5sum', [out, join(im.dir, 'want')])
        .stdout.toString()
        .trim()
        .split('\n');
      assert.equal(sums[0].split(' ')[0], sums[1].split(' ')[0], `${name} differs from its input`);
    }
  });
}

for (const codec of ['zlib', 'zstd'] as const) {
  test(`DZ (${codec}): one flipped byte in any chunk is found by its MD5`, async (t) => {
    const im = images(t);
    if (!im) return;
    // Stored deflate blocks, raw zstd blocks: a flipped byte still decodes, so only the checks can tell.
    const chunks = chunksOf(im);
    const dz = buildDz({ chunks, compression: codec, compress: codec === 'zlib' ? (d) => deflateSync(d, { level: 0 }) : zstdStored });
    let at = 512;
    for (let i = 0; i < chunks.length; i++) {
      const stored = dz.readUInt32LE(at + 104);
      const bad = Buffer.from(dz);
      bad[at + 512 + Math.floor(stored / 2)] ^= 0x01;
      const r = await inspect(bad, { name: 'x.dz', sidecars: false });
      const f = r.findings.filter((x) => x.ruleId === 'integrity/image-checksum').map((x) => x.message);
      assert.ok(
        f.some((m) => new RegExp(`: chunk ${i} \\(.*the MD5 of its decoded data is [0-9a-f]{32} \\(of its compressed data [0-9a-f]{32}\\), its header says`).test(m)),
        `chunk ${i}: ${f.join('\n')}`,
      );
      assert.ok(f.some((m) => /^the data MD5 over the header/.test(m)));
      assert.equal(r.summary.integrity.status, 'failed');
      at += 512 + stored;
    }
  });
}

test('DZ: lying sizes, counts and sectors give findings, not crashes', async () => {
  const data = pseudoRandom(10000, 11);
  const base: DzChunkSpec[] = [
    { partition: 'boot', data, startSector: 10 },
    { partition: 'boot', data: pseudoRandom(5000, 12), startSector: 20 },
  ];
  const check = async (spec: DzSpec, want: RegExp, dz = buildDz(spec)) => {
    const r = await inspect(dz, { name: 'x.dz', sidecars: false });
    assert.equal(r.root.format, 'lg-dz');
    assert.ok(
      r.findings.some((f) => want.test(f.message)),
      describe(r.findings),
    );
    return r;
  };
  await check({ chunks: base, chunkCount: 3 }, /chunk 2 of 3: its header at byte \d+ runs past the end/);
  await check({ chunks: base, chunkCount: 0xffffffff }, /declares 4294967295 chunks; only the first 65536/);
  await check({ chunks: [{ ...base[0], dataSize: 20000 }, base[1]] }, /chunk 0 \(boot_10\.bin\): it decodes to 10000 bytes, its header declares 20000/);
  await check({ chunks: [{ ...base[0], dataSize: 5000 }, base[1]] }, /decodes to more than the 5000 bytes/);
  await check({ chunks: [{ ...base[0], compressedSize: 100 }, base[1]] }, /no chunk header magic/);
  await check({ chunks: [{ ...base[0], compressedSize: 0xfffffff0 }, base[1]] }, /run past the end of the/);
  await check({ chunks: [base[0], { ...base[1], startSector: 11 }] }, /overlaps the chunk before it/);
  await check({ chunks: [{ ...base[0], sectorCount: 0xffffffff }, base[1]] }, /is not rebuilt: decompressed data exceeds/);
  await check({ chunks: [{ ...base[0], stored: Buffer.from('not zlib at all') }, base[1]] }, /does not decode to the end \(zlib: /);
  const cut = buildDz({ chunks: base });
  await check({ chunks: base }, /run past the end/, cut.subarray(0, cut.length - 10));
  const hdr = buildDz({ chunks: base });
  hdr[20] ^= 1;
  await check({ chunks: base }, /the DZ header's CRC-32 is/, hdr);
});

test('KDZ v1 and v2 tables; bad records are findings', async () => {
  const dz = buildDz({ chunks: [{ partition: 'boot', data: pseudoRandom(6000, 13), startSector: 4 }], ufs: false, compression: 1, minor: 0 });
  for (const version of [1, 2] as const) {
    const kdz = buildKdz({
      version,
      files: [
        { name: 'X.dz', data: dz },
        { name: 'LGUP_c.dll', data: pseudoRandom(100, 14) },
      ],
    });
    const r = await inspect(kdz, { name: 'x.kdz', sidecars: false });
    assert.equal(r.root.format, 'lg-kdz');
    assert.equal(r.root.info.version, version);
    assert.deepEqual(
      (r.root.info.records as Record<string, unknown>[]).map((x) => x.name),
      ['X.dz', 'LGUP_c.dll'],
    );
    const d = artifactAt(r.root, 'X.dz');
    assert.equal(d.format, 'lg-dz');
    assert.equal(d.info.sectorSize, 512);
    assert.equal(d.info.compression, 'zlib');
    assert.deepEqual(rules(r), [], describe(r.findings));
    // A record past the end, and one inside the header.
    const cut = await inspect(kdz.subarray(0, kdz.length - 50), { name: 'x.kdz', sidecars: false });
    assert.ok(rules(cut).includes('integrity/truncated'), describe(cut.findings));
    const inside = Buffer.from(kdz);
    if (version === 1) inside.writeUInt32LE(100, 8 + 260);
    else inside.writeBigUInt64LE(100n, 8 + 264);
    const i = await inspect(inside, { name: 'x.kdz', sidecars: false });
    assert.ok(
      i.findings.some((f) => /lies inside the \d+-byte KDZ header/.test(f.message)),
      describe(i.findings),
    );
  }
});

test('KDZ v3: maps whose sizes disagree with the header, a secure partition listing too many parts', async () => {
  const dz = buildDz({ chunks: [{ partition: 'boot', data: pseudoRandom(6000, 15), startSector: 4 }] });
  const files = [
    { name: 'X.dz', data: dz },
    { name: 'LGUP_c.dll', data: pseudoRandom(100, 16) },
  ];
  const lying = buildKdz({ version: 3, files, suffixMap: Buffer.from('_a\n'), additionalRecordsSize: 99 });
  const r = await inspect(lying, { name: 'x.kdz', sidecars: false });
  assert.ok(
    r.findings.some((f) => f.ruleId === 'format/unreadable' && /additional records 99 bytes, its three maps take 3/.test(f.message)),
    describe(r.findings),
  );
  const many = buildKdz({ version: 3, files });
  many.writeUInt32LE(0xffffffff, 1320 + 8);
  const m = await inspect(many, { name: 'x.kdz', sidecars: false });
  assert.ok(
    m.findings.some((f) => /lists 4294967295 parts; its block holds at most 1575/.test(f.message)),
    describe(m.findings),
  );
  assert.equal(artifactAt(m.root, 'X.dz').format, 'lg-dz');
});

test('DZ: chunk MD5 and CRC-32 over the compressed data (as the kdz-tool repacker writes them) match too, and say so', async () => {
  const chunks: DzChunkSpec[] = [
    { partition: 'boot', data: pseudoRandom(10000, 17), startSector: 10 },
    { partition: 'boot', data: pseudoRandom(5000, 18), startSector: 20 },
  ];
  const r = await inspect(buildDz({ chunks, digestOf: 'compressed' }), { name: 'x.dz', sidecars: false });
  assert.deepEqual(rules(r), [], describe(r.findings));
  assert.ok(
    r.root.facts.some((f) => f.kind === 'image-checksum-ok' && f.message === 'boot: the MD5, CRC-32 and size of each of its 2 chunks match their headers (the MD5 of the compressed data)'),
    r.root.facts.map((f) => f.message).join('\n'),
  );
  const bad = buildDz({ chunks, digestOf: 'compressed' });
  bad[512 + 512 + 100] ^= 0x40;
  const b = await inspect(bad, { name: 'x.dz', sidecars: false });
  assert.ok(
    b.findings.some((f) => /^boot: chunk 0 \(boot_10\.bin\): .*the MD5 of its decoded data is [0-9a-f]{32} \(of its compressed data [0-9a-f]{32}\), its header says/.test(f.message)),
    describe(b.findings),
  );
});
