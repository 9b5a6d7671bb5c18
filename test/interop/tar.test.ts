/**
 * Interop: archives written by GNU tar (ustar, gnu, pax) list the same members
 * with the same bytes as `tar -xf` extracts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { inspect, extract } from '../../src/index';
import { tempDir, runTool, requireTools, toolEnv } from '../helpers';
import { compressible, pseudoRandom } from '../../fixtures/builders/data';
import { artifactAt, describe, errors, hashTree, sha256 } from './util';

const DIR60 = 'firmware-images-'.padEnd(60, 'd');
/** 60 + 1 + 99 = 160 bytes: fits ustar only through the prefix field. */
const USTAR_LONG = `${DIR60}/${'system-partition-'.padEnd(95, 'e')}.img`;
/** One 150-byte component: no ustar split possible, needs GNU 'L' or a pax path record. */
const FLAT_LONG = `${'vendor_boot-'.padEnd(146, 'x')}.img`;

function writeFiles(dir: string, files: Map<string, Buffer>): void {
  for (const [n, b] of files) {
    mkdirSync(join(dir, dirname(n)), { recursive: true });
    writeFileSync(join(dir, n), b);
  }
}

function tarList(archive: string): string[] {
  return runTool('tar', ['-tf', archive])
    .stdout.toString('utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.endsWith('/'));
}

/** inspect() lists the same files as `tar -tf`, with the bytes `tar -xf` extracts. */
async function assertMatchesTar(archive: string, files: Map<string, Buffer>, base: string, flavour: string | null): Promise<void> {
  const r = await inspect(archive);
  assert.deepEqual(errors(r), [], describe(r.findings));
  assert.equal(r.root.format, 'tar');

  const listed = tarList(archive);
  assert.deepEqual(
    r.root.children.map((c) => c.name),
    listed,
    'member names and order vs tar -tf',
  );
  assert.deepEqual([...listed].sort(), [...files.keys()].sort(), 'tar -tf vs originals (test premise)');
  assert.equal(r.root.info.files, listed.length);

  const out = join(base, 'tar-x');
  mkdirSync(out);
  runTool('tar', ['-xf', archive, '-C', out]);
  const extracted = hashTree(out);
  assert.equal(extracted.size, files.size);
  for (const [name, ref] of extracted) {
    const c = artifactAt(r.root, name);
    assert.equal(c.size, ref.size, `${name}: size vs tar -xf`);
    assert.equal(c.hashes.sha256, ref.sha256, `${name}: sha256 vs tar -xf`);
    assert.equal(c.hashes.sha256, sha256(files.get(name)!), `${name}: sha256 vs original`);
  }
  // Last, so a wrong label does not hide the checks above.
  if (flavour !== null) assert.equal(r.root.info.flavour, flavour, 'tar flavour (root.info.flavour)');
}

function treeFiles(longName: string): Map<string, Buffer> {
  return new Map<string, Buffer>([
    ['a.txt', compressible(200_000, 11)],
    ['b.bin', pseudoRandom(300_001, 12)],
    ['empty.bin', Buffer.alloc(0)],
    ['sub/c.dat', compressible(70_000, 13)],
    [longName, pseudoRandom(123_457, 14)],
  ]);
}

const CASES = [
  { format: 'ustar', longName: USTAR_LONG, flavour: 'ustar' },
  { format: 'gnu', longName: FLAT_LONG, flavour: 'gnu' },
  { format: 'pax', longName: FLAT_LONG, flavour: 'pax' },
] as const;

for (const c of CASES) {
  test(`tar --format=${c.format} (${Buffer.byteLength(c.longName)}-byte name): same members and sha256 as tar -xf`, async (t) => {
    if (!requireTools(t, 'tar')) return;
    const base = tempDir(t);
    const src = join(base, 'src');
    const files = treeFiles(c.longName);
    writeFiles(src, files);
    const archive = join(base, `${c.format}.tar`);
    runTool('tar', [`--format=${c.format}`, '-cf', archive, 'a.txt', 'b.bin', 'empty.bin', 'sub', c.longName], { cwd: src });
    const raw = readFileSync(archive);
    if (c.format === 'gnu') assert.ok(raw.includes(Buffer.from('././@LongLink')), 'premise: GNU long-name record');
    if (c.format === 'pax') assert.ok(raw.includes(Buffer.from(` path=${c.longName}\n`)), 'premise: pax path record');
    if (c.format === 'ustar') assert.equal(raw.includes(Buffer.from(USTAR_LONG)), false, 'premise: ustar splits the name into prefix + name');

    const out = join(tempDir(t), 'out');
    mkdirSync(out);
    const res = await extract(archive, c.longName, out);
    assert.ok(readFileSync(res.output).equals(files.get(c.longName)!));
    assert.deepEqual(readdirSync(out), [c.longName.split('/').pop()]);

    await assertMatchesTar(archive, files, base, c.flavour);
  });
}

test('tar --format=pax with a UTF-8 name: same name and bytes as tar -xf', async (t) => {
  if (!requireTools(t, 'tar')) return;
  const base = tempDir(t);
  const src = join(base, 'src');
  const files = new Map<string, Buffer>([
    ['prošivka/ядро.img', pseudoRandom(40_000, 15)],
    ['plain.txt', compressible(10_000, 16)],
  ]);
  writeFiles(src, files);
  const archive = join(base, 'utf8.tar');
  runTool('tar', ['--format=pax', '-cf', archive, 'prošivka', 'plain.txt'], { cwd: src });
  // (the flavour is asserted by the --format=pax case above)
  await assertMatchesTar(archive, files, base, null);
});

test('a tar cut in the middle of a member: integrity/truncated, earlier members intact', async (t) => {
  if (!requireTools(t, 'tar')) return;
  const base = tempDir(t);
  const src = join(base, 'src');
  const files = treeFiles(USTAR_LONG);
  writeFiles(src, files);
  const archive = join(base, 'full.tar');
  runTool('tar', ['--format=ustar', '-cf', archive, 'a.txt', 'b.bin', 'sub', USTAR_LONG], { cwd: src });
  const full = readFileSync(archive);
  const b = files.get('b.bin')!;
  const bAt = full.indexOf(b.subarray(0, 64));
  assert.ok(bAt > 0 && full.subarray(bAt, bAt + b.length).equals(b), 'premise: b.bin stored contiguously');
  const cut = join(base, 'cut.tar');
  writeFileSync(cut, full.subarray(0, bAt + Math.floor(b.length / 2)));
  assert.notEqual(spawnSync('tar', ['-tf', cut], { env: toolEnv() }).status, 0, 'premise: tar itself rejects the cut archive');

  const r = await inspect(cut);
  const trunc = r.findings.filter((f) => f.ruleId === 'integrity/truncated');
  assert.ok(trunc.length >= 1, describe(r.findings));
  assert.ok(trunc.every((f) => f.severity === 'error'));
  assert.ok(
    trunc.some((f) => f.path === 'b.bin'),
    `the cut member is named: ${describe(trunc)}`,
  );
  assert.equal(r.summary.integrity.status, 'failed');
  assert.equal(artifactAt(r.root, 'a.txt').hashes.sha256, sha256(files.get('a.txt')!));
  assert.deepEqual(
    r.root.children.map((c) => c.name),
    ['a.txt', 'b.bin'],
    'nothing invented after the cut',
  );
  const bArt = artifactAt(r.root, 'b.bin');
  assert.notEqual(bArt.size, b.length, 'a cut member does not report its declared size as read');
  assert.notEqual(bArt.hashes.sha256, sha256(b));

  // extract refuses the cut member and writes nothing.
  const out = join(tempDir(t), 'out');
  mkdirSync(out);
  await assert.rejects(extract(cut, 'b.bin', out), (e: Error) => e.name === 'ExtractVerifyError', 'extracting a cut member must fail verification');
  assert.deepEqual(readdirSync(out), []);
});

test('a tar cut in the middle of a member: the intact member before the cut still extracts', async (t) => {
  if (!requireTools(t, 'tar')) return;
  const base = tempDir(t);
  const src = join(base, 'src');
  const files = treeFiles(USTAR_LONG);
  writeFiles(src, files);
  const archive = join(base, 'full.tar');
  runTool('tar', ['--format=ustar', '-cf', archive, 'a.txt', 'b.bin'], { cwd: src });
  const full = readFileSync(archive);
  const b = files.get('b.bin')!;
  const bAt = full.indexOf(b.subarray(0, 64));
  const cut = join(base, 'cut.tar');
  writeFileSync(cut, full.subarray(0, bAt + Math.floor(b.length / 2)));
  // Reference: GNU tar extracts a.txt intact before complaining about b.bin.
  const ref = join(base, 'tar-x');
  mkdirSync(ref);
  spawnSync('tar', ['-xf', cut, '-C', ref], { env: toolEnv() });
  assert.ok(readFileSync(join(ref, 'a.txt')).equals(files.get('a.txt')!), 'premise: tar -xf recovers a.txt');

  // inspect reports no problem on a.txt itself...
  const r = await inspect(cut);
  assert.ok(!r.findings.some((f) => f.path === 'a.txt'), describe(r.findings));
  // ...so extracting it must not fail because of damage elsewhere in the archive.
  const out = join(tempDir(t), 'out');
  mkdirSync(out);
  const ok = await extract(cut, 'a.txt', out);
  assert.ok(readFileSync(ok.output).equals(files.get('a.txt')!));
  assert.deepEqual(readdirSync(out), ['a.txt']);
});

test('a tar cut at a member boundary (no end-of-archive blocks): integrity/truncated on the archive', async (t) => {
  if (!requireTools(t, 'tar')) return;
  const base = tempDir(t);
  const src = join(base, 'src');
  const files = treeFiles(USTAR_LONG);
  writeFiles(src, files);
  const archive = join(base, 'full.tar');
  runTool('tar', ['--format=ustar', '-cf', archive, 'a.txt', 'b.bin'], { cwd: src });
  const full = readFileSync(archive);
  const b = files.get('b.bin')!;
  const bAt = full.indexOf(b.subarray(0, 64));
  const end = bAt + Math.ceil(b.length / 512) * 512;
  const cut = join(base, 'cut.tar');
  writeFileSync(cut, full.subarray(0, end));

  const r = await inspect(cut);
  const trunc = r.findings.filter((f) => f.ruleId === 'integrity/truncated');
  assert.deepEqual(
    trunc.map((f) => f.path),
    [''],
    describe(r.findings),
  );
  assert.equal(artifactAt(r.root, 'b.bin').hashes.sha256, sha256(b));
  assert.equal(artifactAt(r.root, 'a.txt').hashes.sha256, sha256(files.get('a.txt')!));
});
