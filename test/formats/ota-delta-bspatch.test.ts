/**
 * bspatch (src/codecs/bspatch.ts) against Debian's bsdiff/bspatch, and
 * lying patches: headers whose sizes lie, control entries past the end of
 * the new data or the streams, unknown BSDF2 compressions. Applied inside a
 * delta payload (with correct blob hashes, so only the patch lies), each is
 * a finding on the partition, never a throw, and the other operations of
 * the payload are unaffected.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bspatch, bspatchBuffer, writeOfft } from '../../src/codecs/bspatch';
import { CodecError } from '../../src/codecs';
import { bsdiff40, bsdiff40Of, bsdf2, bsdiff40Streams } from '../../fixtures/builders/bsdf2';
import { bsdf2Plain, smallDelta } from '../../fixtures/builders/delta-payload';
import { pseudoRandom } from '../../fixtures/builders/data';
import { inspect } from '../../src/pipeline/inspect';
import { requireTools, tempDir } from '../helpers';
import { artifactAt, sha256 } from '../interop/util';

function edited(): { old: Buffer; next: Buffer } {
  const old = pseudoRandom(200_000, 3);
  const next = Buffer.concat([old.subarray(0, 50_000), pseudoRandom(3000, 4), old.subarray(50_000, 120_000), Buffer.from('inserted'), old.subarray(130_000)]);
  next[10] ^= 1;
  return { old, next };
}

async function collect(g: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of g) parts.push(c);
  return Buffer.concat(parts);
}

test("Debian bsdiff's BSDIFF40 patches apply, whole and streaming (old data read through a reader)", async (t) => {
  if (!requireTools(t, 'bsdiff', 'bspatch')) return;
  const { old, next } = edited();
  const patch = bsdiff40(old, next);
  assert.ok(bspatchBuffer(old, patch).equals(next));
  let reads = 0;
  const out = await collect(
    bspatch(
      (o, n) => {
        reads++;
        return Promise.resolve(old.subarray(o, o + n));
      },
      old.length,
      patch,
      next.length,
    ),
  );
  assert.ok(out.equals(next));
  assert.ok(reads > 0);
});

test('BSDF2 rewraps of the same streams (none, bzip2, brotli) give the same bytes', (t) => {
  if (!requireTools(t, 'bsdiff', 'bspatch', 'bzip2', 'brotli')) return;
  const { old, next } = edited();
  const streams = bsdiff40Streams(bsdiff40(old, next));
  for (const kinds of [
    ['none', 'none', 'none'],
    ['brotli', 'brotli', 'brotli'],
    ['bzip2', 'none', 'brotli'],
  ] as const) {
    assert.ok(bspatchBuffer(old, bsdf2(streams, [...kinds])).equals(next), kinds.join(','));
  }
});

const LIES: { name: string; patch: () => Buffer; error: RegExp }[] = [
  { name: 'a short header', patch: () => Buffer.from('BSDIFF40'), error: /shorter than its 32-byte header/ },
  { name: 'an unknown magic', patch: () => Buffer.concat([Buffer.from('BSDIFF41'), Buffer.alloc(24)]), error: /the magic is "BSDIFF41"/ },
  { name: 'an unknown BSDF2 compression', patch: () => Buffer.concat([Buffer.from('BSDF2'), Buffer.from([0, 3, 0]), Buffer.alloc(24)]), error: /diff stream compression 3/ },
  {
    name: 'a control length past the end',
    patch: () => {
      const p = bsdf2Plain([[10, 0, 0]], Buffer.alloc(10), Buffer.alloc(0), 10);
      writeOfft(1 << 30).copy(p, 8);
      return p;
    },
    error: /1073741824 \+ 10 bytes of control and diff streams/,
  },
  {
    name: 'a negative length',
    patch: () => {
      const p = bsdf2Plain([[10, 0, 0]], Buffer.alloc(10), Buffer.alloc(0), 10);
      writeOfft(-5).copy(p, 16);
      return p;
    },
    error: /negative length in the header/,
  },
  { name: 'a control entry past the new size', patch: () => bsdf2Plain([[20, 0, 0]], Buffer.alloc(10), Buffer.alloc(0), 10), error: /control entry 0 adds 20 bytes at new position 0, past the new size 10/ },
  { name: 'a control entry past the diff stream', patch: () => bsdf2Plain([[10, 0, 0]], Buffer.alloc(4), Buffer.alloc(0), 10), error: /needs 10 diff bytes from 0, the diff stream has 4/ },
  { name: 'extra bytes past the extra stream', patch: () => bsdf2Plain([[0, 10, 0]], Buffer.alloc(0), Buffer.alloc(3), 10), error: /needs 10 extra bytes from 0, the extra stream has 3/ },
  { name: 'a control stream that ends early', patch: () => bsdf2Plain([[4, 0, 0]], Buffer.alloc(4), Buffer.alloc(0), 10), error: /the control stream ends \(1 entries\) with 6 of the 10 new bytes not written/ },
  {
    name: 'a seek out of range',
    patch: () =>
      bsdf2Plain(
        [
          [1, 0, 2 ** 52],
          [1, 0, 2 ** 52],
          [1, 0, 2 ** 52],
          [1, 0, 0],
        ],
        Buffer.alloc(4),
        Buffer.alloc(0),
        4,
      ),
    error: /moves the old position out of range/,
  },
];

for (const l of LIES) {
  test(`bspatch refuses ${l.name}`, () => {
    assert.throws(
      () => bspatchBuffer(Buffer.alloc(16), l.patch()),
      (e: unknown) => e instanceof CodecError && l.error.test(e.message),
    );
  });
}

test('a bsdiff40 patch whose bzip2 diff stream decodes to more than the new size is refused', (t) => {
  if (!requireTools(t, 'bzip2')) return;
  const p = bsdiff40Of([[10, 0, 0]], Buffer.alloc(5000), Buffer.alloc(0), 10);
  assert.throws(() => bspatchBuffer(Buffer.alloc(16), p), /the diff stream \(bzip2\) does not decode: .*more than the 10 bytes/);
});

test('lying patches inside a delta payload: a finding on the partition, never a throw', async (t) => {
  const dir = tempDir(t);
  const base = join(dir, 'base');
  mkdirSync(base);
  const good = smallDelta();
  writeFileSync(join(base, 'system.img'), good.old);
  // The hand-written delta applies byte for byte.
  writeFileSync(join(dir, 'good.bin'), good.payload);
  const ok = await inspect(join(dir, 'good.bin'), { base });
  assert.equal(artifactAt(ok.root, 'system.img').hashes.sha256, sha256(good.new));
  assert.equal(ok.summary.errors, 0, JSON.stringify(ok.findings));
  for (const [i, l] of LIES.entries()) {
    const bad = smallDelta(() => l.patch());
    writeFileSync(join(dir, `bad${i}.bin`), bad.payload);
    const r = await inspect(join(dir, `bad${i}.bin`), { base });
    const sys = artifactAt(r.root, 'system.img');
    const facts = sys.facts.map((f) => `${f.kind}: ${f.message}`).join('\n');
    assert.match(facts, /unreadable: operation 1 \(SOURCE_BSDIFF\) of system(\.img)?: (bsdiff patch: )?/, `${l.name}: ${facts}`);
    assert.equal(r.findings.filter((f) => f.ruleId === 'integrity/payload-operation-hash').length, 0, 'only the patch lies; its blob hash is right');
  }
});
