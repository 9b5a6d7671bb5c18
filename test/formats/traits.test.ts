/** Format traits (src/formats/types.ts) and the registry's lookups and detection order. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HANDLERS, handlerById, isCompression, mayCarryAvbFooter, traitsOf } from '../../src/formats/registry';

test('traits: every handler declares them; detection tries magic, then weak magic, then name; Odin before tar', () => {
  const rank = { 'exact-name': -1, magic: 0, 'weak-magic': 1, name: 2 } as const;
  for (const h of HANDLERS) assert.ok(h.traits && h.traits.role && h.traits.confidence, h.id);
  const ranks = HANDLERS.map((h) => rank[h.traits.confidence]);
  assert.deepEqual(
    ranks,
    [...ranks].sort((a, b) => a - b),
  );
  const ids = HANDLERS.map((h) => h.id);
  assert.ok(ids.indexOf('samsung-tar-md5') < ids.indexOf('tar'));
  assert.ok(ids.indexOf('linux-kernel') < ids.indexOf('ota-metadata'));
  assert.equal(ids.at(-1), 'brotli');
});

test('traits: lookups by format id as reports carry it', () => {
  assert.equal(traitsOf('data'), null);
  assert.equal(traitsOf('no-such-format'), null);
  assert.equal(handlerById('samsung-tar-md5')?.traits.role, 'archive');
  assert.equal(traitsOf('zip')?.role, 'archive');
  for (const c of ['lz4', 'gzip', 'xz', 'zstd', 'bzip2', 'lzma', 'lzop', 'brotli']) assert.ok(isCompression(c), c);
  assert.ok(!isCompression('tar'));
  // The kernel unpacks these ramdisks (lib/decompress.c), brotli it does not.
  assert.deepEqual(
    HANDLERS.filter((h) => h.traits.kernelRamdisk)
      .map((h) => h.id)
      .sort(),
    ['bzip2', 'cpio', 'gzip', 'lz4', 'lzma', 'lzop', 'xz', 'zstd'],
  );
  assert.ok(mayCarryAvbFooter('data'));
  assert.ok(mayCarryAvbFooter('android-boot'));
  assert.ok(!mayCarryAvbFooter('zip'));
  assert.ok(!mayCarryAvbFooter('avb-vbmeta'));
});

test('traits: only the Android sparse image wraps a partition image (what --base looks through to find a partition)', () => {
  assert.deepEqual(
    HANDLERS.filter((h) => h.traits.wrapsImage).map((h) => h.id),
    ['android-sparse'],
  );
});
