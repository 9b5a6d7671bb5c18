/**
 * Full payloads leave a partition's dm-verity hash tree and FEC data to the
 * device (update_engine computes them after writing the operations). The
 * reference here is veritysetup (cryptsetup, Debian): it writes the hash
 * tree (--no-superblock: the levels alone, top first) and the FEC data
 * (dm-verity FEC, the same Reed-Solomon code and interleaving as Android's
 * libfec) for an image; the partition is that image with both appended.
 * romscope must rebuild it bit for bit from the data operations alone, so
 * the manifest's partition hash is checked.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/pipeline/inspect';
import { extract } from '../../src/pipeline/extract';
import { FileSource } from '../../src/io/source';
import { Budget, defaultBudget } from '../../src/io/limits';
import { otaPayloadHandler } from '../../src/formats/ota-payload';
import { VeritySource } from '../../src/formats/ota-payload/verity';
import { buildPayload, type PartitionInput } from '../../fixtures/builders/payload';
import { pseudoRandom } from '../../fixtures/builders/data';
import { requireTools, runTool, tempDir } from '../helpers';
import { artifactAt, describe, errors, sha256 } from './util';

const BS = 4096;

interface VerityImage {
  image: Buffer;
  dataBlocks: number;
  treeBlocks: number;
  fecBlocks: number;
  tail: number;
}

/** data blocks (random, with runs of zeros), then veritysetup's hash tree, then its FEC data, then `tail` blocks (a footer, say). */
function verityImage(t: TestContext, dataBlocks: number, opts: { hash: string; salt: string; roots: number; tail?: number }): VerityImage {
  const dir = tempDir(t);
  const parts: Buffer[] = [];
  for (let b = 0; b < dataBlocks; b += 16) parts.push(b % 48 === 16 ? Buffer.alloc(Math.min(16, dataBlocks - b) * BS) : pseudoRandom(Math.min(16, dataBlocks - b) * BS, b + 1));
  const data = Buffer.concat(parts);
  writeFileSync(join(dir, 'data.img'), data);
  const r = runTool('veritysetup', [
    'format',
    join(dir, 'data.img'),
    join(dir, 'hash.img'),
    '--no-superblock',
    `--hash=${opts.hash}`,
    `--salt=${opts.salt}`,
    `--data-block-size=${BS}`,
    `--hash-block-size=${BS}`,
    `--fec-device=${join(dir, 'fec.img')}`,
    `--fec-roots=${opts.roots}`,
  ]);
  assert.equal(r.status, 0, r.stderr.toString());
  const tree = readFileSync(join(dir, 'hash.img'));
  const fec = readFileSync(join(dir, 'fec.img'));
  const tail = pseudoRandom((opts.tail ?? 1) * BS, 999);
  return { image: Buffer.concat([data, tree, fec, tail]), dataBlocks, treeBlocks: tree.length / BS, fecBlocks: fec.length / BS, tail: opts.tail ?? 1 };
}

function partition(v: VerityImage, opts: { algo: string; salt: string; roots: number }): PartitionInput {
  const treeStart = v.dataBlocks;
  const fecStart = treeStart + v.treeBlocks;
  return {
    name: 'system',
    data: v.image,
    type: 'REPLACE_XZ',
    chunkBlocks: 64,
    hashTreeDataExtent: { start: 0, blocks: v.dataBlocks },
    hashTreeExtent: { start: treeStart, blocks: v.treeBlocks },
    hashTreeAlgorithm: opts.algo,
    hashTreeSalt: Buffer.from(opts.salt, 'hex'),
    // FEC covers the data and the hash tree.
    fecDataExtent: { start: 0, blocks: fecStart },
    fecExtent: { start: fecStart, blocks: v.fecBlocks },
    fecRoots: opts.roots,
  };
}

async function check(t: TestContext, dataBlocks: number, o: { hash: string; algo: string; salt: string; roots: number }): Promise<void> {
  if (!requireTools(t, 'veritysetup')) return;
  const v = verityImage(t, dataBlocks, o);
  const built = buildPayload([partition(v, o)]);
  // No operation writes the tree or the FEC data.
  const written = built.manifest.partitions[0].operations.reduce((n, op) => n + (op.dst ?? []).reduce((m, e) => m + Number(e.blocks), 0), 0);
  assert.equal(written, v.dataBlocks + v.tail);
  const dir = tempDir(t);
  const file = join(dir, 'payload.bin');
  writeFileSync(file, built.payload);
  const r = await inspect(file);
  assert.deepEqual(errors(r), [], describe(r.findings));
  const sys = artifactAt(r.root, 'system.img');
  assert.equal(sys.hashes.sha256, sha256(v.image), 'the rebuilt partition is not the veritysetup image');
  assert.ok(
    sys.facts.some((f) => f.kind === 'payload-partition-hash-ok'),
    JSON.stringify(sys.facts),
  );
  assert.match(String(sys.info.verity), new RegExp(`the ${o.algo} hash tree \\(${v.treeBlocks * BS} bytes.*the FEC data \\(${o.roots} roots, ${v.fecBlocks * BS} bytes`));
  const x = await extract(file, 'system.img', join(dir, 'out'));
  assert.ok(readFileSync(x.output).equals(v.image), 'extract writes another image');
}

test('a partition whose hash tree (sha256) and FEC data (2 roots) are left to the device is rebuilt as veritysetup writes it, and its hash checked', async (t) => {
  // 2100 blocks (8.2 MiB, several batches for the FEC thread): 9 FEC rounds, 18 hash tree blocks in 2 levels.
  await check(t, 2100, { hash: 'sha256', algo: 'sha256', salt: 'aee087a5be3b982978c923f566a94613496b417f2af592639bc80d141e34dfe7', roots: 2 });
});

test('the same with a sha1 tree (digests padded to 32 bytes) and 24 FEC roots', async (t) => {
  await check(t, 300, { hash: 'sha1', algo: 'sha1', salt: '0011223344', roots: 24 });
});

test('a wrong salt in the manifest gives another tree: the partition hash fails', async (t) => {
  if (!requireTools(t, 'veritysetup')) return;
  const o = { hash: 'sha256', algo: 'sha256', salt: '00112233', roots: 2 };
  const v = verityImage(t, 260, o);
  const file = join(tempDir(t), 'payload.bin');
  writeFileSync(file, buildPayload([{ ...partition(v, o), hashTreeSalt: Buffer.from('00112234', 'hex') }]).payload);
  const r = await inspect(file);
  assert.deepEqual(
    errors(r).map((f) => [f.ruleId, f.path]),
    [['integrity/payload-partition-hash', 'system.img']],
    describe(r.findings),
  );
});

test('tree and FEC regions read at random (and streamed from the middle) are the computed bytes', async (t) => {
  if (!requireTools(t, 'veritysetup')) return;
  const o = { hash: 'sha256', algo: 'sha256', salt: 'ab', roots: 2 };
  const v = verityImage(t, 400, o);
  const file = join(tempDir(t), 'payload.bin');
  writeFileSync(file, buildPayload([partition(v, o)]).payload);
  const src = await FileSource.open(file);
  try {
    const res = await otaPayloadHandler.decode(src, { budget: new Budget(defaultBudget(src.size)), fact: () => {} });
    const part = res.children[0].source;
    assert.equal(part.kind, 'random');
    if (part.kind !== 'random') return;
    const treeAt = v.dataBlocks * BS;
    const fecAt = treeAt + v.treeBlocks * BS;
    assert.ok((await part.read(treeAt + 100, 5000)).equals(v.image.subarray(treeAt + 100, treeAt + 5100)));
    assert.ok((await part.read(fecAt - 10, 20)).equals(v.image.subarray(fecAt - 10, fecAt + 10)));
    const parts: Buffer[] = [];
    for await (const c of part.stream(treeAt - 3, v.image.length)) parts.push(c);
    assert.ok(Buffer.concat(parts).equals(v.image.subarray(treeAt - 3)));
    // Outside the regions: the partition's own bytes.
    assert.ok((await part.read(v.image.length - BS, BS)).equals(v.image.subarray(v.image.length - BS)));
    // Let go (other partitions need the memory): computed again when read again.
    assert.ok(part instanceof VeritySource);
    part.release();
    assert.ok((await part.read(fecAt + 7, 3000)).equals(v.image.subarray(fecAt + 7, fecAt + 3007)));
  } finally {
    await src.close();
  }
});

test('a hash tree extent of the wrong size is format/payload-invalid, and the partition hash is not checked (said why)', async (t) => {
  if (!requireTools(t, 'veritysetup')) return;
  const o = { hash: 'sha256', algo: 'sha256', salt: '00', roots: 2 };
  const v = verityImage(t, 300, o);
  const p = partition(v, o);
  // One block short: the FEC extent moves up one block and the last tree block is left to the device anyway.
  const file = join(tempDir(t), 'payload.bin');
  writeFileSync(file, buildPayload([{ ...p, hashTreeExtent: { start: v.dataBlocks, blocks: v.treeBlocks - 1 } }]).payload);
  const r = await inspect(file);
  assert.ok(
    r.findings.some((f) => f.ruleId === 'format/payload-invalid' && /hash_tree_extent holds \d+ bytes, the hash tree of \d+ bytes is \d+/.test(f.message)),
    describe(r.findings),
  );
  const sys = artifactAt(r.root, 'system.img');
  assert.match(String(sys.info.partitionHash), /^not checked: .*the manifest describes them wrongly/);
});
