/**
 * Interop: gzip streams written by Debian's `gzip` decode to exactly what
 * `gzip -dc` gives, including a stream of more than 3 MiB followed by other
 * data (an `Image.gz-dtb` kernel carries its device trees there; `gzip -dc`
 * decodes it and warns "trailing garbage ignored"). The output used to be cut
 * at a multiple of the decoder's buffer while the trailer check still passed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect, extract } from '../../src/index';
import { requireTools, runTool, tempDir, toolEnv, ofFormat } from '../helpers';
import { compressible, pseudoRandom } from '../../fixtures/builders/data';
import { buildFdt } from '../../fixtures/builders/fdt';
import { describe, errors, sha256 } from './util';

/** What `gzip -dc` writes for a file, whatever its exit status (2 = trailing garbage warning). */
function gunzipDc(file: string): { out: Buffer; status: number | null; stderr: string } {
  const r = spawnSync('gzip', ['-dc', file], { env: toolEnv(), maxBuffer: 1 << 30 });
  return { out: r.stdout, status: r.status, stderr: r.stderr.toString() };
}

const KERNEL = Buffer.concat([compressible(2_500_000, 71), pseudoRandom(1_200_003, 72)]);

test('interop: a >3 MiB gzip stream with data appended (Image.gz-dtb) decodes in full, as gzip -dc does', async (t) => {
  if (!requireTools(t, 'gzip')) return;
  const dir = tempDir(t);
  writeFileSync(join(dir, 'Image'), KERNEL);
  runTool('gzip', ['-9', '-n', '-k', 'Image'], { cwd: dir });
  const gz = readFileSync(join(dir, 'Image.gz'));
  const dtbs = Buffer.concat([buildFdt({ name: '', props: { model: 'Board', compatible: ['vendor,board'] } }), pseudoRandom(7000, 73)]);
  const file = join(dir, 'Image.gz-dtb');
  writeFileSync(file, Buffer.concat([gz, dtbs]));
  const ref = gunzipDc(file);
  assert.match(ref.stderr, /trailing garbage/, 'premise: gzip sees the appended data');
  assert.ok(ref.out.equals(KERNEL), 'premise: gzip -dc gives the kernel');
  assert.ok(KERNEL.length > 3 << 20);

  const r = await inspect(file);
  assert.deepEqual(errors(r), [], describe(r.findings));
  assert.equal(r.root.format, 'gzip');
  const child = r.root.children[0];
  assert.equal(child.size, ref.out.length);
  assert.equal(child.hashes.sha256, sha256(ref.out));
  assert.equal(ofFormat(r.root, 'gzip').info.trailingData, true);
  assert.equal(ofFormat(r.root, 'gzip').info.trailingBytes, dtbs.length);
  assert.equal(r.summary.integrity.status, 'verified');
  const out = join(dir, 'out');
  await extract(file, child.path, out);
  assert.ok(readFileSync(out).equals(ref.out), 'extract writes the whole kernel');
});

test('interop: concatenated members, zero padding, names and comments decode as gzip -dc does; a damaged trailer is found', async (t) => {
  if (!requireTools(t, 'gzip')) return;
  const dir = tempDir(t);
  const a = pseudoRandom(1_100_000, 74);
  const b = compressible(2_300_001, 75);
  writeFileSync(join(dir, 'a'), a);
  writeFileSync(join(dir, 'b'), b);
  runTool('gzip', ['-k', 'a', 'b'], { cwd: dir }); // stores the names
  const two = Buffer.concat([readFileSync(join(dir, 'a.gz')), readFileSync(join(dir, 'b.gz')), Buffer.alloc(1000)]);
  const file = join(dir, 'two.bin.gz');
  writeFileSync(file, two);
  const ref = gunzipDc(file);
  assert.ok(ref.out.equals(Buffer.concat([a, b])), 'premise');
  const r = await inspect(file);
  assert.deepEqual(errors(r), [], describe(r.findings));
  assert.equal(r.root.children[0].hashes.sha256, sha256(ref.out));
  assert.equal(ofFormat(r.root, 'gzip').info.members, 2);
  assert.equal(ofFormat(r.root, 'gzip').info.trailingData, undefined, 'zero padding is not data');

  // The second member's CRC-32 damaged: gzip -t fails, and so does the check.
  const bad = Buffer.from(two);
  bad[two.length - 1000 - 8] ^= 0x55;
  const badFile = join(dir, 'bad.gz');
  writeFileSync(badFile, bad);
  assert.notEqual(spawnSync('gzip', ['-t', badFile], { env: toolEnv() }).status, 0, 'premise: gzip -t refuses it');
  const rb = await inspect(badFile);
  assert.match(rb.findings.find((f) => f.ruleId === 'integrity/gzip-checksum')!.message, /member 2: its CRC-32 is [0-9a-f]{8}, the trailer says [0-9a-f]{8}/);
});
