/**
 * Interop: an LZ4 frame of independent blocks inside a random-access input
 * (a Samsung AP tar's `system.img.lz4`, made by mkfs.ext4, img2simg, lz4, tar
 * and md5sum) is read at random where its child reads it, not decompressed
 * whole into a temporary file: the process writes almost nothing, and the
 * decoded image, its expanded ext4 image and the files in it are what the
 * reference tools give. Damage is still found by the frame's checks, and a
 * frame whose blocks are not laid out as the random view needs is decoded as
 * a stream instead.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/index';
import type { Artifact, Report } from '../../src/report/model';
import { BIN, frameBlocks, requireTools, runTool, tempDir } from '../helpers';
import { compressible, pseudoRandom } from '../../fixtures/builders/data';
import { describe, errors, sha256 } from './util';

const MiB = 1 << 20;

function find(a: Artifact, pred: (x: Artifact) => boolean): Artifact | undefined {
  if (pred(a)) return a;
  for (const c of a.children) {
    const f = find(c, pred);
    if (f) return f;
  }
  return undefined;
}

/** AP.tar.md5 holding system.img.lz4: a sparse ext4 image with a build.prop and 80 MiB of other data, more than is spilled in memory. */
function buildAp(t: TestContext, lz4Opts: string[]): { dir: string; file: string; sparse: Buffer; raw: Buffer } {
  const dir = tempDir(t);
  const root = join(dir, 'root');
  mkdirSync(root);
  writeFileSync(join(root, 'build.prop'), 'ro.product.device=lz4dev\nro.build.id=RANDOM1\n');
  writeFileSync(join(root, 'big.bin'), pseudoRandom(80 * MiB, 5));
  writeFileSync(join(root, 'text.txt'), compressible(3 * MiB, 6));
  runTool('mkfs.ext4', ['-q', '-F', '-b', '4096', '-d', root, join(dir, 'system.raw'), '128M']);
  runTool('img2simg', [join(dir, 'system.raw'), join(dir, 'system.img')]);
  runTool('lz4', ['-q', '-f', ...lz4Opts, 'system.img', 'system.img.lz4'], { cwd: dir });
  runTool('sh', ['-c', 'tar -H ustar -cf AP.tar system.img.lz4 && md5sum -t AP.tar >> AP.tar && mv AP.tar AP.tar.md5'], { cwd: dir });
  const sparse = readFileSync(join(dir, 'system.img'));
  assert.ok(runTool('lz4', ['-dc', join(dir, 'system.img.lz4')]).stdout.equals(sparse), 'premise: lz4 -dc gives the sparse image back');
  runTool('simg2img', [join(dir, 'system.img'), join(dir, 'expanded.raw')]);
  return { dir, file: join(dir, 'AP.tar.md5'), sparse, raw: readFileSync(join(dir, 'expanded.raw')) };
}

/** `romscope inspect --json` in a child process, with the bytes it wrote (wchar of /proc/self/io at exit; stdout included). */
function inspectCounting(dir: string, file: string): { report: Report; wchar: number } {
  const probe = join(dir, 'probe.js');
  writeFileSync(probe, "process.on('exit', () => require('fs').writeSync(2, '\\nPROBE ' + /wchar: (\\d+)/.exec(require('fs').readFileSync('/proc/self/io', 'utf8'))[1] + '\\n'));\n");
  const r = spawnSync(process.execPath, ['-r', probe, BIN, 'inspect', '--json', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const wchar = Number(/PROBE (\d+)/.exec(r.stderr)?.[1]);
  assert.ok(Number.isFinite(wchar), r.stderr);
  return { report: JSON.parse(r.stdout) as Report, wchar };
}

for (const opts of [
  ['-B6', '--content-size'],
  ['-B4', '-BX'],
]) {
  test(`AP tar with system.img.lz4 (lz4 ${opts.join(' ')}): read at random, nothing spilled; the images and their files match the reference tools`, async (t) => {
    if (!requireTools(t, 'mkfs.ext4', 'img2simg', 'simg2img', 'lz4', 'tar', 'md5sum')) return;
    const { dir, file, sparse, raw } = buildAp(t, opts);
    const { report: cli, wchar } = inspectCounting(dir, file);
    assert.deepEqual(errors(cli), [], describe(cli.findings));
    // Decoded whole into a temporary file, the 80+ MiB sparse image would be written once.
    assert.ok(wchar < 8 * MiB, `wrote ${wchar} bytes`);
    const report = await inspect(file);
    assert.ok(report.root.facts.some((f) => f.kind === 'tar-md5-ok'));
    const lz4 = find(report.root, (a) => a.name === 'system.img.lz4')!;
    assert.equal(lz4.format, 'lz4');
    assert.equal(lz4.info.decodedSize, sparse.length);
    if (opts.includes('--content-size'))
      assert.ok(
        lz4.facts.some((f) => f.kind === 'lz4-checksum-ok'),
        'content checksum checked',
      );
    const img = lz4.children[0];
    assert.equal(img.format, 'android-sparse');
    assert.equal(img.size, sparse.length);
    assert.equal(img.hashes.sha256, sha256(sparse));
    const ext4 = find(img, (a) => a.format === 'ext4')!;
    assert.ok(ext4, 'the expanded image is decoded as ext4');
    assert.equal(ext4.size, raw.length);
    assert.equal(ext4.hashes.sha256, sha256(raw));
    const prop = find(ext4, (a) => a.name === 'build.prop')!;
    assert.equal(prop.format, 'build-prop');
    assert.match(JSON.stringify(prop.info), /lz4dev/);
  });
}

test('AP tar with system.img.lz4 read at random: a flipped byte in a middle block fails that block checksum and the md5 line', async (t) => {
  if (!requireTools(t, 'mkfs.ext4', 'img2simg', 'simg2img', 'lz4', 'tar', 'md5sum')) return;
  const { file } = buildAp(t, ['-B4', '-BX']);
  const bad = readFileSync(file);
  // The tar's first member starts after its 512-byte header; a byte well inside the frame.
  const at = 512 + (40 << 20) + 12345;
  bad[at] ^= 0x10;
  writeFileSync(file, bad);
  const r = await inspect(file);
  const ids = r.findings.map((f) => f.ruleId);
  assert.ok(ids.includes('integrity/tar-md5'), describe(r.findings));
  assert.ok(
    r.findings.some((f) => /LZ4 block at offset \d+: checksum [0-9a-f]+, computed [0-9a-f]+/.test(f.message)),
    describe(r.findings),
  );
});

/** The blocks of a one-frame .lz4 written by the lz4 tool (no block checksums), each with its 4-byte header. */
function blocksOf(frame: Buffer): Buffer[] {
  return frameBlocks(frame).map(([compressed, data]) => {
    const h = Buffer.alloc(4);
    h.writeUInt32LE((compressed ? 0 : 0x80000000) + data.length);
    return Buffer.concat([h, data]);
  });
}

test('an LZ4 frame whose first block is not full is decoded as a stream: same bytes as lz4 -dc, no finding', async (t) => {
  if (!requireTools(t, 'lz4')) return;
  const dir = tempDir(t);
  const a = compressible(30_000, 7);
  const b = Buffer.concat([compressible(70_000, 8), pseudoRandom(30_000, 9)]);
  writeFileSync(join(dir, 'a'), a);
  writeFileSync(join(dir, 'b'), b);
  for (const n of ['a', 'b']) runTool('lz4', ['-q', '-f', '-B4', '--no-frame-crc', n, `${n}.lz4`], { cwd: dir });
  // One frame: a's only block (30,000 bytes decoded, under the 64 KiB maximum), then b's blocks.
  const head = readFileSync(join(dir, 'b.lz4')).subarray(0, 7);
  const frame = Buffer.concat([head, ...blocksOf(readFileSync(join(dir, 'a.lz4'))), ...blocksOf(readFileSync(join(dir, 'b.lz4'))), Buffer.alloc(4)]);
  const file = join(dir, 'joined.bin.lz4');
  writeFileSync(file, frame);
  const want = Buffer.concat([a, b]);
  assert.ok(runTool('lz4', ['-dc', file]).stdout.equals(want), 'premise: lz4 -dc reads the joined frame');
  const r = await inspect(file);
  assert.deepEqual(r.findings, [], describe(r.findings));
  const child = r.root.children[0];
  assert.equal(child.size, want.length);
  assert.equal(child.hashes.sha256, sha256(want));
  assert.equal(r.root.hashes.sha256, sha256(frame));
});
