/**
 * Zucchini ensemble patches (src/codecs/zucchini). No real Zucchini patch
 * with its old and new files was found, so:
 * - the stream encodings are checked against the values Chromium's own
 *   patch_reader unit tests expect from their byte sequences (varints,
 *   delta-coded offsets, the -1 bias of raw delta offsets, the CRC-32s of
 *   their example files);
 * - patches from our test-only writer (fixtures/builders/zucchini.ts) over
 *   ext4 images made by Debian's mke2fs, with equivalences, extra data and
 *   raw deltas, in one or several elements, rebuild the new image byte for
 *   byte; the header's CRC-32s agree with Python's zlib.crc32;
 * - lying lengths, offsets past the end, truncated streams, huge counts,
 *   CRC mismatches, unknown versions and executable elements end in a
 *   ZucchiniError that says why, never a hang or a crash.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { requireTools, runTool } from '../helpers';
import { ZUCCHINI_MAX_ELEMENTS, ZucchiniError, applyCompressedZucchiniPatch, applyZucchiniPatch, equivalences, rawDeltas, readZucchiniPatch, type ZucchiniElement } from '../../src/codecs/zucchini';
import { PuffinError, applyPuffPatch } from '../../src/codecs/puffin';
import { bspatchBuffer } from '../../src/codecs/bspatch';
import { brotli, makePuffZucchiniPatch, makeZucchiniPatch, writeZucchiniPatch, type ZucPatchInput } from '../../fixtures/builders/zucchini';
import { mke2fs, type TreeEntry } from '../../fixtures/builders/ext4';
import { pseudoRandom } from '../../fixtures/builders/data';

function el(streams: Partial<ZucchiniElement>): ZucchiniElement {
  const none = new Uint8Array();
  return {
    index: 0,
    oldOffset: 0,
    oldLength: 100,
    newOffset: 0,
    newLength: 100,
    exeType: 'NoOp',
    version: 1,
    srcSkip: none,
    dstSkip: none,
    copyCount: none,
    extraData: none,
    rawDeltaSkip: none,
    rawDeltaDiff: none,
    referenceDelta: none,
    extraTargets: new Map(),
    ...streams,
  };
}

test("stream encodings give the values Chromium's patch_reader tests expect", () => {
  // src_skip 6, 7 (zigzag +3, -4); dst_skip 7, 1; copy_count 2, 1: equivalences (3, 7, 2) and (1, 10, 1).
  const eqs = [...equivalences(el({ srcSkip: Buffer.from([6, 7]), dstSkip: Buffer.from([7, 1]), copyCount: Buffer.from([2, 1]) }))];
  assert.deepEqual(eqs, [
    { src: 3, dst: 7, length: 2 },
    { src: 1, dst: 10, length: 1 },
  ]);
  // raw_delta_skip 1, 3, 0 and raw_delta_diff 42, 24, 235: (1, 42), (5, 24), (6, -21).
  assert.deepEqual(
    [...rawDeltas(el({ rawDeltaSkip: Buffer.from([1, 3, 0]), rawDeltaDiff: Buffer.from([42, 24, 235]) }))],
    [
      [1, 42],
      [5, 24],
      [6, -21],
    ],
  );
  // A zero difference is invalid.
  assert.throws(() => [...rawDeltas(el({ rawDeltaSkip: Buffer.from([1, 3]), rawDeltaDiff: Buffer.from([0, 4]) }))], /difference of 0/);
  // Their CheckFile example: the CRC-32s of 10 32 54 76 98 and BA DC FE.
  assert.equal(crc32(Buffer.from([0x10, 0x32, 0x54, 0x76, 0x98])) >>> 0, 0x10e413df);
  assert.equal(crc32(Buffer.from([0xba, 0xdc, 0xfe])) >>> 0, 0x4000f7dc);
  // Five-byte varints: the top bits past 32 are dropped; a sixth byte is an error.
  assert.deepEqual([...equivalences(el({ srcSkip: Buffer.from([0]), dstSkip: Buffer.from([0]), copyCount: Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f]) }))][0].length, 0xffffffff);
  assert.throws(() => [...equivalences(el({ srcSkip: Buffer.from([0]), dstSkip: Buffer.from([0]), copyCount: Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0]) }))], /longer than 5 bytes/);
});

test('a hand-made raw patch in the layout of the upstream example applies: extra data, a copy and a byte correction', () => {
  const old = Buffer.from([0x10, 0x32, 0x54, 0x76, 0x98]);
  const next = Buffer.from('ABC\x32\x55Z', 'latin1');
  const patch = writeZucchiniPatch({
    old,
    new: next,
    elements: [{ oldOffset: 1, oldLength: 2, newOffset: 0, newLength: 6, equivalences: [{ src: 0, dst: 3, length: 2 }], extra: Buffer.from('ABCZ'), rawDeltas: [[1, 1]] }],
  });
  assert.equal(patch.subarray(0, 8).toString('hex'), '5a75636301000000', 'magic and version 1.0');
  assert.equal(patch.length, 24 + 4 + 22 + 4 * 7 + 3 + 4 + 2 + 4, 'header, count, element header, 7 buffers, pool count');
  assert.deepEqual(applyZucchiniPatch(old, patch), next);
  // Version 2 patches have the same layout.
  assert.deepEqual(applyZucchiniPatch(old, writeZucchiniPatch({ ...readBack(old, next), major: 2 })), next);
});

function readBack(old: Buffer, next: Buffer): ZucPatchInput {
  return { old, new: next, elements: [{ oldOffset: 1, oldLength: 2, newOffset: 0, newLength: 6, equivalences: [{ src: 0, dst: 3, length: 2 }], extra: Buffer.from('ABCZ'), rawDeltas: [[1, 1]] }] };
}

function tree(version: number): Record<string, TreeEntry> {
  const doc = (v: number) => Buffer.from(Array.from({ length: 3000 }, (_, i) => `line ${i}: value ${i % 97 === 0 ? v * 7 + i : i}\n`).join(''));
  const lib = pseudoRandom(64 * 1024, 3);
  if (version === 2) for (let i = 100; i < lib.length; i += 4099) lib[i] ^= 0x21;
  return {
    'etc/build.prop': { type: 'file', data: `ro.build.version.incremental=${100 + version}\n` },
    'etc/doc.txt': { type: 'file', data: doc(version) },
    'lib/libfoo.so': { type: 'file', data: lib },
    ...(version === 2 ? { 'etc/new.txt': { type: 'file' as const, data: pseudoRandom(5000, 9) } } : {}),
  };
}

let images: [Buffer, Buffer] | null = null;
function ext4(): [Buffer, Buffer] {
  images ??= [mke2fs(tree(1), ['-t', 'ext4', '-b', '4096'], 1024, { mtime: 1700000000 }), mke2fs(tree(2), ['-t', 'ext4', '-b', '4096'], 1024, { mtime: 1700000000 })];
  return images;
}

test('patches over ext4 images made by Debian mke2fs rebuild the new image byte for byte (1 and 5 elements, raw deltas, brotli)', (t) => {
  if (!requireTools(t, 'mke2fs', 'python3')) return;
  const [a, b] = ext4();
  for (const elements of [1, 5]) {
    const { patch, input } = makeZucchiniPatch(a, b, { elements });
    const read = readZucchiniPatch(patch);
    assert.equal(read.elements.length, elements);
    assert.ok(
      input.elements.some((e) => (e.rawDeltas ?? []).length > 0),
      'some bytes are raw deltas',
    );
    assert.ok(input.elements.every((e) => e.equivalences.length > 0 && e.extra.length < e.newLength));
    assert.ok(patch.length < b.length / 4, `patch of ${patch.length} bytes`);
    assert.ok(applyZucchiniPatch(a, patch).equals(b));
    assert.ok(applyCompressedZucchiniPatch(a, brotli(patch)).equals(b));
    // Brotli from Debian's own brotli tool.
    if (runTool('sh', ['-c', 'command -v brotli']).status === 0) assert.ok(applyCompressedZucchiniPatch(a, runTool('brotli', ['-c', '-q', '11'], { input: patch }).stdout).equals(b));
    // The header's CRC-32s are the ones Python's zlib computes.
    const py = runTool('python3', ['-c', 'import sys,zlib; d=sys.stdin.buffer.read(); print(zlib.crc32(d))'], { input: b }).stdout.toString().trim();
    assert.equal(read.header.newCrc, Number(py));
  }
  // Without raw deltas a byte that differs would be wrong: the CRC-32 check says so.
  const { input } = makeZucchiniPatch(a, b);
  const noDeltas = writeZucchiniPatch({ ...input, elements: input.elements.map((e) => ({ ...e, rawDeltas: [] })) });
  assert.throws(
    () => applyZucchiniPatch(a, noDeltas),
    (e: unknown) => e instanceof ZucchiniError && /patched image's CRC-32 is 0x[0-9a-f]{8}, the Zucchini patch says 0x[0-9a-f]{8}/.test(e.message),
  );
});

test('broken patches end in ZucchiniError naming why', (t) => {
  if (!requireTools(t, 'mke2fs')) return;
  const [a, b] = ext4();
  const { patch, input } = makeZucchiniPatch(a, b, { elements: 2 });
  const fails = (p: Buffer, re: RegExp, old: Buffer = a, opts = {}): void => {
    assert.throws(
      () => applyZucchiniPatch(old, p, opts),
      (e: unknown) => e instanceof ZucchiniError && re.test(e.message),
      re.source,
    );
  };
  const withEl = (f: (e: (typeof input.elements)[number]) => object, i = 0) => writeZucchiniPatch({ ...input, elements: input.elements.map((e, j) => (j === i ? { ...e, ...f(e) } : e)) });

  fails(Buffer.from('Zuck'), /no "Zucc" magic/);
  fails(patch.subarray(0, 10), /needs 2 bytes at byte 8|needs 4 bytes/);
  fails(writeZucchiniPatch({ ...input, major: 0xffff }), /major version 65535; romscope reads versions 1 and 2/);
  fails(writeZucchiniPatch({ ...input, major: 3 }), /major version 3/);
  // The old image is not the one the patch was made for.
  const flipped = Buffer.from(a);
  flipped[5000] ^= 1;
  fails(patch, /the source is not the old image the Zucchini patch was made for: its CRC-32 is 0x[0-9a-f]{8}, the patch says/, flipped);
  fails(patch, /made for an old image of \d+ bytes; the source is/, a.subarray(1));
  fails(writeZucchiniPatch({ ...input, newCrc: 1 }), /the Zucchini patch says 0x00000001/);
  // Huge declared sizes are refused before anything is allocated.
  fails(writeZucchiniPatch({ ...input, newSize: 0xffffffff }), /more than the \d+ romscope patches/);
  fails(patch, /makes \d+ bytes, but its target holds 4096/, a, { newSize: 4096 });
  fails(writeZucchiniPatch({ ...input, count: 0xffffffff }), new RegExp(`4294967295 elements, more than the ${ZUCCHINI_MAX_ELEMENTS}`));
  fails(writeZucchiniPatch({ ...input, count: 3 }), /element 2: old offset needs 4 bytes/);
  fails(writeZucchiniPatch({ ...input, count: 1 }), /the elements make \d+ bytes of the \d+-byte new image/);
  fails(Buffer.concat([patch, Buffer.from([0])]), /1 bytes follow the last element/);
  // Truncated anywhere: a clear error, never a throw of something else.
  for (let cut = 0; cut < patch.length; cut += Math.max(1, Math.floor(patch.length / 97))) fails(patch.subarray(0, cut), /needs|magic|elements make|varint|do not end together|extra data/);
  // Lying lengths and offsets.
  fails(
    withEl((e) => ({ newLength: e.newLength + 1 })),
    /extra data|lies outside|does not fit|starts at new offset/,
  );
  fails(
    withEl(() => ({ oldOffset: a.length })),
    /does not fit the images the header declares/,
  );
  fails(
    withEl(() => ({ oldLength: 0 })),
    /is empty/,
  );
  fails(
    withEl((e) => ({ equivalences: [{ ...e.equivalences[0], src: a.length - 1 }, ...e.equivalences.slice(1)] })),
    /equivalence 0 .* lies outside the element/,
  );
  fails(
    withEl((e) => ({ equivalences: [{ ...e.equivalences[0], length: e.equivalences[0].length + 0x10000000 }, ...e.equivalences.slice(1)] })),
    /lies outside the element|outside 32 bits/,
  );
  fails(
    withEl(() => ({ newOffset: 7 })),
    /starts at new offset 7, but the elements before it end at 0/,
  );
  fails(
    withEl((e) => ({ extra: Buffer.concat([e.extra, Buffer.from([1])]) })),
    /needs \d+ bytes of extra data, but has \d+/,
  );
  // Streams that do not end together, or are cut inside a varint.
  fails(
    withEl(() => ({ streams: { copyCount: Buffer.from([0x81]) } })),
    /varint cut off|do not end together|extra data/,
  );
  fails(
    withEl((e) => ({ streams: { rawDiff: Buffer.from(e.rawDeltas!.slice(1).map(([, d]) => d & 0xff)) } })),
    /raw delta streams do not end together/,
  );
  fails(
    withEl((e) => ({ rawDeltas: [...(e.rawDeltas ?? []), [0x7fffffff, 1]] })),
    /lies past the \d+ bytes its equivalences copy/,
  );
  fails(
    withEl(() => ({ referenceDeltas: [3, -1] })),
    /reference deltas, but a raw \(NoOp\) element has no references/,
  );
  fails(
    withEl(() => ({ pools: [[0xff, [1]]] })),
    /tag 0xff/,
  );
  fails(
    withEl(() => ({
      pools: [
        [1, [1]],
        [1, [2]],
      ],
    })),
    /pool tag 1 is listed twice/,
  );
  fails(
    withEl(() => ({ version: 2 })),
    /version 2; Zucchini's raw data \(NoOp\) elements are version 1/,
  );
  fails(
    withEl(() => ({ exeType: 'XXXX' })),
    /executable type 0x58585858, which Zucchini does not define/,
  );
  // Executable elements are read, and refused by name when applied.
  for (const [tag, name] of [
    ['EA64', 'ELF ARM64 \\(EA64\\)'],
    ['EA32', 'ELF ARM32'],
    ['Ex64', 'ELF x86-64'],
    ['DEX ', 'DEX \\(DEX\\)'],
    ['Px86', 'Win32 x86'],
    ['ZTF ', 'ZTF'],
  ]) {
    fails(
      withEl(() => ({ exeType: tag }), 1),
      new RegExp(`Zucchini element of type ${name}.* is not applied`),
    );
  }
  // Brotli: not brotli, or more than the cap.
  assert.throws(() => applyCompressedZucchiniPatch(a, patch), /not a brotli stream|no "Zucc" magic/);
  assert.throws(() => applyCompressedZucchiniPatch(a, brotli(patch).subarray(0, 100)), /not a brotli stream \(unexpected end of file\)/);
  assert.throws(() => applyCompressedZucchiniPatch(a, brotli(Buffer.alloc(1 << 20))), /no "Zucc" magic/);
  assert.throws(
    () => applyCompressedZucchiniPatch(a, brotli(Buffer.alloc(4 << 20)), { maxBytes: 1 << 20 }),
    (e: unknown) => e instanceof ZucchiniError && /decodes to more than 1048576 bytes/.test(e.message),
  );
});

test('puffin patches of type ZUCCHINI: deflate streams puffed, the brotli Zucchini patch applied, the target re-deflated byte for byte', (t) => {
  if (!requireTools(t, 'gzip')) return;
  const doc = (v: number) => Buffer.from(Array.from({ length: 2000 }, (_, i) => `line ${i}: version ${i % 37 === 0 ? v : 1} of the file\n`).join(''));
  const gz = (d: Buffer) => runTool('gzip', ['-9', '-n', '-c'], { input: d }).stdout;
  const make = (v: number) => Buffer.concat([pseudoRandom(3000, 1), gz(doc(v)), pseudoRandom(2000, 2), gz(doc(v + 10))]);
  const [source, target] = [make(1), make(2)];
  const { patch } = makePuffZucchiniPatch(source, target, { elements: 2 });
  assert.ok(applyPuffPatch(source, patch, bspatchBuffer).equals(target));
  // A Zucchini patch that does not apply is a PuffinError saying why.
  const flipped = Buffer.from(source);
  flipped[100] ^= 1; // outside the deflate streams: the puffed source differs in one byte
  assert.throws(
    () => applyPuffPatch(flipped, patch, bspatchBuffer),
    (e: unknown) => e instanceof PuffinError && /Zucchini patch inside the puffin patch does not apply: (the source is not the old image|Zucchini patch was made for an old image)/.test(e.message),
  );
});

test('random mutations of a patch: each applies or is a ZucchiniError, quickly', () => {
  const old = pseudoRandom(20_000, 5);
  const next = Buffer.concat([old.subarray(3000, 9000), pseudoRandom(500, 6), old.subarray(0, 2500), old.subarray(12_000)]);
  for (let i = 100; i < next.length; i += 997) next[i] ^= 0x11;
  const { patch } = makeZucchiniPatch(old, next, { elements: 3 });
  assert.ok(applyZucchiniPatch(old, patch).equals(next));
  let s = 12345;
  const rnd = (n: number) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s % n;
  };
  let refused = 0;
  const started = Date.now();
  for (let k = 0; k < 2000; k++) {
    const m = Buffer.from(patch);
    const at = rnd(m.length);
    switch (rnd(4)) {
      case 0:
        m[at] ^= 1 << rnd(8);
        break;
      case 1:
        m[at] = 0xff;
        if (at + 3 < m.length) m.fill(0xff, at, at + 4);
        break;
      case 2:
        m.writeUInt32LE(rnd(2) ? 0 : 0x7fffffff, Math.min(at, m.length - 4));
        break;
      default:
        m[at] = 0;
    }
    try {
      // Accepted: the mutation changed nothing that matters (a byte already 0, the minor version): the CRC-32 of the result was checked.
      assert.ok(applyZucchiniPatch(old, m).equals(next), `mutation ${k} at byte ${at}`);
    } catch (e) {
      if (e instanceof assert.AssertionError) throw e;
      assert.ok(e instanceof ZucchiniError, `mutation ${k} at byte ${at}: ${(e as Error).stack}`);
      refused++;
    }
  }
  assert.ok(refused > 1500, `${refused} of 2000 mutations refused`);
  assert.ok(Date.now() - started < 20_000);
});
