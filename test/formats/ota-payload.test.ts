/**
 * A/B OTA payloads (FORMATS.md §6) made by the project's own writer
 * (fixtures/builders/payload.ts) and signed with a key generated here:
 * every operation type rebuilds its partition bit for bit, every blob and
 * partition hash and both signatures are checked, partitions extract, and
 * broken payloads give findings with bounded memory, never a crash.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { newRsaKeyPair } from '../../fixtures/builders/keys';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect, type InspectOptions } from '../../src/pipeline/inspect';
import { extract } from '../../src/pipeline/extract';
import type { Artifact, Report } from '../../src/report/model';
import { buildPayload, encodeManifest, payloadHeader, xzStored, zstdStored, type OpName, type PartitionInput, type PayloadOptions } from '../../fixtures/builders/payload';
import { pseudoRandom, compressible } from '../../fixtures/builders/data';
import { buildBootImage } from '../../fixtures/builders/bootimg';
import { requireTools, tempDir } from '../helpers';
import { artifactAt, describe, errors, peakMemoryGrowth, sha256 } from '../interop/util';

const BS = 4096;
const KEY = newRsaKeyPair(2048);
const KEY_PEM = Buffer.from(KEY.publicKey.export({ type: 'spki', format: 'pem' }));
const OTHER = newRsaKeyPair(2048);

/** 40 blocks: data, zeros, data, zeros, compressible data (so every operation type has real work). */
function systemImage(): Buffer {
  return Buffer.concat([pseudoRandom(8 * BS, 1), Buffer.alloc(4 * BS), pseudoRandom(8 * BS, 2), Buffer.alloc(8 * BS), compressible(12 * BS, 3)]);
}

function allOps(withBz: boolean): { type: OpName; dst: { start: number; blocks: number }[] }[] {
  return [
    { type: 'REPLACE', dst: [{ start: 0, blocks: 3 }] },
    { type: 'REPLACE_XZ', dst: [{ start: 3, blocks: 2 }] },
    { type: 'REPLACE_ZSTD', dst: [{ start: 5, blocks: 2 }] },
    { type: withBz ? 'REPLACE_BZ' : 'REPLACE', dst: [{ start: 7, blocks: 1 }] },
    { type: 'ZERO', dst: [{ start: 8, blocks: 4 }] },
    // One operation writing two extents, out of order.
    {
      type: 'REPLACE_XZ',
      dst: [
        { start: 16, blocks: 4 },
        { start: 12, blocks: 4 },
      ],
    },
    { type: 'DISCARD', dst: [{ start: 20, blocks: 8 }] },
    { type: withBz ? 'REPLACE_BZ' : 'REPLACE_ZSTD', dst: [{ start: 28, blocks: 6 }] },
    { type: 'REPLACE_ZSTD', dst: [{ start: 34, blocks: 3 }] },
    { type: 'REPLACE_XZ', dst: [{ start: 37, blocks: 3 }] },
  ];
}

function partitions(withBz: boolean): PartitionInput[] {
  return [
    { name: 'system', data: systemImage(), ops: allOps(withBz) },
    // Many small compressed operations: decoded in parallel, written back in order.
    { name: 'vendor', data: compressible(64 * BS, 4), type: 'REPLACE_XZ', chunkBlocks: 2 },
    { name: 'boot', data: pseudoRandom(5 * BS + 0, 5), type: 'REPLACE_ZSTD', chunkBlocks: 3 },
  ];
}

async function inspectBytes(t: TestContext, name: string, bytes: Buffer, opts: InspectOptions = {}): Promise<{ r: Report; file: string }> {
  const file = join(tempDir(t), name);
  writeFileSync(file, bytes);
  return { r: await inspect(file, opts), file };
}

const facts = (a: Artifact, kind: string) => a.facts.filter((f) => f.kind === kind);

async function checkFullPayload(t: TestContext, parts: PartitionInput[], opts: PayloadOptions): Promise<void> {
  const built = buildPayload(parts, { key: KEY.privateKey, ...opts });
  const { r, file } = await inspectBytes(t, 'payload.bin', built.payload, { keys: [KEY_PEM] });
  assert.deepEqual(errors(r), [], describe(r.findings));
  assert.equal(r.root.format, 'ota-payload');
  assert.equal(r.root.info.payloadType, 'full');
  assert.equal(r.root.info.rebuilt, true);
  const total = parts.reduce((n, p) => n + built.manifest.partitions.find((m) => m.name === p.name)!.operations.filter((o) => o.dataHash).length, 0);
  assert.deepEqual(r.root.info.operationHashes, { checked: total, failed: 0 });
  const sig = r.root.info.signatures as Record<string, { status: string }>;
  assert.equal(sig.metadata.status, 'verified');
  assert.equal(sig.payload.status, 'verified');
  assert.equal(r.summary.signature.status, 'verified');
  assert.equal(r.summary.integrity.status, 'verified');
  assert.equal(facts(r.root, 'payload-operation-hash-ok').length, parts.length);
  const dir = tempDir(t);
  for (const p of parts) {
    const child = artifactAt(r.root, `${p.name}.img`);
    assert.equal(child.size, p.data.length);
    assert.equal(child.hashes.sha256, sha256(p.data), `${p.name} rebuilt wrongly`);
    assert.equal(facts(child, 'payload-partition-hash-ok').length, 1);
    const x = await extract(file, `${p.name}.img`, dir);
    assert.ok(readFileSync(x.output).equals(p.data), `${p.name} extracts wrongly`);
  }
}

test('every operation type a full payload uses (REPLACE, REPLACE_XZ, REPLACE_ZSTD, ZERO, DISCARD) rebuilds its partition', async (t) => {
  await checkFullPayload(t, partitions(false), {});
});

test('with REPLACE_BZ too (bzip2 streams from the bzip2 tool)', async (t) => {
  if (!requireTools(t, 'bzip2')) return;
  await checkFullPayload(t, partitions(true), {});
});

test('with real xz -9 --check=none, zstd and bzip2 streams', async (t) => {
  if (!requireTools(t, 'xz', 'zstd', 'bzip2')) return;
  await checkFullPayload(t, partitions(true), { compress: 'tools' });
});

test('a signed payload with no key to check it is reported as unverifiable, with the wrong key as failed', async (t) => {
  const built = buildPayload(partitions(false), { key: KEY.privateKey });
  const none = (await inspectBytes(t, 'payload.bin', built.payload)).r;
  assert.deepEqual(errors(none), [], describe(none.findings));
  assert.equal(none.summary.signature.status, 'unverifiable');
  assert.match(none.summary.signature.reason, /--key/);
  const wrong = (await inspectBytes(t, 'payload.bin', built.payload, { keys: [Buffer.from(OTHER.privateKey.export({ type: 'pkcs8', format: 'pem' }))] })).r;
  assert.equal(wrong.summary.signature.status, 'failed');
  const f = wrong.findings.filter((x) => x.ruleId === 'signature/payload-invalid');
  assert.equal(f.length, 2, describe(wrong.findings));
  assert.match(f[0].message, /metadata signature .* does not verify|none of its 1 signature/);
});

test('an unsigned payload is signature/ota-unsigned and summary.signature unsigned', async (t) => {
  const built = buildPayload(partitions(false));
  const { r } = await inspectBytes(t, 'payload.bin', built.payload);
  assert.deepEqual(
    r.findings.map((f) => f.ruleId),
    ['signature/ota-unsigned'],
  );
  assert.equal(r.summary.signature.status, 'unsigned');
});

test('a wrong operation hash, a changed blob, a wrong partition hash and a bad signature are each found', async (t) => {
  const rules = async (opts: PayloadOptions) => {
    const { r } = await inspectBytes(t, 'payload.bin', buildPayload(partitions(false), { key: KEY.privateKey, ...opts }).payload, { keys: [KEY_PEM] });
    return r;
  };
  let r = await rules({ breaks: { wrongOpHash: { part: 0, op: 2 } } });
  assert.deepEqual(
    r.findings.map((f) => f.ruleId),
    ['integrity/payload-operation-hash'],
    describe(r.findings),
  );
  assert.match(r.findings[0].message, /partition system operation 2 \(REPLACE_ZSTD\)/);
  assert.equal(r.summary.integrity.status, 'failed');

  r = await rules({ breaks: { flipBlob: { part: 0, op: 0 } } });
  const ids = r.findings.map((f) => f.ruleId);
  assert.ok(ids.includes('integrity/payload-operation-hash'), describe(r.findings));
  assert.ok(ids.includes('integrity/payload-partition-hash'), describe(r.findings));
  assert.ok(ids.includes('signature/payload-invalid'), describe(r.findings));

  r = await rules({ breaks: { wrongPartitionHash: 1 } });
  assert.deepEqual(
    r.findings.map((f) => [f.ruleId, f.path]),
    [['integrity/payload-partition-hash', 'vendor.img']],
    describe(r.findings),
  );

  r = await rules({ breaks: { flipMetadataSignature: true } });
  assert.deepEqual(
    r.findings.map((f) => f.ruleId),
    ['signature/payload-invalid'],
    describe(r.findings),
  );
  assert.match(r.findings[0].message, /metadata signature/);
});

test('an incremental payload is described (operation types, source hashes) and not rebuilt', async (t) => {
  const old = pseudoRandom(8 * BS, 21);
  const built = buildPayload([{ name: 'system', data: pseudoRandom(8 * BS, 22), type: 'REPLACE_XZ', chunkBlocks: 4 }], {
    key: KEY.privateKey,
    minorVersion: 6,
    editManifest: (m) => {
      const p = m.partitions[0];
      p.oldSize = old.length;
      p.oldHash = Buffer.from(sha256(old), 'hex');
      p.operations.push({ type: 4, src: [{ start: 0, blocks: 2 }], dst: [{ start: 0, blocks: 2 }], srcHash: Buffer.alloc(32, 1) });
    },
  });
  const { r } = await inspectBytes(t, 'payload.bin', built.payload, { keys: [KEY_PEM] });
  assert.deepEqual(errors(r), [], describe(r.findings));
  assert.equal(r.root.info.payloadType, 'incremental');
  assert.equal(r.root.info.rebuilt, false);
  assert.match(String(r.root.info.rebuildNote), /incremental/);
  assert.equal(r.root.children.length, 0);
  const [p] = r.root.info.partitions as Record<string, unknown>[];
  assert.deepEqual(p.operations, { REPLACE_XZ: 2, SOURCE_COPY: 1 });
  assert.equal(p.oldSha256, sha256(old));
  assert.equal(p.sourceHashes, 1);
});

test('the manifest and dynamic partition groups are described', async (t) => {
  const built = buildPayload([{ name: 'system', data: pseudoRandom(2 * BS, 3) }], {
    key: KEY.privateKey,
    maxTimestamp: 1700000000,
    securityPatchLevel: '2024-01-05',
    dynamicGroups: [{ name: 'main', size: 1 << 30, partitions: ['system'] }],
  });
  const { r } = await inspectBytes(t, 'payload.bin', built.payload, { keys: [KEY_PEM] });
  assert.equal(r.root.info.maxTimestamp, 1700000000);
  assert.equal(r.root.info.maxTimestampDate, '2023-11-14T22:13:20Z');
  assert.equal(r.root.info.securityPatchLevel, '2024-01-05');
  assert.deepEqual(r.root.info.dynamicPartitionGroups, [{ name: 'main', size: 1 << 30, partitions: ['system'] }]);
  assert.equal(r.root.info.blockSize, 4096);
  assert.equal(r.root.info.metadataSize, built.metadataSize);
});

// ---- bad input: findings, bounded memory, never a crash ----

function rawPayload(manifest: Parameters<typeof encodeManifest>[0], blobs: Buffer = Buffer.alloc(0)): Buffer {
  const m = encodeManifest(manifest);
  return Buffer.concat([payloadHeader(m.length, 0), m, blobs]);
}

test('a manifest size of 2^63 is format/payload-invalid', async (t) => {
  const bytes = Buffer.concat([payloadHeader(1n << 63n, 0), Buffer.alloc(100)]);
  const { r } = await inspectBytes(t, 'payload.bin', bytes);
  const f = r.findings.filter((x) => x.ruleId === 'format/payload-invalid');
  assert.equal(f.length, 1, describe(r.findings));
  assert.match(f[0].message, /manifest_size 9223372036854775808/);
});

test('a manifest that does not decode, and major version 1, are format/payload-invalid', async (t) => {
  const garbage = Buffer.concat([payloadHeader(16, 0), Buffer.from([0x6a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])]);
  let r = (await inspectBytes(t, 'payload.bin', garbage)).r;
  assert.deepEqual(
    r.findings.map((f) => f.ruleId),
    ['format/payload-invalid'],
    describe(r.findings),
  );
  assert.match(r.findings[0].message, /manifest does not decode/);
  r = (await inspectBytes(t, 'payload.bin', Buffer.concat([payloadHeader(0, 0, 1n), Buffer.alloc(40)]))).r;
  assert.match(r.findings[0].message, /major version 1/);
});

test('an operation whose extents leave the partition, and a blob past the end of the payload, are found and not rebuilt', async (t) => {
  const blob = Buffer.alloc(BS, 7);
  const hash = Buffer.from(sha256(blob), 'hex');
  const bytes = rawPayload(
    {
      partitions: [
        { name: 'a', newSize: 2 * BS, newHash: Buffer.alloc(32), operations: [{ type: 0, dataOffset: 0, dataLength: BS, dataHash: hash, dst: [{ start: 1, blocks: 5 }] }] },
        { name: 'b', newSize: BS, newHash: Buffer.alloc(32), operations: [{ type: 0, dataOffset: BS, dataLength: 1n << 40n, dataHash: hash, dst: [{ start: 0, blocks: 1 }] }] },
      ],
    },
    blob,
  );
  const { r } = await inspectBytes(t, 'payload.bin', bytes);
  const msgs = r.findings.filter((f) => f.ruleId === 'format/payload-invalid').map((f) => f.message);
  assert.ok(
    msgs.some((m) => /writes blocks 1-5, past the end of a \(2 blocks/.test(m)),
    msgs.join('\n'),
  );
  assert.ok(
    msgs.some((m) => /runs past the end of the payload/.test(m)),
    msgs.join('\n'),
  );
  assert.ok(
    msgs.some((m) => /partition a is not rebuilt/.test(m)),
    msgs.join('\n'),
  );
  assert.equal(artifactAt(r.root, 'a.img').size, null);
  assert.equal(artifactAt(r.root, 'b.img').size, null);
});

test('a blob that decompresses without bound stops at the extents it fills, in bounded memory', async (t) => {
  // 256 MiB of zeros as zstd RLE blocks (a few KiB) and as stored xz, for one block each.
  const zbomb = zstdStored(Buffer.alloc(256 << 20));
  const xbomb = xzStored(Buffer.alloc(8 * BS));
  const zh = Buffer.from(sha256(zbomb), 'hex');
  const xh = Buffer.from(sha256(xbomb), 'hex');
  const bytes = rawPayload(
    {
      partitions: [
        { name: 'z', newSize: BS, newHash: Buffer.alloc(32), operations: [{ type: 14, dataOffset: 0, dataLength: zbomb.length, dataHash: zh, dst: [{ start: 0, blocks: 1 }] }] },
        { name: 'x', newSize: BS, newHash: Buffer.alloc(32), operations: [{ type: 8, dataOffset: zbomb.length, dataLength: xbomb.length, dataHash: xh, dst: [{ start: 0, blocks: 1 }] }] },
      ],
    },
    Buffer.concat([zbomb, xbomb]),
  );
  const file = join(tempDir(t), 'payload.bin');
  writeFileSync(file, bytes);
  const { value: r, arrayBuffers } = await peakMemoryGrowth(() => inspect(file));
  for (const name of ['z.img', 'x.img']) {
    const a = artifactAt(r.root, name);
    assert.ok(
      a.facts.some((f) => f.kind === 'unreadable' && /decodes to more than the 4096 bytes/.test(f.message)),
      `${name}: ${JSON.stringify(a.facts)}`,
    );
  }
  assert.ok(arrayBuffers < 64 << 20, `array buffers grew by ${arrayBuffers}`);
});

test('a partition too large for --max-expanded is a budget finding, not rebuilt', async (t) => {
  const bytes = rawPayload({ partitions: [{ name: 'huge', newSize: 1n << 40n, newHash: Buffer.alloc(32), operations: [{ type: 6, dst: [{ start: 0, blocks: (1n << 40n) / 4096n }] }] }] });
  const { r } = await inspectBytes(t, 'payload.bin', bytes);
  assert.ok(
    r.findings.some((f) => f.ruleId === 'format/budget-exceeded' && f.path === 'huge.img'),
    describe(r.findings),
  );
});

test('a payload cut short and a payload signature that does not decode are findings', async (t) => {
  const built = buildPayload(partitions(false), { key: KEY.privateKey });
  const cut = built.payload.subarray(0, built.blobOffsets[1][3]! + 10);
  let r = (await inspectBytes(t, 'payload.bin', cut, { keys: [KEY_PEM] })).r;
  assert.ok(
    r.findings.some((f) => f.ruleId === 'format/payload-invalid' && /runs past the end of the payload/.test(f.message)),
    describe(r.findings),
  );
  assert.ok(r.findings.every((f) => f.severity !== 'error' || f.ruleId !== 'integrity/payload-partition-hash' || f.path !== 'system.img'));

  const garbled = Buffer.from(built.payload);
  // The first bytes of the payload's Signatures message: a field with wire type 7.
  garbled.fill(0xff, garbled.length - Number(built.manifest.signaturesSize), garbled.length - Number(built.manifest.signaturesSize) + 4);
  r = (await inspectBytes(t, 'payload.bin', garbled, { keys: [KEY_PEM] })).r;
  assert.ok(
    r.findings.some((f) => f.ruleId === 'signature/payload-invalid' && /payload signature does not decode/.test(f.message)),
    describe(r.findings),
  );
});

test('an operation too large for a worker (over 64 MiB) is decoded streaming in the main thread', async (t) => {
  // 80 MiB of zeros in one REPLACE_ZSTD operation (RLE blocks: a few KiB of blob).
  const size = 80 << 20;
  const blob = zstdStored(Buffer.alloc(size));
  const bytes = rawPayload(
    {
      partitions: [
        {
          name: 'big',
          newSize: size,
          newHash: Buffer.from(sha256(Buffer.alloc(size)), 'hex'),
          operations: [{ type: 14, dataOffset: 0, dataLength: blob.length, dataHash: Buffer.from(sha256(blob), 'hex'), dst: [{ start: 0, blocks: size / BS }] }],
        },
      ],
    },
    blob,
  );
  const { r } = await inspectBytes(t, 'payload.bin', bytes);
  assert.deepEqual(errors(r), [], describe(r.findings));
  const big = artifactAt(r.root, 'big.img');
  assert.equal(big.size, size);
  assert.ok(big.facts.some((f) => f.kind === 'payload-partition-hash-ok'));
});

test('the same with a real xz stream', async (t) => {
  if (!requireTools(t, 'xz')) return;
  const size = 72 << 20;
  const image = Buffer.concat([pseudoRandom(1 << 20, 9), Buffer.alloc(size - (1 << 20))]);
  const built = buildPayload([{ name: 'big', data: image, ops: [{ type: 'REPLACE_XZ', dst: [{ start: 0, blocks: size / BS }] }] }], { compress: 'tools' });
  const { r } = await inspectBytes(t, 'payload.bin', built.payload);
  assert.deepEqual(errors(r), [], describe(r.findings));
  assert.equal(artifactAt(r.root, 'big.img').hashes.sha256, sha256(image));
});

test('a rebuilt partition is decoded further (a boot image with its sections) and extracts by its path', async (t) => {
  const boot = buildBootImage({ headerVersion: 2, kernel: pseudoRandom(20000, 1), ramdisk: pseudoRandom(9000, 2), dtb: pseudoRandom(3000, 3) });
  const padded = Buffer.concat([boot, Buffer.alloc((4096 - (boot.length % 4096)) % 4096)]);
  const built = buildPayload([{ name: 'boot', data: padded, type: 'REPLACE_XZ', chunkBlocks: 2 }]);
  const { r, file } = await inspectBytes(t, 'payload.bin', built.payload);
  const img = artifactAt(r.root, 'boot.img');
  assert.equal(img.format, 'android-boot');
  assert.deepEqual(
    img.children.map((c) => c.name),
    ['kernel', 'ramdisk', 'dtb'],
  );
  const x = await extract(file, 'boot.img/kernel', tempDir(t));
  assert.ok(readFileSync(x.output).equals(pseudoRandom(20000, 1)));
});

test('hash tree and FEC extents that update_engine would refuse are format/payload-invalid, never a crash, and the hash is not checked', async (t) => {
  const data = pseudoRandom(40 * BS, 31);
  const cases: [string, Partial<PartitionInput>, RegExp][] = [
    ['fec_roots 0', { fecDataExtent: { start: 0, blocks: 30 }, fecExtent: { start: 30, blocks: 2 }, fecRoots: 0 }, /fec_roots 0 is not a Reed-Solomon code/],
    ['FEC inside its data', { fecDataExtent: { start: 0, blocks: 36 }, fecExtent: { start: 30, blocks: 2 } }, /fec_extent starts at byte 122880, inside the data it protects/],
    ['a tree without its data extent', { hashTreeExtent: { start: 38, blocks: 1 } }, /has a hash_tree_extent but no hash_tree_data_extent/],
    [
      'a tree data extent of 2^40 blocks',
      { hashTreeDataExtent: { start: 0, blocks: 2 ** 40 }, hashTreeExtent: { start: 38, blocks: 1 } },
      /hash_tree_extent starts at byte \d+, inside the data it hashes|hash_tree_extent holds/,
    ],
    ['an FEC extent of the wrong size', { fecDataExtent: { start: 0, blocks: 30 }, fecExtent: { start: 30, blocks: 3 } }, /fec_extent holds 12288 bytes, the FEC data of 122880 bytes with 2 roots is 8192/],
  ];
  for (const [what, extra, msg] of cases) {
    const built = buildPayload([{ name: 'system', data, type: 'REPLACE', chunkBlocks: 8, ...extra }]);
    const { r } = await inspectBytes(t, 'payload.bin', built.payload);
    assert.ok(
      r.findings.some((f) => f.ruleId === 'format/payload-invalid' && msg.test(f.message)),
      `${what}: ${describe(r.findings)}`,
    );
    assert.match(String(artifactAt(r.root, 'system.img').info.partitionHash), /^not checked: /, what);
  }
});
