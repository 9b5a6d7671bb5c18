/**
 * The payload decode pool reads blobs straight from the payload file on its
 * worker threads (or in this thread when it has none); a blob the file does
 * not hold is a ShortReadError, so the caller reads it itself and reports
 * what is missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import { DecodePool, ShortReadError } from '../../src/formats/ota-payload/pool';
import { xzStored } from '../../fixtures/builders/payload';
import { pseudoRandom } from '../../fixtures/builders/data';
import { tempDir } from '../helpers';

for (const [name, script] of [
  ['worker threads', undefined],
  ['no worker threads (this thread)', '/nonexistent/decode-worker.js'],
] as const) {
  test(`decode pool, ${name}: a blob read from the file decodes; one past the end is a ShortReadError`, async (t) => {
    const data = pseudoRandom(3 * 4096, 7);
    const blob = xzStored(data);
    const file = join(tempDir(t), 'payload.bin');
    writeFileSync(file, Buffer.concat([Buffer.from('header..'), blob]));
    const fd = openSync(file, 'r');
    const pool = new DecodePool(2, script);
    try {
      assert.equal(pool.threaded, script === undefined);
      const r = await pool.run('xz', new Uint8Array(0), data.length, { file: { fd, position: 8, length: blob.length } });
      assert.ok(Buffer.from(r.buffer.buffer, r.buffer.byteOffset, r.length).equals(data));
      await assert.rejects(pool.run('xz', new Uint8Array(0), data.length, { file: { fd, position: 8 + 100, length: blob.length } }), ShortReadError);
    } finally {
      closeSync(fd);
    }
  });
}

test('decode pool: a zlib job hashes the side its expected MD5 names first, and the other only when that one does not match', async () => {
  const pool = new DecodePool(1);
  const data = Buffer.concat([pseudoRandom(64 * 1024, 3), Buffer.alloc(64 * 1024, 'text ')]);
  const stored = deflateSync(data);
  const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
  const job = (digests: Parameters<DecodePool['run']>[3]) => pool.run('zlib', new Uint8Array(stored), data.length, digests).then((r) => r.digests!);
  const all = await job({ digests: true });
  assert.deepEqual(all, { md5: md5(data), crc32: crc32(data) >>> 0, inMd5: md5(stored), inCrc32: crc32(stored) >>> 0 });
  // The decoded data's MD5 expected and hashed first: the stored data's is not computed.
  assert.deepEqual(await job({ digests: { expectMd5: md5(data), first: 'output' } }), { ...all, inMd5: null });
  // Expected over the stored data but the decoded side tried first: both computed.
  assert.deepEqual(await job({ digests: { expectMd5: md5(stored), first: 'output' } }), all);
  assert.deepEqual(await job({ digests: { expectMd5: md5(stored), first: 'input' } }), { ...all, md5: null });
  // Neither matches: both are there for the report.
  assert.deepEqual(await job({ digests: { expectMd5: '0'.repeat(32), first: 'input' } }), all);
});
