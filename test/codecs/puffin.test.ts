/**
 * Puffin (PUFFDIFF): deflate -> puff -> deflate is bit-identical over what
 * Debian's gzip, Python's zlib, Node's zlib and real zips wrote; the puff bytes
 * decompress to what those tools' own decompressors give; a PUF1 patch made
 * with Debian's bsdiff over the puffed forms applies through Debian's bspatch;
 * and broken patches and puffs end in PuffinError, not a hang or a crash.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { CORPUS, corpusFile, requireTools, runTool, tempDir } from '../helpers';
import { type BitExtent, PUFF_MAX_BYTES, PuffinError, applyPuffPatch, huffStream, puffStream, readPuffPatchHeader, writePuffPatch } from '../../src/codecs/puffin';
import { BitWriter, fixedCodes, writeSymbol } from '../../src/codecs/puffin/deflate';
import { debianBspatch, deflateBlocks, inflatePuff, locateDeflates, makePuffPatch } from '../../fixtures/builders/puffin';

const MAX = PUFF_MAX_BYTES;

/** Deterministic bytes (xorshift), so failures reproduce. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** Text-like data with repeats (long matches), runs, and random stretches (stored blocks at low levels). */
function sample(seed: number, size: number): Buffer {
  const r = prng(seed);
  const words = ['android', 'system', 'vendor', 'partition', 'payload', 'boot', 'deflate', 'puffin', '\n', ' ', 'the ', 'of '];
  const out: Buffer[] = [];
  let n = 0;
  while (n < size) {
    const k = r() % 10;
    let b: Buffer;
    if (k < 6) b = Buffer.from(words[r() % words.length]);
    else if (k < 7) b = Buffer.alloc(1 + (r() % 400), r() & 0xff);
    else if (k < 8) b = Buffer.from(Array.from({ length: 1 + (r() % 3000) }, () => r() & 0xff));
    else b = Buffer.from(`line ${r() % 1000} of ${seed}\n`);
    out.push(b);
    n += b.length;
  }
  return Buffer.concat(out).subarray(0, size);
}

/** Puffs `data` over `deflates`, huffs it back, and checks the bytes are identical. */
function roundTrip(data: Buffer, deflates: BitExtent[], what: string): { puffed: Buffer; puffs: { offset: number; length: number }[] } {
  const r = puffStream(data, deflates, MAX);
  const back = huffStream(r.puffed, deflates, r.puffs, MAX);
  assert.ok(back.equals(data), `${what}: deflate -> puff -> deflate changed the bytes`);
  return r;
}

/** For one raw deflate stream: whole-stream and per-block round trips, and the puff decompresses to `plain`. */
function checkRawDeflate(def: Buffer, plain: Buffer, what: string): void {
  const found = locateDeflates(Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), def]));
  assert.equal(found.length, 1, `${what}: one deflate stream`);
  const streamBits = found[0].stream.length;
  assert.equal(Math.ceil(streamBits / 8), def.length, `${what}: the stream ends where the data ends`);
  const whole = roundTrip(def, [{ offset: 0, length: streamBits }], what);
  assert.ok(inflatePuff(whole.puffed.subarray(0, whole.puffs[0].length)).equals(plain), `${what}: the puff decompresses to the original`);
  roundTrip(
    def,
    found[0].blocks.map((b) => ({ offset: b.offset - 80, length: b.length })),
    `${what} (blocks)`,
  );
}

test('puff bytes for small deflates are those puffin documents (fixed, stored, empty, matches, long runs)', () => {
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
  const puffOf = (def: Buffer): string => {
    const end = locateDeflates(Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), def]))[0].stream.length;
    const r = roundTrip(def, [{ offset: 0, length: end }], hex(def));
    return hex(r.puffed.subarray(0, r.puffs[0].length));
  };
  const fixed = (b: Buffer): Buffer => zlib.deflateRawSync(b, { strategy: zlib.constants.Z_FIXED });
  // Block header 0xa0 (final, fixed) as a one-byte metadata, a run of five literals, end of block 0xff 0x81.
  assert.equal(hex(fixed(Buffer.from([1, 2, 3, 4, 5]))), '63646266610500');
  assert.equal(puffOf(fixed(Buffer.from([1, 2, 3, 4, 5]))), '0000a0040102030405ff81');
  assert.equal(puffOf(Buffer.from('0300', 'hex')), '0000a0ff81');
  // A stored block: header 0x80, no padding bits set.
  assert.equal(puffOf(Buffer.from('010500faff0102030405', 'hex')), '000080040102030405ff81');
  assert.equal(puffOf(Buffer.from('010000ffff', 'hex')), '000080ff81');
  // zlib writes "abca" then a match of 8 at distance 3: 0x80 | (8 - 3), then distance - 1 big-endian.
  assert.equal(puffOf(fixed(Buffer.from('abcabcabcabc'))), '0000a003616263618500' + '02ff81');
  // 300 x 'a' as zlib writes it: two literals, a match of 258 (0xff, 258 - 130) and one of 40 (0x80 | 37), both at distance 1.
  assert.equal(puffOf(fixed(Buffer.alloc(300, 0x61))), '0000a0016161ff800000a50000ff81');
  // 200 bytes without repeats, which zlib stores: header 0x80, one run of 200 literals as 0x7f, then 200 - 128 as a big-endian u16.
  const rnd = Buffer.from(Array.from({ length: 200 }, (_, i) => (i * 151 + 7) & 0xff));
  assert.ok(puffOf(fixed(rnd)).startsWith('0000807f0048' + hex(rnd.subarray(0, 4))));
});

test('gzip -1, -6, -9 output round-trips bit for bit, and its puff decompresses as gzip -d does', (t) => {
  if (!requireTools(t, 'gzip')) return;
  const plain = sample(1, 400_000);
  for (const level of [1, 6, 9]) {
    const gz = runTool('gzip', [`-${level}`, '-n', '-c'], { input: plain }).stdout;
    assert.ok(runTool('gzip', ['-d', '-c'], { input: gz }).stdout.equals(plain));
    const found = locateDeflates(gz);
    assert.equal(found.length, 1, `gzip -${level}: one member`);
    const r = roundTrip(gz, [found[0].stream], `gzip -${level}`);
    assert.ok(inflatePuff(r.puffed.subarray(r.puffs[0].offset, r.puffs[0].offset + r.puffs[0].length)).equals(plain), `gzip -${level}: puff decompresses as gzip -d`);
    const blocks = found[0].blocks;
    assert.ok(blocks.length > 1, `gzip -${level}: several blocks`);
    roundTrip(gz, blocks, `gzip -${level} (blocks)`);
    // An empty file: gzip writes one empty fixed block.
    const empty = runTool('gzip', [`-${level}`, '-n', '-c'], { input: Buffer.alloc(0) }).stdout;
    const e = locateDeflates(empty);
    assert.equal(e.length, 1, `gzip -${level} of nothing: one member`);
    const er = roundTrip(empty, [e[0].stream], `gzip -${level} of nothing`);
    assert.equal(inflatePuff(er.puffed.subarray(er.puffs[0].offset, er.puffs[0].offset + er.puffs[0].length)).length, 0);
  }
});

test('Python zlib and Node zlib streams (fixed, dynamic, stored, flushes mid-stream, empty) round-trip', (t) => {
  if (!requireTools(t, 'python3')) return;
  const plain = sample(2, 120_000);
  const py = `
import sys, zlib, json
d = sys.stdin.buffer.read()
def raw(level, strategy=0, parts=None, flush=None):
    c = zlib.compressobj(level, zlib.DEFLATED, -15, 8, strategy)
    if parts is None:
        return c.compress(d) + c.flush()
    out = b''
    for p in parts:
        out += c.compress(p) + c.flush(flush)
    return out + c.flush()
h = len(d) // 2
print(json.dumps({
  'fixed': raw(6, zlib.Z_FIXED).hex(),
  'dynamic': raw(9).hex(),
  'stored': raw(0).hex(),
  'huffman-only': raw(6, zlib.Z_HUFFMAN_ONLY).hex(),
  'rle': raw(6, zlib.Z_RLE).hex(),
  'full-flush': raw(6, 0, [d[:h], d[h:]], zlib.Z_FULL_FLUSH).hex(),
  'sync-flush': raw(1, 0, [d[:1000], d[1000:h], d[h:]], zlib.Z_SYNC_FLUSH).hex(),
  'empty': zlib.compressobj(6, zlib.DEFLATED, -15).flush().hex(),
}))
`;
  const streams = JSON.parse(runTool('python3', ['-c', py], { input: plain }).stdout.toString()) as Record<string, string>;
  for (const [name, h] of Object.entries(streams)) checkRawDeflate(Buffer.from(h, 'hex'), name === 'empty' ? Buffer.alloc(0) : plain, `python zlib ${name}`);
  for (const [name, opts] of Object.entries({ level1: { level: 1 }, level9: { level: 9 }, fixed: { strategy: zlib.constants.Z_FIXED }, stored: { level: 0 } })) {
    checkRawDeflate(zlib.deflateRawSync(plain, opts), plain, `node zlib ${name}`);
    checkRawDeflate(zlib.deflateRawSync(Buffer.alloc(0), opts), Buffer.alloc(0), `node zlib ${name} empty`);
  }
  // Incompressible data: zlib stores it, and stored blocks are not listed as deflate extents (puffin leaves them as bytes).
  const noise = Buffer.from(Array.from({ length: 70_000 }, prng(9)).map((x) => x & 0xff));
  checkRawDeflate(zlib.deflateRawSync(noise, { level: 9 }), noise, 'node zlib noise');
});

test('real deflate streams: every member of the corpus OTA zips round-trips and decompresses as zlib does', (t) => {
  const dir = corpusFile(t, 'ota-zips');
  if (!dir) return;
  const zips = readdirSync(dir).filter((f) => f.endsWith('.zip'));
  let members = 0;
  for (const z of zips) {
    const data = readFileSync(join(dir, z));
    const found = locateDeflates(data);
    for (const f of found) {
      const start = f.stream.offset / 8;
      const r = roundTrip(data.subarray(start, Math.ceil((f.stream.offset + f.stream.length) / 8)), [{ offset: 0, length: f.stream.length }], `${z} member at ${start}`);
      assert.ok(inflatePuff(r.puffed.subarray(0, r.puffs[0].length)).equals(zlib.inflateRawSync(data.subarray(start))), `${z} member at ${start}: puff decompresses as zlib does`);
      members++;
    }
    roundTrip(data, deflateBlocks(data), `${z} (all blocks)`);
  }
  assert.ok(members > 10, `${members} deflate members found in ${zips.length} zips`);
  t.diagnostic(`${members} deflate members in ${zips.length} zips from ${CORPUS}`);
});

/** An image holding gzip members between other bytes, like a partition with compressed files. */
function gzipImage(members: Buffer[], seed: number): Buffer {
  const r = prng(seed);
  const parts: Buffer[] = [];
  for (const m of members) {
    parts.push(Buffer.from(Array.from({ length: 513 + (r() % 700) }, () => r() & 0x7f)));
    parts.push(m);
  }
  parts.push(Buffer.alloc(777, 0xee));
  return Buffer.concat(parts);
}

/** Edits `plain` in a few places, as a new build would. */
function edited(plain: Buffer, seed: number): Buffer {
  const r = prng(seed);
  const b = Buffer.from(plain);
  for (let i = 0; i < 20; i++) b.write(`edit ${i} ${r()}`, r() % (b.length - 40));
  return Buffer.concat([b.subarray(0, 5000), Buffer.from('inserted text that shifts the rest\n'), b.subarray(5000)]);
}

test('PUFFDIFF over gzip-holding images: made with Debian bsdiff over puffed forms, applied through Debian bspatch', (t) => {
  if (!requireTools(t, 'gzip', 'bsdiff', 'bspatch')) return;
  const gzip = (level: number, b: Buffer): Buffer => runTool('gzip', [`-${level}`, '-n', '-c'], { input: b }).stdout;
  const a1 = sample(3, 200_000);
  const a2 = sample(4, 90_000);
  const b1 = edited(a1, 5);
  const b2 = edited(a2, 6);
  const source = gzipImage([gzip(9, a1), gzip(1, a2)], 7);
  const targetMembers = [gzip(9, b1), gzip(1, b2)];
  const target = gzipImage(targetMembers, 7);
  const built = makePuffPatch(source, target);
  assert.ok(built.srcDeflates.length > 2 && built.dstDeflates.length > 2, 'several deflate blocks on each side');
  assert.ok(built.patch.length < target.length / 4, `patch of ${built.patch.length} bytes for a ${target.length}-byte target`);

  const h = readPuffPatchHeader(built.patch);
  assert.equal(h.version, 1);
  assert.equal(h.type, 'bsdiff');
  assert.equal(h.dst.puffLength, built.puffedTarget.length);

  const out = applyPuffPatch(source, built.patch, debianBspatch, { targetSize: target.length });
  assert.ok(out.equals(target), 'applied patch gives the target byte for byte');

  // The re-deflated target members are gzip's own output, and decompress (gzip -d) to the edited data.
  let at = 0;
  for (const [i, m] of targetMembers.entries()) {
    at = out.indexOf(m.subarray(0, 10), at);
    assert.ok(out.subarray(at, at + m.length).equals(m), `member ${i} equals gzip's output`);
    assert.ok(runTool('gzip', ['-d', '-c'], { input: out.subarray(at, at + m.length) }).stdout.equals([b1, b2][i]), `member ${i} decompresses with gzip -d`);
    at += m.length;
  }
  // What bspatch produced is the puffed target our puffer makes from the real target, and the
  // target's first member, puffed whole, decompresses to the edited data.
  let fromBspatch: Buffer | null = null;
  applyPuffPatch(source, built.patch, (o, p) => (fromBspatch = debianBspatch(o, p)));
  assert.ok(fromBspatch && (fromBspatch as Buffer).equals(built.puffedTarget), 'bspatch output equals the puffed target');
  const first = locateDeflates(target)[0].stream;
  const whole = puffStream(target, [first], MAX);
  assert.ok(inflatePuff(whole.puffed.subarray(whole.puffs[0].offset, whole.puffs[0].offset + whole.puffs[0].length)).equals(b1), 'puffed member decompresses to the edited data');

  // The lead swaps in src/codecs/bspatch.ts here: any (old, patch) => Buffer taking the raw bsdiff patch.
  let calls = 0;
  const counting = (o: Buffer, p: Buffer): Buffer => (calls++, debianBspatch(o, p));
  applyPuffPatch(source, built.patch, counting);
  assert.equal(calls, 1);
});

test('PUFFDIFF over zip archives (an APK-like file) made by Debian zip', (t) => {
  if (!requireTools(t, 'zip', 'unzip', 'bsdiff', 'bspatch')) return;
  const dir = tempDir(t);
  const files = ['classes.dex', 'res/layout.xml', 'assets/data.bin', 'AndroidManifest.xml'];
  const build = (name: string, seed: number): Buffer => {
    const root = join(dir, name);
    for (const [i, f] of files.entries()) {
      mkdirSync(join(root, f, '..'), { recursive: true });
      writeFileSync(join(root, f), i === 0 ? edited(sample(20, 80_000), seed) : sample(21 + i, 20_000 * (i + 1)));
    }
    runTool('zip', ['-q', '-X', '-9', '-r', join(dir, `${name}.zip`), '.'], { cwd: root });
    return readFileSync(join(dir, `${name}.zip`));
  };
  const source = build('old', 1);
  const target = build('new', 2);
  const built = makePuffPatch(source, target);
  assert.ok(built.dstDeflates.length >= files.length, 'a deflate extent per compressed block of every entry');
  const out = applyPuffPatch(source, built.patch, debianBspatch, { targetSize: target.length });
  assert.ok(out.equals(target), 'applied patch gives the new zip byte for byte');
  writeFileSync(join(dir, 'applied.zip'), out);
  runTool('unzip', ['-tq', join(dir, 'applied.zip')]);
});

test('a patch with no deflates on one side, and an identical source and target', (t) => {
  if (!requireTools(t, 'gzip', 'bsdiff', 'bspatch')) return;
  const gz = runTool('gzip', ['-6', '-n', '-c'], { input: sample(8, 50_000) }).stdout;
  const src = gzipImage([gz], 1);
  const plainTarget = Buffer.from('no deflate here at all, just bytes');
  assert.ok(applyPuffPatch(src, makePuffPatch(src, plainTarget).patch, debianBspatch).equals(plainTarget));
  assert.ok(applyPuffPatch(plainTarget, makePuffPatch(plainTarget, src).patch, debianBspatch).equals(src));
  assert.ok(applyPuffPatch(src, makePuffPatch(src, src).patch, debianBspatch).equals(src));
  // (An empty target is left out: Debian's bsdiff cannot map an empty new file.)
});

/** A copy of the patch with its header rewritten by `edit`. */
function rewrite(patch: Buffer, edit: (h: ReturnType<typeof readPuffPatchHeader>) => void): Buffer {
  const h = readPuffPatchHeader(patch);
  const raw = patch.subarray(h.rawOffset);
  edit(h);
  return writePuffPatch(h, raw);
}

test('broken patches end in PuffinError: lying extents and sizes, header past the end, zucchini, puffs that do not re-encode', (t) => {
  if (!requireTools(t, 'gzip', 'bsdiff', 'bspatch')) return;
  const gz = runTool('gzip', ['-9', '-n', '-c'], { input: sample(10, 60_000) }).stdout;
  const source = gzipImage([gz], 2);
  const target = gzipImage([runTool('gzip', ['-9', '-n', '-c'], { input: edited(sample(10, 60_000), 3) }).stdout], 2);
  const { patch, puffedTarget } = makePuffPatch(source, target);
  assert.ok(applyPuffPatch(source, patch, debianBspatch).equals(target));
  const fails = (p: Buffer, re: RegExp, bspatch = debianBspatch, opts = {}): void => {
    assert.throws(
      () => applyPuffPatch(source, p, bspatch, opts),
      (e: unknown) => e instanceof PuffinError && re.test(e.message),
    );
  };

  fails(Buffer.from('PUF2'), /no PUF1 magic/);
  fails(patch.subarray(0, 6), /no PUF1 magic/);
  const past = Buffer.from(patch);
  past.writeUInt32BE(patch.length, 4);
  fails(past, /runs past/);
  past.writeUInt32BE(0xffffffff, 4);
  fails(past, /runs past/);
  const garbage = Buffer.from(patch);
  garbage.fill(0xff, 8, 20);
  fails(garbage, /protobuf|wire type|extent|deflate|puff/);

  fails(
    rewrite(patch, (h) => (h.src.deflates[0].offset += 1)),
    /source deflate|puffs to/,
  );
  fails(
    rewrite(patch, (h) => (h.src.deflates[1].length -= 1)),
    /source deflate|puffs to|deflate data ends|bits that match no code|not at bit/,
  );
  fails(
    rewrite(patch, (h) => (h.src.puffs[0].length += 1)),
    /source deflate 0 puffs to/,
  );
  fails(
    rewrite(patch, (h) => (h.src.puffLength += 1)),
    /source puffs to/,
  );
  fails(
    rewrite(patch, (h) => h.src.deflates.pop()),
    /deflates but .* puffs/,
  );
  fails(
    rewrite(patch, (h) => (h.dst.puffLength = 2 ** 50)),
    /passes the limit/,
  );
  fails(
    rewrite(patch, (h) => (h.dst.deflates[h.dst.deflates.length - 1].offset += 8 * 2 ** 40)),
    /implies a target|limit/,
  );
  fails(
    rewrite(patch, (h) => (h.dst.deflates[0].length += 3)),
    /overlaps|re-encodes to|does not re-encode/,
  );
  fails(
    rewrite(patch, (h) => (h.dst.puffs[1].offset += 1)),
    /starts at byte|gap byte/,
  );
  fails(
    rewrite(patch, (h) => (h.dst.puffLength -= 1)),
    /bsdiff patch makes/,
  );
  fails(
    rewrite(patch, (h) => (h.type = 'zucchini')),
    /the Zucchini patch inside the puffin patch does not apply: the Zucchini patch is not a brotli stream|no "Zucc" magic/,
  );
  const rawAt = readPuffPatchHeader(patch).rawOffset;
  const notBsdiff = Buffer.from(patch);
  notBsdiff.write('BSDIFF41', rawAt, 'latin1');
  fails(notBsdiff, /neither BSDIFF40 nor BSDF2/);
  const badBsdiff = Buffer.from(patch);
  badBsdiff.fill(0x55, rawAt + 32, rawAt + 64);
  fails(badBsdiff, /does not apply|re-encode|gap byte|re-encodes to/);
  fails(patch, /operation's target extents hold/, debianBspatch, { targetSize: target.length + 1 });
  fails(patch, /limit of 1000 bytes/, debianBspatch, { maxBytes: 1000 });

  // A puffed target that does not re-encode: an end of block where the table has no code for it,
  // a dynamic table item out of range, a literal run running past its puff, a stored block too long.
  const h = readPuffPatchHeader(patch);
  const firstPuff = h.dst.puffs[0];
  const corrupt = (at: number, v: number) => (): Buffer => {
    const b = Buffer.from(puffedTarget);
    b[firstPuff.offset + at] = v;
    return b;
  };
  assert.equal(puffedTarget[firstPuff.offset + 2] & 0x60, 0x40, 'the first target block is dynamic');
  fails(patch, /does not re-encode: HCLEN|does not re-encode/, corrupt(5, 0xff));
  fails(patch, /does not re-encode/, corrupt(2, 0x00)); // declared stored, with a dynamic block's metadata
  fails(patch, /does not re-encode/, corrupt(0, 0x03)); // metadata length past the table
  fails(patch, /does not re-encode|gap byte|re-encodes to/, corrupt(firstPuff.length - 1, 0x80));
});

test('mutated puffs and patches never throw anything but PuffinError, and never hang', (t) => {
  if (!requireTools(t, 'gzip', 'bsdiff', 'bspatch')) return;
  const plain = sample(11, 30_000);
  const gz = runTool('gzip', ['-6', '-n', '-c'], { input: plain }).stdout;
  const img = gzipImage([gz, runTool('gzip', ['-1', '-n', '-c'], { input: plain.subarray(0, 9000) }).stdout], 4);
  const deflates = deflateBlocks(img);
  const { puffed, puffs } = puffStream(img, deflates, MAX);
  const r = prng(12345);
  const outcomes = { ok: 0, error: 0 };
  const expectClean = (fn: () => unknown, what: string): void => {
    try {
      fn();
      outcomes.ok++;
    } catch (e) {
      if (!(e instanceof PuffinError)) throw new Error(`${what}: ${(e as Error).stack}`, { cause: e });
      outcomes.error++;
    }
  };
  for (let i = 0; i < 400; i++) {
    const bad = Buffer.from(puffed);
    for (let k = 1 + (r() % 3); k > 0; k--) bad[r() % bad.length] ^= 1 << (r() % 8);
    expectClean(() => huffStream(bad, deflates, puffs, MAX), `huff mutation ${i}`);
    const badImg = Buffer.from(img);
    for (let k = 1 + (r() % 3); k > 0; k--) badImg[r() % badImg.length] ^= 1 << (r() % 8);
    expectClean(() => puffStream(badImg, deflates, MAX), `puff mutation ${i}`);
  }
  const target = gzipImage([runTool('gzip', ['-6', '-n', '-c'], { input: edited(plain, 1) }).stdout], 4);
  const { patch } = makePuffPatch(img, target);
  const headerEnd = readPuffPatchHeader(patch).rawOffset;
  for (let i = 0; i < 150; i++) {
    const bad = Buffer.from(patch);
    for (let k = 1 + (r() % 2); k > 0; k--) bad[r() % headerEnd] ^= 1 << (r() % 8);
    expectClean(() => applyPuffPatch(img, bad, debianBspatch, { maxBytes: 1 << 22 }), `patch header mutation ${i}`);
  }
  for (let i = 0; i < 60; i++) {
    const bad = Buffer.from(patch);
    bad[headerEnd + (r() % (bad.length - headerEnd))] ^= 1 << (r() % 8);
    expectClean(() => applyPuffPatch(img, bad, debianBspatch, { maxBytes: 1 << 22 }), `raw patch mutation ${i}`);
  }
  t.diagnostic(`${outcomes.ok} mutations applied or re-encoded, ${outcomes.error} refused with PuffinError`);
  assert.ok(outcomes.error > 100);
});

test('deflate blocks at any bit offset, with gaps of 0 to 20 bits between them, puff and huff back', () => {
  // One-literal fixed blocks (3 header bits, an 8- or 9-bit literal, a 7-bit end of block) written at
  // random bit offsets between random bits. Where two blocks meet inside a byte no gap byte is kept;
  // otherwise the gap's bytes are: the rest of the byte the block before ends in (shifted down), any
  // whole bytes, and the start of the byte the next block begins in (masked).
  const { lit } = fixedCodes();
  const r = prng(77);
  for (let round = 0; round < 30; round++) {
    const buf = Buffer.alloc(256);
    const bw = new BitWriter(buf, 0, buf.length * 8);
    const deflates: BitExtent[] = [];
    let expectedGaps = 0;
    let prevEnd = 0;
    for (let k = 0; k < 12; k++) {
      const gap = [0, 0, 1, 3, 7, 8, 9, 20][r() % 8];
      for (let g = 0; g < gap; g++) bw.write(1, r() & 1);
      const start = bw.pos;
      bw.write(1, k === 11 ? 1 : 0);
      bw.write(2, 1);
      writeSymbol(bw, lit, r() & 0xff, 'literal');
      writeSymbol(bw, lit, 256, 'end of block');
      deflates.push({ offset: start, length: bw.pos - start });
      expectedGaps += k > 0 && prevEnd === start && start % 8 ? 0 : Math.ceil(start / 8) - Math.floor(prevEnd / 8);
      prevEnd = bw.pos;
    }
    const data = buf.subarray(0, Math.ceil(bw.pos / 8) + 2);
    for (let i = bw.pos; i < data.length * 8; i++) if (r() & 1) data[i >> 3] |= 1 << (i & 7);
    const { puffed, puffs } = roundTrip(data, deflates, `round ${round}`);
    const puffBytes = puffs.reduce((n, p) => n + p.length, 0);
    const tail = data.length - Math.floor(prevEnd / 8);
    assert.equal(puffed.length - puffBytes - tail, expectedGaps, `round ${round}: gap bytes`);
    // Each puff: metadata length (2), header byte, a one-literal run (2), end of block (2).
    assert.ok(puffs.every((p) => p.length === 7));
  }
});
