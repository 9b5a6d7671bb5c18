/**
 * ZUCCHINI operations, and PUFFDIFF operations whose puffin patch is of type
 * ZUCCHINI, in incremental payloads applied to a base (`--base`). No real
 * payload with ZUCCHINI operations was found: the patches come from our
 * test-only Zucchini writer (fixtures/builders/zucchini.ts, raw NoOp
 * elements) over ext4 images made by Debian's `mke2fs -d`, compressed by
 * Debian's `brotli` as update_engine's generator compresses them; the
 * rebuilt partition must equal the new image byte for byte and match
 * new_partition_info. Patches that do not apply (an executable element, an
 * old image with another CRC-32, a patch making more bytes than the
 * extents hold, broken brotli) are a finding on that partition, and the
 * other partition still applies.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/pipeline/inspect';
import type { Report } from '../../src/report/model';
import { buildDeltaPayload, chunkOps, type DeltaOpInput } from '../../fixtures/builders/delta-payload';
import { OP } from '../../fixtures/builders/payload';
import { makePuffZucchiniPatch, makeZucchiniPatch, smallZucchiniDelta, writeZucchiniPatch } from '../../fixtures/builders/zucchini';
import { mke2fs, type TreeEntry } from '../../fixtures/builders/ext4';
import { pseudoRandom } from '../../fixtures/builders/data';
import { requireTools, runTool, tempDir } from '../helpers';
import { artifactAt, describe as describeFindings, sha256 } from '../interop/util';

const BS = 4096;
const ZUCCHINI = 11;

function tree(version: 1 | 2): Record<string, TreeEntry> {
  const doc = (v: number) => Buffer.from(Array.from({ length: 4000 }, (_, i) => `entry ${i}: ${i % 53 === 0 ? `changed in ${v}` : 'the same'}\n`).join(''));
  const lib = pseudoRandom(96 * 1024, 11);
  if (version === 2) for (let i = 64; i < lib.length; i += 3001) lib[i] = (lib[i] + 3) & 0xff;
  return {
    'etc/build.prop': { type: 'file', data: `ro.build.version.incremental=${version === 1 ? '100' : '101'}\n` },
    'etc/list.txt': { type: 'file', data: doc(version) },
    'lib/libbar.so': { type: 'file', data: lib },
    ...(version === 2 ? { 'etc/added.txt': { type: 'file' as const, data: pseudoRandom(7000, 12) } } : {}),
  };
}

let cache: { system: [Buffer, Buffer]; vendor: [Buffer, Buffer] } | null = null;
function images() {
  cache ??= {
    system: [mke2fs(tree(1), ['-t', 'ext4', '-b', '4096'], 1024, { mtime: 1700000000 }), mke2fs(tree(2), ['-t', 'ext4', '-b', '4096'], 1024, { mtime: 1700000000 })],
    vendor: [
      mke2fs({ 'a.txt': { type: 'file', data: 'vendor 1\n' } }, ['-t', 'ext4', '-b', '4096'], 512, { mtime: 1 }),
      mke2fs({ 'a.txt': { type: 'file', data: 'vendor 2\n' } }, ['-t', 'ext4', '-b', '4096'], 512, { mtime: 1 }),
    ],
  };
  return cache;
}

/** Brotli by Debian's tool at quality 11, as update_engine's generator compresses ZUCCHINI patches. */
const debianBrotli = (b: Buffer) => runTool('brotli', ['-c', '-q', '11'], { input: b }).stdout;

interface Built {
  payload: string;
  base: string;
}

function build(t: TestContext, system: { old: Buffer; new: Buffer; ops: DeltaOpInput[] }): Built {
  const im = images();
  const d = buildDeltaPayload(
    [
      { name: 'system', ...system },
      { name: 'vendor', old: im.vendor[0], new: im.vendor[1], ops: chunkOps(im.vendor[0], im.vendor[1], BS, 16, 'bsdiff40') },
    ],
    { minorVersion: 8 },
  );
  const dir = tempDir(t);
  const base = join(dir, 'base');
  mkdirSync(base);
  writeFileSync(join(base, 'system.img'), system.old);
  writeFileSync(join(base, 'vendor.img'), im.vendor[0]);
  writeFileSync(join(dir, 'payload.bin'), d.payload);
  return { payload: join(dir, 'payload.bin'), base };
}

function hashOk(r: Report, name: string, want: Buffer): void {
  const a = artifactAt(r.root, `${name}.img`);
  assert.equal(a.facts.filter((f) => f.kind === 'payload-partition-hash-ok').length, 1, `${name}: ${JSON.stringify(a.facts)}`);
  assert.equal(a.hashes.sha256, sha256(want), `${name}: byte for byte the new image`);
}

const whole = (img: Buffer) => [{ start: 0, blocks: img.length / BS }];

test('a ZUCCHINI operation over a whole ext4 image (Debian mke2fs, brotli): the new image byte for byte', async (t) => {
  if (!requireTools(t, 'mke2fs', 'brotli', 'bsdiff')) return;
  const [a, b] = images().system;
  for (const elements of [1, 3]) {
    const { patch } = makeZucchiniPatch(a, b, { elements });
    const built = build(t, { old: a, new: b, ops: [{ type: ZUCCHINI, src: whole(a), dst: whole(b), blob: debianBrotli(patch) }] });
    const r = await inspect(built.payload, { base: built.base });
    assert.equal(r.summary.errors, 0, describeFindings(r.findings));
    assert.deepEqual(
      r.findings.filter((f) => f.ruleId === 'format/unsupported').map((f) => f.message),
      [],
    );
    hashOk(r, 'system', b);
    hashOk(r, 'vendor', images().vendor[1]);
  }
});

test('ZUCCHINI operations per chunk, with sources in other blocks than their targets, next to SOURCE_COPY', async (t) => {
  if (!requireTools(t, 'mke2fs', 'brotli', 'bsdiff')) return;
  const [a, b] = images().system;
  const blocks = b.length / BS;
  const ops: DeltaOpInput[] = [];
  const chunk = 32;
  for (let s = 0; s < blocks; s += chunk) {
    const n = Math.min(chunk, blocks - s);
    const next = b.subarray(s * BS, (s + n) * BS);
    const same = a.subarray(s * BS, (s + n) * BS);
    if (same.equals(next)) {
      ops.push({ type: OP.SOURCE_COPY, src: [{ start: s, blocks: n }], dst: [{ start: s, blocks: n }] });
      continue;
    }
    // The source: this chunk's old blocks and, before them, the chunk before (two extents).
    const src =
      s >= chunk
        ? [
            { start: s - chunk, blocks: chunk },
            { start: s, blocks: n },
          ]
        : [{ start: s, blocks: n }];
    const old = Buffer.concat(src.map((e) => a.subarray(e.start * BS, (e.start + e.blocks) * BS)));
    ops.push({ type: ZUCCHINI, src, dst: [{ start: s, blocks: n }], blob: debianBrotli(makeZucchiniPatch(old, next).patch) });
  }
  assert.ok(ops.filter((o) => o.type === ZUCCHINI).length >= 2);
  const built = build(t, { old: a, new: b, ops });
  const r = await inspect(built.payload, { base: built.base });
  assert.equal(r.summary.errors, 0, describeFindings(r.findings));
  hashOk(r, 'system', b);
});

test('PUFFDIFF with a puffin patch of type ZUCCHINI: gzip streams re-deflated byte for byte', async (t) => {
  if (!requireTools(t, 'mke2fs', 'gzip', 'bsdiff')) return;
  const doc = (v: number) => Buffer.from(Array.from({ length: 3000 }, (_, i) => `line ${i}: version ${i % 29 === 0 ? v : 1}\n`).join(''));
  const gz = (d: Buffer) => runTool('gzip', ['-9', '-n', '-c'], { input: d }).stdout;
  const pad = (d: Buffer) => Buffer.concat([d, Buffer.alloc(BS - (d.length % BS))]);
  const make = (v: number) => pad(Buffer.concat([pseudoRandom(5000, 3), gz(doc(v)), pseudoRandom(3000, 4), gz(doc(v + 5))]));
  const [a, b] = [make(1), make(2)];
  assert.equal(a.length, b.length);
  const { patch } = makePuffZucchiniPatch(a, b);
  const built = build(t, { old: a, new: b, ops: [{ type: OP.PUFFDIFF, src: whole(a), dst: whole(b), blob: patch }] });
  const r = await inspect(built.payload, { base: built.base });
  assert.equal(r.summary.errors, 0, describeFindings(r.findings));
  hashOk(r, 'system', b);
});

test('ZUCCHINI patches that do not apply: a finding naming the operation and why; the other partition still applies', async (t) => {
  if (!requireTools(t, 'mke2fs', 'brotli', 'bsdiff')) return;
  const [a, b] = images().system;
  const { input, patch } = makeZucchiniPatch(a, b, { elements: 2 });
  const lies: [string, Buffer, RegExp][] = [
    [
      'an executable element',
      debianBrotli(writeZucchiniPatch({ ...input, elements: input.elements.map((e, i) => (i === 1 ? { ...e, exeType: 'EA64' } : e)) })),
      /Zucchini element of type ELF ARM64 \(EA64\) is not applied/,
    ],
    ['another old image', debianBrotli(writeZucchiniPatch({ ...input, oldCrc: 0x12345678 })), /the source is not the old image the Zucchini patch was made for: its CRC-32 is 0x[0-9a-f]{8}, the patch says 0x12345678/],
    ['a wrong new CRC-32', debianBrotli(writeZucchiniPatch({ ...input, newCrc: 7 })), /the patched image's CRC-32 is 0x[0-9a-f]{8}, the Zucchini patch says 0x00000007/],
    ['more bytes than the extents hold', debianBrotli(writeZucchiniPatch({ ...input, newSize: b.length + BS })), /makes \d+ bytes, but its target holds \d+/],
    ['broken brotli', debianBrotli(patch).subarray(0, 200), /not a brotli stream/],
    ['an uncompressed patch', patch, /not a brotli stream|no "Zucc" magic/],
  ];
  for (const [name, blob, why] of lies) {
    const built = build(t, { old: a, new: b, ops: [{ type: ZUCCHINI, src: whole(a), dst: whole(b), blob }] });
    const r = await inspect(built.payload, { base: built.base });
    const sys = artifactAt(r.root, 'system.img');
    const facts = sys.facts.map((f) => `${f.kind}: ${f.message}`).join('\n');
    assert.match(facts, /unreadable: operation 0 \(ZUCCHINI\) of system(\.img)?: /, `${name}: ${facts}`);
    assert.match(facts, why, `${name}: ${facts}`);
    assert.equal(sys.facts.filter((f) => f.kind === 'payload-partition-hash-ok').length, 0, name);
    hashOk(r, 'vendor', images().vendor[1]);
  }
});

test('the small ZUCCHINI seed payload (no tools) applies against its base', async (t) => {
  const d = smallZucchiniDelta();
  const dir = tempDir(t);
  mkdirSync(join(dir, 'base'));
  writeFileSync(join(dir, 'base', 'system.img'), d.old);
  writeFileSync(join(dir, 'payload.bin'), d.payload);
  const r = await inspect(join(dir, 'payload.bin'), { base: join(dir, 'base') });
  assert.equal(r.summary.errors, 0, describeFindings(r.findings));
  hashOk(r, 'system', d.new);
});
