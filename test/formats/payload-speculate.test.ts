/**
 * A payload partition read at random (a file system's metadata walk before
 * the partition is streamed): when every byte will be read anyway, a read
 * that decodes an operation also starts the next one on a spare decode
 * thread, and two reads of one operation decode it once. Counted with
 * `partitionReadStats`, on real xz blobs decoded by the real decode pool.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PartitionSource, decodesSettled, partitionReadStats, type OpPlan, type Segment } from '../../src/formats/ota-payload/partition';
import { DecodePool } from '../../src/formats/ota-payload/pool';
import { BufferSource } from '../../src/io/source';
import { xzStored } from '../../fixtures/builders/payload';
import { pseudoRandom } from '../../fixtures/builders/data';

const OP_BYTES = 64 * 1024;
const OPS = 6;

/** A partition of OPS REPLACE_XZ operations of OP_BYTES each, over its own payload bytes. */
function partition(pool: DecodePool, speculative: boolean): { src: PartitionSource; data: Buffer } {
  const data = pseudoRandom(OPS * OP_BYTES, 31);
  const blobs: Buffer[] = [];
  const ops: OpPlan[] = [];
  const segments: Segment[] = [];
  let at = 0;
  for (let i = 0; i < OPS; i++) {
    const blob = xzStored(data.subarray(i * OP_BYTES, (i + 1) * OP_BYTES));
    ops.push({ index: i, typeName: 'REPLACE_XZ', kind: 'xz', dataStart: at, dataLength: blob.length, outBytes: OP_BYTES });
    segments.push({ start: i * OP_BYTES, end: (i + 1) * OP_BYTES, op: i, outOffset: 0 });
    blobs.push(blob);
    at += blob.length;
  }
  const payload = new BufferSource(Buffer.concat(blobs), 'payload.bin');
  return { src: new PartitionSource('system.img', data.length, payload, ops, segments, pool, null, speculative), data };
}

const decoded = async (fn: () => Promise<unknown>): Promise<number> => {
  const before = partitionReadStats.operations;
  await fn();
  // A decode started beside the read settles on its own thread: waited for, not timed.
  await decodesSettled();
  return partitionReadStats.operations - before;
};

test('payload partition read at random, every byte to be read: a read decodes its operation and starts the next; a read of that one then decodes nothing', async () => {
  const pool = new DecodePool(2);
  const { src, data } = partition(pool, true);
  let got: Buffer = Buffer.alloc(0);
  assert.equal(await decoded(async () => (got = await src.read(2 * OP_BYTES + 100, 50))), 2, 'operation 2, and 3 beside it');
  assert.ok(got.equals(data.subarray(2 * OP_BYTES + 100, 2 * OP_BYTES + 150)));
  assert.equal(await decoded(async () => (got = await src.read(3 * OP_BYTES + 7, 4096))), 0, 'operation 3 came from the cache');
  assert.ok(got.equals(data.subarray(3 * OP_BYTES + 7, 3 * OP_BYTES + 7 + 4096)));
  // Two reads of one operation at once: one decode (and the next one's beside it).
  const both = await decoded(() => Promise.all([src.read(0, 10), src.read(OP_BYTES - 10, 10)]));
  assert.equal(both, 2, 'operation 0 once, and 1 beside it');
  // The last operation has no next one.
  assert.equal(await decoded(() => src.read(5 * OP_BYTES, 10)), 1);
  // The stream gives every byte, decoding only what is not cached.
  const parts: Buffer[] = [];
  for await (const c of src.stream()) parts.push(Buffer.from(c));
  assert.ok(Buffer.concat(parts).equals(data));
});

test('payload partition read at random for extract (not every byte to be read): a read decodes its own operation only', async () => {
  const pool = new DecodePool(2);
  const { src, data } = partition(pool, false);
  assert.equal(await decoded(() => src.read(2 * OP_BYTES + 100, 50)), 1);
  assert.equal(await decoded(() => src.read(3 * OP_BYTES + 7, 4096)), 1);
  const got = await src.read(4 * OP_BYTES - 5, 10);
  assert.ok(got.equals(data.subarray(4 * OP_BYTES - 5, 4 * OP_BYTES + 5)));
});

test('payload partition prefetch: a hinted range is decoded on spare threads when every byte will be read, and not otherwise', async () => {
  const pool = new DecodePool(2);
  const { src, data } = partition(pool, true);
  // Two operations hinted: decoded aside (the pool has two threads), then read without decoding again.
  assert.equal(await decoded(async () => src.prefetch(OP_BYTES + 10, OP_BYTES)), 2);
  let got: Buffer = Buffer.alloc(0);
  assert.equal(await decoded(async () => (got = await src.read(OP_BYTES, 2 * OP_BYTES))), 0);
  assert.ok(got.equals(data.subarray(OP_BYTES, 3 * OP_BYTES)));
  // Past the end, and of nothing: no decode, no error.
  assert.equal(await decoded(async () => (src.prefetch(OPS * OP_BYTES + 5, 100), src.prefetch(0, 0))), 0);
  const off = partition(new DecodePool(2), false).src;
  assert.equal(await decoded(async () => off.prefetch(0, 3 * OP_BYTES)), 0);
});
