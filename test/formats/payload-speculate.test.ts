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
import { BufferSource, FileSource } from '../../src/io/source';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers';
import { xzStored } from '../../fixtures/builders/payload';
import { pseudoRandom } from '../../fixtures/builders/data';

const OP_BYTES = 64 * 1024;
const OPS = 6;

/** OPS REPLACE_XZ operations of OP_BYTES each: the partition's bytes, the payload's, and the plan. */
function payloadOps(): { data: Buffer; bytes: Buffer; ops: OpPlan[]; segments: Segment[] } {
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
  return { data, bytes: Buffer.concat(blobs), ops, segments };
}

/** A partition of those operations over its own payload bytes in memory. */
function partition(pool: DecodePool, speculative: boolean): { src: PartitionSource; data: Buffer } {
  const { data, bytes, ops, segments } = payloadOps();
  return { src: new PartitionSource('system.img', data.length, new BufferSource(bytes, 'payload.bin'), ops, segments, pool, null, speculative), data };
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

test('a payload file is closed only after the decodes reading it on other threads have finished', async (t) => {
  // The payload in a file: the decode threads read the blobs from its descriptor.
  const { data, bytes, ops, segments } = payloadOps();
  const file = join(tempDir(t), 'payload.bin');
  writeFileSync(file, bytes);
  const fs = await FileSource.open(file);
  const pool = new DecodePool(2);
  const src = new PartitionSource('system.img', data.length, fs, ops, segments, pool, null, true);
  // Two operations start aside (both threads); then the file is closed while they run.
  src.prefetch(0, 2 * OP_BYTES);
  assert.equal(pool.stats().running, 2);
  await fs.close();
  assert.equal(pool.stats().running, 0, 'close waited for the threads reading the file');
  await decodesSettled();
  // Both decodes read the right bytes (had the file gone first, they would have failed and cached nothing).
  const got = await src.read(0, 2 * OP_BYTES);
  assert.ok(got.equals(data.subarray(0, 2 * OP_BYTES)));
  assert.equal(fs.leaseFile(), null, 'no lease once closed');
});

test('FileSource lease: close waits for release, aborts the lease signal at once; DecodePool drops a queued job whose signal aborts', async (t) => {
  const file = join(tempDir(t), 'f.bin');
  writeFileSync(file, Buffer.alloc(100, 1));
  const fs = await FileSource.open(file);
  const lease = fs.leaseFile()!;
  let closed = false;
  const closing = fs.close().then(() => (closed = true));
  const again = fs.close(); // a second close waits for the same release
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(lease.signal.aborted, true);
  assert.equal(closed, false, 'still open while leased');
  assert.equal(fs.leaseFile(), null);
  lease.release();
  lease.release(); // twice is once
  await closing;
  await again;
  assert.equal(closed, true);

  // One thread busy with a large decode; a job queued behind it is rejected as soon as its signal aborts.
  const pool = new DecodePool(1);
  const big = pseudoRandom(24 << 20, 5);
  let bigDone = false;
  const running = pool.run('xz', xzStored(big), big.length).then(() => (bigDone = true));
  const ac = new AbortController();
  const queued = pool.run('xz', xzStored(Buffer.alloc(10)), 10, { signal: ac.signal });
  assert.equal(pool.stats().queued, 1);
  ac.abort();
  await assert.rejects(queued, /the stream that wanted it stopped/);
  // A job whose signal has already aborted is not queued at all.
  await assert.rejects(pool.run('xz', xzStored(Buffer.alloc(10)), 10, { signal: ac.signal }), /the stream that wanted it stopped/);
  assert.equal(bigDone, false, 'dropped without waiting for the thread');
  assert.equal(pool.stats().queued, 0);
  await running;
});
