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
      const r = await pool.run('xz', new Uint8Array(0), data.length, { fd, position: 8, length: blob.length });
      assert.ok(Buffer.from(r.buffer.buffer, r.buffer.byteOffset, r.length).equals(data));
      await assert.rejects(pool.run('xz', new Uint8Array(0), data.length, { fd, position: 8 + 100, length: blob.length }), ShortReadError);
    } finally {
      closeSync(fd);
    }
  });
}
