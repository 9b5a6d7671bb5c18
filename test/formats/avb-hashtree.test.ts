/**
 * romscope's streaming dm-verity builder (src/formats/avb-vbmeta/digest.ts)
 * against the plain whole-tree construction of the fixture builder (as
 * avbtool's generate_hash_tree does it), for the shapes that matter: one
 * block, a level that fills exactly, a partial last block in every level,
 * three levels, SHA-1's padded slots, SHA-512, 512-byte blocks, and any way
 * of cutting the stream into chunks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { HashtreeBuilder, startComputation } from '../../src/formats/avb-vbmeta/digest';
import { hashTree, hashDescriptor } from '../../fixtures/builders/avb';
import { pseudoRandom } from '../../fixtures/builders/data';

function stream(image: Buffer, algo: string, salt: Buffer, bs: number, chunk: (i: number) => number): Buffer {
  const b = new HashtreeBuilder(algo, salt, bs, bs);
  for (let o = 0, i = 0; o < image.length; i++) {
    const n = Math.max(1, chunk(i));
    b.update(image.subarray(o, o + n));
    o += n;
  }
  return b.finish();
}

const cases: { name: string; blocks: number; algo: string; bs: number }[] = [
  { name: "one block (the root is that block's hash)", blocks: 1, algo: 'sha256', bs: 4096 },
  { name: 'two blocks', blocks: 2, algo: 'sha256', bs: 4096 },
  { name: 'level 0 exactly one full hash block (128 digests)', blocks: 128, algo: 'sha256', bs: 4096 },
  { name: 'one digest more than a hash block', blocks: 129, algo: 'sha256', bs: 4096 },
  { name: 'sha1: 20-byte digests in 32-byte slots', blocks: 300, algo: 'sha1', bs: 4096 },
  { name: 'sha512: 64-byte slots', blocks: 200, algo: 'sha512', bs: 4096 },
  { name: '512-byte blocks: three levels', blocks: 16 * 16 * 3 + 5, algo: 'sha256', bs: 512 },
  { name: '512-byte blocks: levels that fill exactly (16 x 16)', blocks: 256, algo: 'sha256', bs: 512 },
];

for (const c of cases) {
  test(`hashtree: ${c.name}`, () => {
    const image = pseudoRandom(c.blocks * c.bs, c.blocks);
    const salt = pseudoRandom(createHash(c.algo).digest().length, 7);
    const want = hashTree(image, salt, c.algo, c.bs).rootDigest;
    assert.equal(stream(image, c.algo, salt, c.bs, () => image.length).toString('hex'), want.toString('hex'), 'one chunk');
    assert.equal(stream(image, c.algo, salt, c.bs, () => c.bs).toString('hex'), want.toString('hex'), 'block-sized chunks');
    assert.equal(stream(image, c.algo, salt, c.bs, (i) => (i * 977 + 13) % (3 * c.bs)).toString('hex'), want.toString('hex'), 'odd chunks');
  });
}

test('hashtree: an empty salt and an image that is not a whole number of blocks (zero-padded, as avbtool does)', () => {
  const image = pseudoRandom(5 * 4096 + 100, 3);
  const padded = Buffer.concat([image, Buffer.alloc(4096 - 100)]);
  const want = hashTree(padded, Buffer.alloc(0)).rootDigest;
  assert.equal(stream(image, 'sha256', Buffer.alloc(0), 4096, () => 1000).toString('hex'), want.toString('hex'));
});

test('hash descriptor digest: salt then image', () => {
  const image = pseudoRandom(10_000, 5);
  const salt = pseudoRandom(32, 6);
  const d = hashDescriptor(image, 'boot', salt);
  const c = startComputation({ type: 'hash', partition: 'boot', imageSize: BigInt(image.length), hashAlgorithm: 'sha256', salt, digest: d.digest, flags: 0 });
  c.update(image.subarray(0, 1));
  c.update(image.subarray(1));
  assert.equal(c.finish().toString('hex'), d.digest.toString('hex'));
});

test('hashtree: memory stays at a few blocks per level however long the image (64 MiB streamed)', () => {
  const b = new HashtreeBuilder('sha256', Buffer.alloc(32), 4096, 4096);
  const chunk = pseudoRandom(1 << 20, 9);
  const before = process.memoryUsage().arrayBuffers;
  for (let i = 0; i < 64; i++) b.update(chunk);
  assert.equal(b.finish().length, 32);
  // 64 MiB of data would be 512 KiB of level-0 digests if the tree were kept.
  assert.ok(process.memoryUsage().arrayBuffers - before < 256 * 1024, 'the tree is not materialised');
});
