/**
 * Bad input is normal input: odd sizes, zero and random bytes behind every
 * magic we know, under every name hint. Nothing may throw; the walk always
 * returns a report.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/pipeline/inspect';
import { pseudoRandom } from '../../fixtures/builders/data';
import { buildTar } from '../../fixtures/builders/tar';
import { tempDir } from '../helpers';

const SIZES = [0, 1, 2, 3, 4, 5, 7, 8, 11, 12, 22, 28, 31, 32, 64, 100, 255, 256, 257, 511, 512, 513, 1023, 1024, 1025, 4096];
const NAMES = ['x.zip', 'x.tar', 'AP_x.tar.md5', 'x.img.lz4', 'x.gz', 'SHA256SUMS', 'x.bin'];
const tarHead = buildTar([{ name: 'a.img', data: Buffer.alloc(700000) }]).subarray(0, 512);
const PREFIXES: [string, Buffer][] = [
  ['none', Buffer.alloc(0)],
  ['zip', Buffer.from([0x50, 0x4b, 0x03, 0x04])],
  ['zip-eocd', Buffer.from([0x50, 0x4b, 0x05, 0x06])],
  ['lz4-frame', Buffer.from([0x04, 0x22, 0x4d, 0x18])],
  ['lz4-legacy', Buffer.from([0x02, 0x21, 0x4c, 0x18])],
  ['lz4-skippable', Buffer.from([0x50, 0x2a, 0x4d, 0x18])],
  ['gzip', Buffer.from([0x1f, 0x8b, 0x08, 0x00])],
  ['tar-header', tarHead],
];

test('zero, random and magic-prefixed inputs of odd sizes never throw', async (t) => {
  const dir = tempDir(t);
  let n = 0;
  for (const [label, prefix] of PREFIXES) {
    for (const size of SIZES) {
      for (const fill of ['zero', 'random']) {
        const body = fill === 'zero' ? Buffer.alloc(size) : pseudoRandom(size, size + 1);
        const bytes = Buffer.concat([prefix, body]);
        for (const name of NAMES) {
          const file = join(dir, `${n++}-${name}`);
          writeFileSync(file, bytes);
          const r = await inspect(file, { sidecars: false });
          assert.equal(r.root.path, '', `${label}/${fill}/${size}/${name}`);
          assert.equal(r.input.size, bytes.length);
          for (const f of r.findings) assert.doesNotMatch(f.message, /internal error|\n\s+at /, `${label}/${fill}/${size}/${name}: ${f.message}`);
        }
      }
    }
  }
});
