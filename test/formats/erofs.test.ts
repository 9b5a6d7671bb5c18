/**
 * EROFS and f2fs on fixtures: identity, the build property children,
 * `resolve`, damaged structures as facts, and the raw LZ4 block decoder.
 * Images from mkfs.erofs are in test/interop/erofs.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BufferSource } from '../../src/io/source';
import { Budget, defaultBudget } from '../../src/io/limits';
import { erofsHandler } from '../../src/formats/erofs';
import { lz4BlockDecode } from '../../src/codecs/lz4-block';
import { crc32c } from '../../src/io/crc32c';
import { inspect } from '../../src/pipeline/inspect';
import type { Fact } from '../../src/report/model';
import type { Artifact } from '../../src/report/model';
import { buildErofs, buildF2fsSuperblock } from '../../fixtures/builders/erofs';
import { buildProp } from '../../fixtures/builders/rom';
import { pseudoRandom } from '../../fixtures/builders/data';
import { tempDir } from '../helpers';

const PROP = buildProp({ 'ro.product.device': 'walleye', 'ro.build.id': 'AP1A' });

function ctx(facts: Fact[]) {
  return { budget: new Budget(defaultBudget(0)), fact: (f: Fact) => facts.push(f) };
}

async function all(s: import('../../src/io/source').Source): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s.kind === 'random' ? s.stream() : s.stream()) parts.push(c);
  return Buffer.concat(parts);
}

test('crc32c: the standard check value', () => {
  assert.equal(crc32c(Buffer.from('123456789')).toString(16), 'e3069283');
});

test('erofs: identity, checksum and the build.prop child', async () => {
  const { image } = buildErofs([
    { name: 'build.prop', data: PROP },
    { name: 'other', data: Buffer.from('x') },
  ]);
  const facts: Fact[] = [];
  const r = await erofsHandler.decode(new BufferSource(image, 'system.img'), ctx(facts));
  assert.equal(r.info.blockSize, 4096);
  assert.equal(r.info.uuid, '01234567-89ab-cdef-fedc-ba9876543210');
  assert.equal(r.info.volumeName, 'fixture');
  assert.equal(r.info.buildTime, '2023-11-14T22:13:20.000Z');
  assert.deepEqual(r.info.featuresCompat, ['sb_csum']);
  assert.deepEqual(
    facts.map((f) => f.kind),
    ['fs-checksum-ok'],
  );
  assert.deepEqual(
    r.children.map((c) => c.name),
    ['build.prop'],
  );
  assert.deepEqual(await all(r.children[0].source), PROP);
  assert.equal(r.children[0].info?.mode, '0644');
});

test('erofs: a build time JavaScript cannot hold is left out, not an internal error (fuzz seed 20261203 case 61726)', async () => {
  const { image } = buildErofs([{ name: 'build.prop', data: PROP }], { buildTime: 2 ** 53 - 1 });
  const facts: Fact[] = [];
  const r = await erofsHandler.decode(new BufferSource(image, 'system.img'), ctx(facts));
  assert.equal(r.info.buildTime, undefined);
  assert.equal(r.info.volumeName, 'fixture');
  assert.deepEqual(
    facts.map((f) => f.kind),
    ['fs-checksum-ok'],
  );
});

test('erofs: resolve opens any file by path, and not a missing one or a directory', async () => {
  const { image } = buildErofs([
    { name: 'build.prop', data: PROP },
    { name: 'other', data: Buffer.from('hello') },
  ]);
  const src = new BufferSource(image, 'system.img');
  const facts: Fact[] = [];
  const c = await erofsHandler.resolve!(src, '/other', ctx(facts));
  assert.ok(c);
  assert.equal(c.name, 'other');
  assert.equal((await all(c.source)).toString(), 'hello');
  assert.equal(await erofsHandler.resolve!(src, 'missing', ctx(facts)), null);
  assert.equal(await erofsHandler.resolve!(src, '.', ctx(facts)), null);
  assert.deepEqual(facts, []);
});

test('erofs: a wrong superblock checksum is fs-checksum', async () => {
  const { image } = buildErofs([{ name: 'build.prop', data: PROP }]);
  image[1024 + 36] ^= 0; // untouched field; flip the volume name instead
  image[1024 + 64] ^= 0x20;
  const facts: Fact[] = [];
  await erofsHandler.decode(new BufferSource(image, 'system.img'), ctx(facts));
  assert.equal(facts[0].kind, 'fs-checksum');
  assert.equal(facts[0].offset, 1028);
});

test('erofs: damaged structures are fs-invalid facts, never a throw or a hang', async () => {
  const fx = buildErofs([{ name: 'build.prop', data: PROP }]);
  const cases: [string, (b: Buffer) => void][] = [
    ['a root inode with layout 7', (b) => b.writeUInt16LE(7 << 1, fx.rootInode)],
    ['a directory entry name offset that is not a multiple of 12', (b) => b.writeUInt16LE(37, fx.rootInode + 32 + 8)],
    ['a root nid past the image', (b) => b.writeUInt16LE(0xffff, 1024 + 14)],
    ['a huge directory size', (b) => b.writeUInt32LE(0xfffffff0, fx.rootInode + 8)],
    ['a file inode with a huge xattr count', (b) => b.writeUInt16LE(0xffff, fx.inodes['build.prop'] + 2)],
  ];
  for (const [name, damage] of cases) {
    const b = Buffer.from(fx.image);
    damage(b);
    const facts: Fact[] = [];
    const r = await erofsHandler.decode(new BufferSource(b, 'system.img'), ctx(facts));
    const kinds = facts.map((f) => f.kind);
    if (r.children.length === 1) {
      // The damage lies in the file's own metadata: reading it reports it.
      await assert.rejects(
        all(r.children[0].source).then(() => erofsHandler.resolve!(new BufferSource(b, 'x'), 'build.prop', ctx(facts))),
        name,
      );
    } else assert.ok(kinds.includes('fs-invalid'), `${name}: ${JSON.stringify(facts)}`);
  }
});

test('erofs: a symlink loop is fs-invalid, not a hang', async () => {
  const fx = buildErofs([{ name: 'a', data: Buffer.from('a') }]);
  const b = Buffer.from(fx.image);
  b.writeUInt16LE(0o120777, fx.inodes.a + 4); // `a` becomes a symlink to `a`
  const facts: Fact[] = [];
  assert.equal(await erofsHandler.resolve!(new BufferSource(b, 'x'), 'a/b', ctx(facts)), null);
  assert.equal(facts[0]?.kind, 'fs-invalid');
  assert.match(facts[0].message, /symlinks/);
});

test('erofs and f2fs through inspect: the build properties and the identity', async (t) => {
  const dir = tempDir(t);
  const img = join(dir, 'system.img');
  writeFileSync(img, buildErofs([{ name: 'build.prop', data: PROP }]).image);
  const report = await inspect(img);
  assert.equal(report.root.format, 'erofs');
  const prop = report.root.children.find((c: Artifact) => c.name === 'build.prop');
  assert.equal(prop?.format, 'build-prop');
  assert.equal((prop?.info.properties as Record<string, string>)['ro.product.device'], 'walleye');
  const f2 = join(dir, 'userdata.img');
  writeFileSync(f2, buildF2fsSuperblock({ label: 'données' }));
  const r2 = await inspect(f2);
  assert.equal(r2.root.format, 'f2fs');
  assert.equal(r2.root.info.label, 'données');
  assert.equal(r2.root.info.uuid, '00112233-4455-6677-8899-aabbccddeeff');
  assert.match(String(r2.root.info.filesRead), /not its files/);
});

test('lz4 block: literals and overlapping matches, exact sizes, hostile input', () => {
  // "abcabcabcabcX": 3 literals, a match of 9 at offset 3, then the literal X.
  const block = Buffer.from([0x35, 0x61, 0x62, 0x63, 0x03, 0x00, 0x10, 0x58]);
  assert.equal(lz4BlockDecode(block, 13).toString(), 'abcabcabcabcX');
  assert.throws(() => lz4BlockDecode(block, 12), /past the output/);
  assert.equal(lz4BlockDecode(block, 12, { partial: true }).toString(), 'abcabcabcabc');
  assert.throws(() => lz4BlockDecode(block, 14), /ends before/);
  assert.throws(() => lz4BlockDecode(Buffer.from([0x0f, 0x05, 0x00]), 100), /points before/);
  for (let seed = 1; seed < 200; seed++) {
    try {
      lz4BlockDecode(pseudoRandom(64, seed), 4096);
    } catch (e) {
      assert.match((e as Error).message, /^LZ4 block/);
    }
  }
});
