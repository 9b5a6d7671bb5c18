/**
 * Incremental A/B payloads applied to their base build (`--base`): deltas
 * built here (fixtures/builders/delta-payload.ts) between ext4 images that
 * `mke2fs -d` made from two versions of a tree, with SOURCE_COPY where
 * chunks are equal and bsdiff patches from Debian's `bsdiff` (checked with
 * its `bspatch`) or rewrapped as BSDF2 (brotli, none). The base is given as
 * a directory of images, a full OTA zip and a sparse image (`img2simg`); the
 * rebuilt partitions must equal the new images byte for byte (extracted and
 * compared), and a base one byte off is reported by partition and operation.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/pipeline/inspect';
import type { Artifact, Report } from '../../src/report/model';
import { buildDeltaPayload, type DeltaPartitionInput, type PatchKind } from '../../fixtures/builders/delta-payload';
import { buildPayload, OP } from '../../fixtures/builders/payload';
import { buildAbOtaZip } from '../../fixtures/builders/ota-zip';
import { mke2fs, type TreeEntry } from '../../fixtures/builders/ext4';
import { pseudoRandom } from '../../fixtures/builders/data';
import { buildSuperImage } from '../../fixtures/builders/super';
import { buildZip } from '../../fixtures/builders/zip';
import { corpusFile, requireTools, runCli, runTool, tempDir } from '../helpers';
import { extract } from '../../src/pipeline/extract';
import { artifactAt, describe as describeFindings, sha256 } from '../interop/util';
import { PartitionSource, partitionReadStats } from '../../src/formats/ota-payload/partition';
import { otaPayloadHandler } from '../../src/formats/ota-payload';
import { usePuffPatch } from '../../src/formats/ota-payload/delta';
import { applyPuffPatch } from '../../src/codecs/puffin';
import { makePuffPatch } from '../../fixtures/builders/puffin';
import { openBase } from '../../src/pipeline/base';
import { FileSource } from '../../src/io/source';
import { Budget, defaultBudget } from '../../src/io/limits';

const BS = 4096;

function tree(version: 1 | 2): Record<string, TreeEntry> {
  const t: Record<string, TreeEntry> = {
    'etc/build.prop': { type: 'file', data: `ro.build.version.incremental=${version === 1 ? '100' : '101'}\nro.product.device=demo\n` },
    'app/big.bin': { type: 'file', data: pseudoRandom(300 * 1024, 7) },
    'lib/libfoo.so': { type: 'file', data: pseudoRandom(120 * 1024, 8) },
  };
  if (version === 2) {
    // An edit inside a file, and a new file.
    const big = pseudoRandom(300 * 1024, 7);
    big.write('patched by version 2', 150 * 1024);
    t['app/big.bin'] = { type: 'file', data: big };
    t['app/new.txt'] = { type: 'file', data: 'added in version 2\n'.repeat(200) };
  }
  return t;
}

interface Images {
  system: [Buffer, Buffer];
  vendor: [Buffer, Buffer];
}

let cached: Images | null = null;
function images(): Images {
  cached ??= {
    system: [mke2fs(tree(1), ['-t', 'ext4', '-b', '4096'], 2048, { mtime: 1700000000 }), mke2fs(tree(2), ['-t', 'ext4', '-b', '4096'], 2048, { mtime: 1700000000 })],
    vendor: [
      mke2fs({ 'etc/vendor.prop': { type: 'file', data: 'ro.vendor.x=1\n' } }, ['-t', 'ext4', '-b', '4096'], 1024, { mtime: 1700000000 }),
      mke2fs({ 'etc/vendor.prop': { type: 'file', data: 'ro.vendor.x=2\n' } }, ['-t', 'ext4', '-b', '4096'], 1024, { mtime: 1700000000 }),
    ],
  };
  return cached;
}

function parts(patch: PatchKind): DeltaPartitionInput[] {
  const im = images();
  return [
    { name: 'system', old: im.system[0], new: im.system[1], patch, chunkBlocks: 4 },
    { name: 'vendor', old: im.vendor[0], new: im.vendor[1], patch, chunkBlocks: 16 },
  ];
}

function baseDir(t: TestContext, edit?: (name: string, b: Buffer) => Buffer): string {
  const d = join(tempDir(t), 'base');
  mkdirSync(d);
  const im = images();
  writeFileSync(join(d, 'system.img'), edit ? edit('system', Buffer.from(im.system[0])) : im.system[0]);
  writeFileSync(join(d, 'vendor_a.img'), edit ? edit('vendor', Buffer.from(im.vendor[0])) : im.vendor[0]);
  return d;
}

/** payload_properties.txt as delta_generator writes it (an unsigned payload: the metadata is the header and manifest). */
function propertiesOf(payload: Buffer): string {
  const meta = 24 + Number(payload.readBigUInt64BE(12));
  const b64 = (b: Buffer) => Buffer.from(sha256(b), 'hex').toString('base64');
  return `FILE_HASH=${b64(payload)}\nFILE_SIZE=${payload.length}\nMETADATA_HASH=${b64(payload.subarray(0, meta))}\nMETADATA_SIZE=${meta}\n`;
}

function findingsOf(r: Report, rule: string): string[] {
  return r.findings.filter((f) => f.ruleId === rule).map((f) => f.message);
}

function kinds(a: Artifact, kind: string): string[] {
  return a.facts.filter((f) => f.kind === kind).map((f) => f.message);
}

/** The bytes of a rebuilt partition, read through the report's own source (extract reads the same). */
async function checkRebuilt(r: Report, payloadPath: string, want: Record<string, Buffer>): Promise<void> {
  for (const [name, bytes] of Object.entries(want)) {
    const a = artifactAt(r.root, payloadPath ? `${payloadPath}/${name}.img` : `${name}.img`);
    assert.deepEqual(kinds(a, 'payload-partition-hash'), [], `${name}: the rebuilt partition matches new_partition_info`);
    assert.equal(kinds(a, 'payload-partition-hash-ok').length, 1, `${name}: its hash was checked: ${JSON.stringify(a.facts)}`);
    assert.equal(a.size, bytes.length);
    assert.equal(a.hashes.sha256, sha256(bytes), `${name}: byte for byte the new image`);
  }
}

test('a delta of SOURCE_COPY and SOURCE_BSDIFF (Debian bsdiff) applies to a directory of images, byte for byte, and the ext4 inside is decoded', async (t) => {
  if (!requireTools(t, 'bsdiff', 'bspatch', 'bzip2', 'mke2fs')) return;
  const d = buildDeltaPayload(parts('bsdiff40'));
  assert.ok(d.types.system.includes(OP.SOURCE_COPY) && d.types.system.includes(OP.SOURCE_BSDIFF), `both kinds used: ${d.types.system}`);
  const dir = tempDir(t);
  writeFileSync(join(dir, 'payload.bin'), d.payload);
  const r = await inspect(join(dir, 'payload.bin'), { base: baseDir(t) });
  assert.deepEqual(findingsOf(r, 'compat/incremental-base'), [], describeFindings(r.findings));
  assert.equal(kinds(r.root, 'payload-base-ok').length, 2, JSON.stringify(r.root.facts));
  await checkRebuilt(r, '', { system: images().system[1], vendor: images().vendor[1] });
  const sys = artifactAt(r.root, 'system.img');
  assert.equal(sys.format, 'ext4');
  assert.ok(
    sys.children.some((c) => c.path.endsWith('etc/build.prop')),
    'the new file system is walked',
  );
  assert.equal(r.summary.errors, 0, describeFindings(r.findings));
});

for (const patch of ['bsdf2-brotli', 'bsdf2-none', 'bsdf2-bz2'] as const) {
  test(`BSDF2 patches (${patch}) apply the same`, async (t) => {
    if (!requireTools(t, 'bsdiff', 'bspatch', 'bzip2', 'brotli', 'mke2fs')) return;
    const d = buildDeltaPayload(parts(patch));
    if (patch === 'bsdf2-brotli') assert.ok(d.types.system.includes(OP.BROTLI_BSDIFF));
    const dir = tempDir(t);
    writeFileSync(join(dir, 'payload.bin'), d.payload);
    const r = await inspect(join(dir, 'payload.bin'), { base: baseDir(t) });
    assert.equal(r.summary.errors, 0, describeFindings(r.findings));
    await checkRebuilt(r, '', { system: images().system[1], vendor: images().vendor[1] });
  });
}

test('the base as a full OTA zip: partitions are found inside its payload.bin', async (t) => {
  if (!requireTools(t, 'bsdiff', 'bspatch', 'bzip2', 'mke2fs')) return;
  const im = images();
  const full = buildPayload([
    { name: 'system', data: im.system[0], type: 'REPLACE_ZSTD' },
    { name: 'vendor', data: im.vendor[0], type: 'REPLACE' },
  ]);
  const dir = tempDir(t);
  writeFileSync(join(dir, 'base.zip'), buildAbOtaZip({ payload: full.payload, properties: full.properties }).zip);
  const d = buildDeltaPayload(parts('bsdiff40'));
  const delta = buildAbOtaZip({ payload: d.payload, properties: propertiesOf(d.payload), lines: ['pre-device=demo', 'pre-build=demo/demo/demo:14/A/100:user/release-keys', 'post-timestamp=1700000001'] }).zip;
  writeFileSync(join(dir, 'delta.zip'), delta);
  const r = await inspect(join(dir, 'delta.zip'), { base: join(dir, 'base.zip') });
  assert.deepEqual(findingsOf(r, 'compat/incremental-base'), []);
  const pay = artifactAt(r.root, 'payload.bin');
  assert.match(JSON.stringify(pay.info.base), /payload\.bin\/system\.img/);
  await checkRebuilt(r, 'payload.bin', { system: im.system[1], vendor: im.vendor[1] });
});

test('the base as sparse images (img2simg): read through the chunk map', async (t) => {
  if (!requireTools(t, 'bsdiff', 'bspatch', 'bzip2', 'mke2fs', 'img2simg')) return;
  const raw = baseDir(t);
  const sparse = join(tempDir(t), 'sparse');
  mkdirSync(sparse);
  assert.equal(runTool('img2simg', [join(raw, 'system.img'), join(sparse, 'system.img')]).status, 0);
  assert.equal(runTool('img2simg', [join(raw, 'vendor_a.img'), join(sparse, 'vendor.img')]).status, 0);
  assert.equal(readFileSync(join(sparse, 'system.img')).readUInt32LE(0), 0xed26ff3a);
  const dir = tempDir(t);
  writeFileSync(join(dir, 'payload.bin'), buildDeltaPayload(parts('bsdiff40')).payload);
  const r = await inspect(join(dir, 'payload.bin'), { base: sparse });
  assert.equal(r.summary.errors, 0, describeFindings(r.findings));
  await checkRebuilt(r, '', { system: images().system[1], vendor: images().vendor[1] });
});

test('a base one byte off in one partition: that partition and its first failing operation are named; the other still applies', async (t) => {
  if (!requireTools(t, 'bsdiff', 'bspatch', 'bzip2', 'mke2fs')) return;
  const d = buildDeltaPayload(parts('bsdiff40'));
  // A byte inside the source of the second operation that reads one (SOURCE_COPY or SOURCE_BSDIFF, in place: chunk i reads chunk i).
  const readers = d.types.system.map((ty, i) => (ty === OP.SOURCE_COPY || ty === OP.SOURCE_BSDIFF ? i : -1)).filter((i) => i >= 0);
  const firstOp = readers[1];
  const at = firstOp * 4 * BS + 100;
  const dir = tempDir(t);
  writeFileSync(join(dir, 'payload.bin'), d.payload);
  const base = baseDir(t, (name, b) => {
    if (name === 'system') b[at] ^= 0x5a;
    return b;
  });
  const r = await inspect(join(dir, 'payload.bin'), { base });
  const msgs = findingsOf(r, 'compat/incremental-base');
  assert.equal(msgs.length, 2, msgs.join('\n'));
  assert.match(msgs[0], /^partition system: the base's image \(system\.img\) is not the one this payload patches: the SHA-256 of its first \d+ bytes is [0-9a-f]{64}, old_partition_info says [0-9a-f]{64}$/);
  assert.match(
    msgs[1],
    new RegExp(
      `^partition system operation ${firstOp} \\((SOURCE_COPY|SOURCE_BSDIFF)\\): the SHA-256 of its source blocks in the base \\(system\\.img\\) is [0-9a-f]{64}, its src_sha256_hash says [0-9a-f]{64}; update_engine stops here`,
    ),
  );
  const sys = artifactAt(r.root, 'system.img');
  assert.match(String(sys.info.partitionHash), /^not checked: system is not rebuilt: operation \d+'s source blocks differ/);
  await checkRebuilt(r, '', { vendor: images().vendor[1] });
});

test('a partition the base lacks is named; an operation romscope cannot apply leaves that partition unchecked', async (t) => {
  if (!requireTools(t, 'bsdiff', 'bspatch', 'bzip2', 'mke2fs')) return;
  const im = images();
  // Without a puffin applier, PUFFDIFF is an operation romscope cannot apply.
  usePuffPatch(null);
  t.after(() => usePuffPatch(applyPuffPatch));
  const d = buildDeltaPayload([
    ...parts('bsdiff40'),
    {
      name: 'odm',
      old: Buffer.alloc(4 * BS, 1),
      new: Buffer.alloc(4 * BS, 2),
      ops: [{ type: OP.PUFFDIFF, src: [{ start: 0, blocks: 4 }], dst: [{ start: 0, blocks: 4 }], blob: Buffer.from('puffin patch') }],
    },
    { name: 'product', old: Buffer.alloc(BS, 3), new: Buffer.alloc(BS, 3), ops: [{ type: 4, src: [{ start: 0, blocks: 1 }], dst: [{ start: 0, blocks: 1 }] }] },
  ]);
  const dir = tempDir(t);
  writeFileSync(join(dir, 'payload.bin'), d.payload);
  const base = baseDir(t);
  writeFileSync(join(base, 'odm.img'), Buffer.alloc(4 * BS, 1));
  const r = await inspect(join(dir, 'payload.bin'), { base });
  assert.deepEqual(findingsOf(r, 'compat/incremental-base'), [
    `partition product: the base ${base} has no product image (looked for product.img, product, product_a.img... in its packages, payloads and partition tables)`,
  ]);
  const unsupported = findingsOf(r, 'format/unsupported');
  assert.deepEqual(unsupported, ['partition odm operation 0 (PUFFDIFF): cannot apply: no puffin patch applier is set. odm is not rebuilt, so its SHA-256 is not checked']);
  assert.match(String(artifactAt(r.root, 'odm.img').info.partitionHash), /^not checked: odm is not rebuilt: operation 0 is PUFFDIFF/);
  await checkRebuilt(r, '', { system: im.system[1], vendor: im.vendor[1] });

  // A package in the base that does not open (its end record points the central directory past the end) may be where
  // product.img is: the finding says it was not searched.
  const zip = buildZip([{ name: 'product.img', data: Buffer.alloc(BS, 3) }]);
  zip.writeUInt32LE(0xffffff00, zip.length - 22 + 16);
  writeFileSync(join(base, 'broken.zip'), zip);
  const again = await inspect(join(dir, 'payload.bin'), { base });
  const [missing] = findingsOf(again, 'compat/incremental-base');
  assert.match(missing, /^partition product: the base .* has no product image \(looked for .*; not searched: broken\.zip: .+\)$/);
});

test('without --base a delta says it is one, which build it needs, which partitions and operations it uses, and that it is not checked further', async (t) => {
  if (!requireTools(t, 'bsdiff', 'bspatch', 'bzip2', 'mke2fs')) return;
  const d = buildDeltaPayload(parts('bsdiff40'));
  const dir = tempDir(t);
  writeFileSync(
    join(dir, 'delta.zip'),
    buildAbOtaZip({
      payload: d.payload,
      properties: propertiesOf(d.payload),
      lines: ['pre-device=demo', 'pre-build=demo/demo/demo:14/A/100:user/release-keys', 'pre-build-incremental=100', 'pre-timestamp=1700000000', 'post-timestamp=1700000001'],
    }).zip,
  );
  const r = await inspect(join(dir, 'delta.zip'));
  const msgs = findingsOf(r, 'format/unsupported');
  assert.equal(msgs.length, 1, describeFindings(r.findings));
  assert.match(
    msgs[0],
    /^payload\.bin is an incremental \(delta\) payload: it patches the partitions of one base build \(the package's metadata names it: pre-build demo\/demo\/demo:14\/A\/100:user\/release-keys, pre-build-incremental 100, pre-timestamp 1700000000\), using [A-Z_, ]*SOURCE_BSDIFF/,
  );
  assert.match(msgs[0], /: system \((?=[^)]*\d+ SOURCE_COPY)(?=[^)]*\d+ SOURCE_BSDIFF)[^)]*\); vendor \(/);
  assert.match(msgs[0], /cannot be rebuilt or checked without that build: pass it with --base/);
  assert.equal(artifactAt(r.root, 'payload.bin').info.rebuilt, false);
});

test('a rebuilt delta partition is read by extent: one block of the target costs one operation and its source blocks', async (t) => {
  if (!requireTools(t, 'bsdiff', 'bspatch', 'bzip2', 'mke2fs')) return;
  const d = buildDeltaPayload(parts('bsdiff40'));
  const dir = tempDir(t);
  writeFileSync(join(dir, 'payload.bin'), d.payload);
  const base = await openBase(baseDir(t));
  t.after(() => base.release());
  const src = await FileSource.open(join(dir, 'payload.bin'), 'payload.bin');
  t.after(() => src.close());
  const facts: string[] = [];
  const res = await otaPayloadHandler.decode(src, { budget: new Budget(defaultBudget(src.size)), fact: (f) => void facts.push(f.kind), base });
  const sys = res.children.find((c) => c.name === 'system.img')!.source as PartitionSource;
  const want = images().system[1];
  for (const [i, ty] of d.types.system.entries()) {
    if (ty !== OP.SOURCE_BSDIFF && ty !== OP.SOURCE_COPY) continue;
    const before = partitionReadStats.operations;
    const got = await sys.read(i * 4 * BS + 10, 100);
    assert.equal(partitionReadStats.operations - before, 1, `operation ${i} only`);
    assert.ok(got.equals(want.subarray(i * 4 * BS + 10, i * 4 * BS + 110)));
  }
  assert.ok(facts.includes('payload-base-ok'));
});

test("update_engine's sample delta against the regenerated sample images: each mismatching partition is reported with both hashes; root, whose operations read no source, is rebuilt and checked", async (t) => {
  const delta = corpusFile(t, 'ota-payload/ue_sample_delta_payload.bin');
  const tarball = corpusFile(t, 'ota-payload/ue_sample_images.tar.bz2');
  if (!delta || !tarball || !requireTools(t, 'tar', 'bzip2')) return;
  const base = tempDir(t);
  assert.equal(runTool('tar', ['xjf', tarball, '-C', base]).status, 0);
  // The sample's kernel and root partitions: the images the sample was made from were never published.
  writeFileSync(join(base, 'kernel.img'), readFileSync(join(base, 'disk_ext2_4k.img')));
  writeFileSync(join(base, 'root.img'), readFileSync(join(base, 'disk_sqfs_unittest.img')));
  const r = await inspect(delta, { base });
  const msgs = findingsOf(r, 'compat/incremental-base');
  assert.equal(msgs.length, 3, msgs.join('\n'));
  assert.match(
    msgs[0],
    /^partition kernel: the base's image \(kernel\.img\) is not the one this payload patches: the SHA-256 of its first 4194304 bytes is [0-9a-f]{64}, old_partition_info says 42a879e9d112c81619d2ee9a108d99d09b85144c18297f3c148747758da56d03$/,
  );
  assert.match(
    msgs[1],
    /^partition kernel operation 0 \(BROTLI_BSDIFF\): the SHA-256 of its source blocks in the base \(kernel\.img\) is [0-9a-f]{64}, its src_sha256_hash says [0-9a-f]{64}; update_engine stops here, so kernel is not rebuilt$/,
  );
  assert.match(
    msgs[2],
    /^partition root: the base's image \(root\.img\) is not the one this payload patches: the SHA-256 of its first 4096 bytes is [0-9a-f]{64}, old_partition_info says 2cedf8ef8f438566bc835419b0e7a51a3d2679e6485de628aab080d33a712a1f$/,
  );
  const root = artifactAt(r.root, 'root.img');
  assert.equal(kinds(root, 'payload-partition-hash-ok').length, 1, JSON.stringify(root.facts));
  assert.equal(root.size, 12288);
  assert.match(String(artifactAt(r.root, 'kernel.img').info.partitionHash), /^not checked: kernel is not rebuilt: operation 0's source blocks differ/);
});

test('romscope check --base and extract --base: a rebuilt delta partition is written byte for byte', async (t) => {
  if (!requireTools(t, 'bsdiff', 'bspatch', 'bzip2', 'mke2fs')) return;
  const dir = tempDir(t);
  const d = buildDeltaPayload(parts('bsdiff40'));
  writeFileSync(join(dir, 'delta.zip'), buildAbOtaZip({ payload: d.payload, properties: propertiesOf(d.payload) }).zip);
  const base = baseDir(t);
  const ok = runCli(['check', join(dir, 'delta.zip'), '--base', base, '--json', '--fail-on', 'error']);
  const report = JSON.parse(ok.stdout) as Report;
  assert.equal(report.findings.filter((f) => f.ruleId === 'compat/incremental-base').length, 0, ok.stdout.slice(0, 2000));
  assert.equal(artifactAt(report.root, 'payload.bin/system.img').hashes.sha256, sha256(images().system[1]));
  const out = join(dir, 'out');
  mkdirSync(out);
  const r = await extract(join(dir, 'delta.zip'), 'payload.bin/system.img', out + '/', { base });
  assert.ok(readFileSync(r.output).equals(images().system[1]));
  // A base one byte off in what operation 0 reads: extract says why the partition is not there.
  const bad = baseDir(t, (name, b) => {
    if (name === 'system') b[1024] ^= 1;
    return b;
  });
  await assert.rejects(extract(join(dir, 'delta.zip'), 'payload.bin/system.img', join(dir, 'out2.img'), { base: bad }), /not checked: system is not rebuilt: operation 0's source blocks differ/);
  const missing = runCli(['check', join(dir, 'delta.zip'), '--base', join(dir, 'nowhere')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--base .*nowhere: no such file or directory/);
});

test('the base as a super image (LP metadata), sparse: system_a and vendor_a are found inside it', async (t) => {
  if (!requireTools(t, 'bsdiff', 'bspatch', 'bzip2', 'mke2fs', 'img2simg')) return;
  const im = images();
  const superImg = buildSuperImage(
    {
      partitions: [
        { name: 'system_a', attributes: ['readonly'], data: im.system[0] },
        { name: 'vendor_a', attributes: ['readonly'], data: im.vendor[0] },
      ],
    },
    { metadataMaxSize: 4096, slotCount: 2 },
  ).image;
  const dir = tempDir(t);
  writeFileSync(join(dir, 'super.raw'), superImg);
  assert.equal(runTool('img2simg', [join(dir, 'super.raw'), join(dir, 'super.img')]).status, 0);
  writeFileSync(join(dir, 'payload.bin'), buildDeltaPayload(parts('bsdiff40')).payload);
  const r = await inspect(join(dir, 'payload.bin'), { base: join(dir, 'super.img') });
  assert.equal(r.summary.errors, 0, describeFindings(r.findings));
  assert.match(JSON.stringify(artifactAt(r.root, '').info.base), /system_a/);
  await checkRebuilt(r, '', { system: im.system[1], vendor: im.vendor[1] });
});

test('PUFFDIFF plumbing: without an applier a finding; with one, applied to the source blocks with bspatch given', async (t) => {
  const old = Buffer.alloc(2 * BS, 9);
  const next = Buffer.alloc(2 * BS, 4);
  // A stand-in for src/codecs/puffin's applyPuffPatch (tested there): the "patch" is a byte to add to every source byte.
  const d = buildDeltaPayload([{ name: 'system', old, new: next, ops: [{ type: OP.PUFFDIFF, src: [{ start: 0, blocks: 2 }], dst: [{ start: 0, blocks: 2 }], blob: Buffer.from([251]) }] }]);
  const dir = tempDir(t);
  writeFileSync(join(dir, 'payload.bin'), d.payload);
  const base = join(dir, 'base');
  mkdirSync(base);
  writeFileSync(join(base, 'system.img'), old);
  usePuffPatch(null);
  t.after(() => usePuffPatch(applyPuffPatch));
  const before = await inspect(join(dir, 'payload.bin'), { base });
  assert.match(findingsOf(before, 'format/unsupported').join('\n'), /^partition system operation 0 \(PUFFDIFF\): cannot apply: no puffin patch applier is set/);
  let calls = 0;
  usePuffPatch((source, patch, bsp) => {
    calls++;
    assert.equal(typeof bsp, 'function');
    return Buffer.from(source.map((b) => (b + patch[0]) & 0xff));
  });
  const after = await inspect(join(dir, 'payload.bin'), { base });
  assert.ok(calls >= 1);
  assert.equal(after.summary.errors, 0, describeFindings(after.findings));
  await checkRebuilt(after, '', { system: next });
});

test('the base as a factory package: a zip holding an image zip with a sparse system.img', async (t) => {
  if (!requireTools(t, 'bsdiff', 'bspatch', 'bzip2', 'mke2fs', 'img2simg')) return;
  const im = images();
  const dir = tempDir(t);
  writeFileSync(join(dir, 'system.raw'), im.system[0]);
  assert.equal(runTool('img2simg', [join(dir, 'system.raw'), join(dir, 'system.img')]).status, 0);
  const inner = buildZip([
    { name: 'system.img', data: readFileSync(join(dir, 'system.img')), method: 'deflate' },
    { name: 'vendor.img', data: im.vendor[0] },
  ]);
  writeFileSync(
    join(dir, 'factory.zip'),
    buildZip([
      { name: 'demo-100/flash-all.sh', data: Buffer.from('fastboot update image-demo-100.zip\n') },
      { name: 'demo-100/image-demo-100.zip', data: inner },
    ]),
  );
  writeFileSync(join(dir, 'payload.bin'), buildDeltaPayload(parts('bsdiff40')).payload);
  const r = await inspect(join(dir, 'payload.bin'), { base: join(dir, 'factory.zip') });
  assert.equal(r.summary.errors, 0, describeFindings(r.findings));
  assert.match(JSON.stringify(artifactAt(r.root, '').info.base), /demo-100\/image-demo-100\.zip\/system\.img/);
  await checkRebuilt(r, '', { system: im.system[1], vendor: im.vendor[1] });
});

test('a base image compressed with lz4 (Samsung style system.img.lz4) is decoded once to a temporary file', async (t) => {
  if (!requireTools(t, 'bsdiff', 'bspatch', 'bzip2', 'mke2fs', 'lz4')) return;
  const raw = baseDir(t);
  const base = join(tempDir(t), 'lz4');
  mkdirSync(base);
  assert.equal(runTool('lz4', ['-q', join(raw, 'system.img'), join(base, 'system.img.lz4')]).status, 0);
  writeFileSync(join(base, 'vendor.img'), images().vendor[0]);
  const dir = tempDir(t);
  writeFileSync(join(dir, 'payload.bin'), buildDeltaPayload(parts('bsdiff40')).payload);
  const r = await inspect(join(dir, 'payload.bin'), { base });
  assert.equal(r.summary.errors, 0, describeFindings(r.findings));
  assert.match(JSON.stringify(artifactAt(r.root, '').info.base), /system\.img\.lz4/);
  await checkRebuilt(r, '', { system: images().system[1], vendor: images().vendor[1] });
});

test('PUFFDIFF over a gzip-holding image: puffin patch (bsdiff of the puffed streams) applied and re-deflated bit for bit', async (t) => {
  if (!requireTools(t, 'bsdiff', 'bspatch', 'gzip')) return;
  const text = (v: number) => Buffer.from(Array.from({ length: 400 }, (_, i) => `line ${i}: version ${i % 37 === 0 ? v : 1} of the file\n`).join(''));
  const gz = (b: Buffer) => runTool('gzip', ['-9', '-n', '-c'], { input: b }).stdout;
  const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc(4 * BS - b.length)]);
  const old = pad(Buffer.concat([Buffer.from('HEAD'), gz(text(1))]));
  const next = pad(Buffer.concat([Buffer.from('HEAD'), gz(text(2))]));
  const built = makePuffPatch(old, next);
  const ext = [{ start: 0, blocks: 4 }];
  const d = buildDeltaPayload([{ name: 'system', old, new: next, ops: [{ type: OP.PUFFDIFF, src: ext, dst: ext, blob: built.patch }] }]);
  const dir = tempDir(t);
  writeFileSync(join(dir, 'payload.bin'), d.payload);
  const base = join(dir, 'base');
  mkdirSync(base);
  writeFileSync(join(base, 'system.img'), old);
  const r = await inspect(join(dir, 'payload.bin'), { base });
  assert.equal(r.summary.errors, 0, describeFindings(r.findings));
  await checkRebuilt(r, '', { system: next });
});
