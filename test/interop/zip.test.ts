/**
 * Interop: archives written by Info-ZIP `zip` are read by romscope exactly as
 * Info-ZIP `unzip` reads them (names, sizes, methods, CRCs) and their members
 * hash to the original files.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect, extract } from '../../src/index';
import type { Report } from '../../src/report/model';
import { tempDir, runTool, requireTools, runCli, toolEnv } from '../helpers';
import { compressible, pseudoRandom } from '../../fixtures/builders/data';
import { buildZip } from '../../fixtures/builders/zip';
import { artifactAt, describe, errors, sha256 } from './util';

/** The files every archive here is made of; directories 'sub/', 'sub/deeper/' and 'empty/' too. */
function makeTree(base: string): { dir: string; files: Map<string, Buffer> } {
  const dir = join(base, 'src');
  const files = new Map<string, Buffer>([
    ['a.txt', compressible(300_000, 1)],
    ['b.bin', pseudoRandom(400_000, 2)],
    ['zero.bin', Buffer.alloc(0)],
    ['sub/c.dat', compressible(150_000, 3)],
    ['sub/deeper/d.bin', pseudoRandom(50_000, 4)],
  ]);
  mkdirSync(join(dir, 'empty'), { recursive: true });
  mkdirSync(join(dir, 'sub', 'deeper'), { recursive: true });
  for (const [n, b] of files) writeFileSync(join(dir, n), b);
  return { dir, files };
}
const TREE_ARGS = ['a.txt', 'b.bin', 'zero.bin', 'sub', 'empty'];

interface UnzipRow {
  length: number;
  method: string;
  size: number;
  crc: string;
  name: string;
}

/** Parses `unzip -v` (Length Method Size Cmpr Date Time CRC-32 Name). */
function unzipV(zip: string): UnzipRow[] {
  const out = runTool('unzip', ['-v', zip]).stdout.toString('utf8');
  const rows: UnzipRow[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+)\s+(Stored|Defl:[NXFS]|\S+)\s+(\d+)\s+-?\d+%\s+\S+\s+\S+\s+([0-9a-f]{8})\s+(.*)$/.exec(line);
    if (m) rows.push({ length: Number(m[1]), method: m[2], size: Number(m[3]), crc: m[4], name: m[5] });
  }
  return rows;
}

function unzipZ1(zip: string): string[] {
  return runTool('unzip', ['-Z1', zip])
    .stdout.toString('utf8')
    .split('\n')
    .filter((l) => l !== '');
}

/**
 * inspect() agrees with unzip on every member and with the original bytes.
 * Returns the report for further checks.
 */
async function assertMatchesUnzip(zip: string, originals: Map<string, Buffer>): Promise<Report> {
  const r = await inspect(zip);
  assert.deepEqual(errors(r), [], describe(r.findings));
  assert.equal(r.root.format, 'zip');

  const rows = unzipV(zip);
  const names = unzipZ1(zip);
  assert.deepEqual(
    rows.map((x) => x.name),
    names,
    'unzip -v and unzip -Z1 disagree (test parser bug)',
  );
  const fileRows = rows.filter((x) => !x.name.endsWith('/'));
  const dirRows = rows.filter((x) => x.name.endsWith('/'));

  // Same member names as unzip and as the originals, same order as the directory.
  assert.deepEqual(
    r.root.children.map((c) => c.name),
    fileRows.map((x) => x.name),
  );
  assert.deepEqual([...r.root.children.map((c) => c.name)].sort(), [...originals.keys()].sort());
  assert.equal(r.root.info.files, fileRows.length);
  assert.equal(r.root.info.directories, dirRows.length);
  assert.equal(r.root.info.entries, rows.length);

  for (const row of fileRows) {
    const c = artifactAt(r.root, row.name);
    const orig = originals.get(row.name)!;
    assert.equal(c.size, row.length, `${row.name}: size vs unzip`);
    assert.equal(c.size, orig.length, `${row.name}: size vs original`);
    assert.equal(c.hashes.sha256, sha256(orig), `${row.name}: sha256`);
    assert.equal(c.hashes.crc32, row.crc, `${row.name}: crc32 vs unzip`);
    assert.equal(c.info.compression, row.method === 'Stored' ? 'stored' : 'deflate', `${row.name}: method ${row.method}`);
    assert.equal(c.info.compressedSize, row.size, `${row.name}: compressed size vs unzip`);
  }
  // Every non-empty member had its CRC checked and passed.
  assert.equal(r.summary.integrity.status, 'verified');
  assert.equal(r.summary.integrity.failed, 0);
  assert.ok(r.summary.integrity.checks >= fileRows.length, `checks ${r.summary.integrity.checks} < members ${fileRows.length}`);
  return r;
}

/** extract() writes exactly the member's bytes (and unzip -p agrees). */
async function assertExtracts(t: TestContext, zip: string, member: string, want: Buffer): Promise<void> {
  const out = join(tempDir(t), 'out');
  mkdirSync(out);
  const res = await extract(zip, member, out);
  const base = member.split('/').pop()!;
  assert.equal(res.output, join(realpathSync(out), base));
  assert.equal(res.bytes, want.length);
  assert.equal(res.hashes.sha256, sha256(want));
  assert.ok(readFileSync(res.output).equals(want), `${member}: extracted bytes differ`);
  assert.deepEqual(readdirSync(out), [base], 'extract left other files behind');
}

/** Local headers of a zip written without data descriptors: name -> [data start, compressed size]. */
function localEntries(buf: Buffer): Map<string, { start: number; size: number; method: number }> {
  const out = new Map<string, { start: number; size: number; method: number }>();
  let p = 0;
  while (p + 30 <= buf.length && buf.readUInt32LE(p) === 0x04034b50) {
    assert.equal(buf.readUInt16LE(p + 6) & 8, 0, 'test helper expects no data descriptors');
    const size = buf.readUInt32LE(p + 18);
    const nlen = buf.readUInt16LE(p + 26);
    const xlen = buf.readUInt16LE(p + 28);
    const name = buf.toString('utf8', p + 30, p + 30 + nlen);
    const start = p + 30 + nlen + xlen;
    out.set(name, { start, size, method: buf.readUInt16LE(p + 8) });
    p = start + size;
  }
  return out;
}

test('zip -0 (stored): members, sizes, CRCs and sha256 match unzip and the originals', async (t) => {
  if (!requireTools(t, 'zip', 'unzip')) return;
  const base = tempDir(t);
  const { dir, files } = makeTree(base);
  const zip = join(base, 'stored.zip');
  runTool('zip', ['-q', '-0', '-r', zip, ...TREE_ARGS], { cwd: dir });
  assert.ok(
    unzipV(zip).every((x) => x.method === 'Stored'),
    'premise: zip -0 stores every member',
  );
  const r = await assertMatchesUnzip(zip, files);
  assert.equal(r.root.info.directories, 3, 'sub/, sub/deeper/ and empty/');
  assert.equal(r.root.children.length, 5, 'directories are not artifacts');
  await assertExtracts(t, zip, 'sub/deeper/d.bin', files.get('sub/deeper/d.bin')!);
});

test('zip -9 (deflated): members, sizes, CRCs and sha256 match unzip and the originals', async (t) => {
  if (!requireTools(t, 'zip', 'unzip')) return;
  const base = tempDir(t);
  const { dir, files } = makeTree(base);
  const zip = join(base, 'deflated.zip');
  runTool('zip', ['-q', '-9', '-r', zip, ...TREE_ARGS], { cwd: dir });
  assert.ok(
    unzipV(zip)
      .find((x) => x.name === 'a.txt')!
      .method.startsWith('Defl'),
    'premise: a.txt is deflated',
  );
  const r = await assertMatchesUnzip(zip, files);
  assert.equal(artifactAt(r.root, 'sub/c.dat').info.compression, 'deflate');
  await assertExtracts(t, zip, 'a.txt', files.get('a.txt')!);
  await assertExtracts(t, zip, 'sub/c.dat', files.get('sub/c.dat')!);
});

test('zip from stdin into a file: member "-" reads back identically', async (t) => {
  if (!requireTools(t, 'zip', 'unzip')) return;
  const base = tempDir(t);
  const data = Buffer.concat([compressible(600_000, 5), pseudoRandom(200_000, 6)]);
  const zip = join(base, 'stdin.zip');
  runTool('zip', ['-q', zip, '-'], { cwd: base, input: data });
  const r = await assertMatchesUnzip(zip, new Map([['-', data]]));
  assert.equal(r.root.children[0].name, '-');
  await assertExtracts(t, zip, '-', data);
});

test('zip streamed stdin to stdout (data descriptors) reads back identically', async (t) => {
  if (!requireTools(t, 'zip', 'unzip')) return;
  const base = tempDir(t);
  const data = Buffer.concat([compressible(700_000, 7), pseudoRandom(300_000, 8)]);
  // Output to a pipe: zip cannot seek back, so it writes data descriptors.
  const bytes = runTool('zip', ['-q', '-', '-'], { cwd: base, input: data }).stdout;
  const zip = join(base, 'streamed.zip');
  writeFileSync(zip, bytes);
  assert.equal(bytes.readUInt32LE(0), 0x04034b50);
  assert.equal(bytes.readUInt16LE(6) & 0x08, 0x08, 'premise: general purpose flag bit 3 (data descriptor) is set');
  const r = await assertMatchesUnzip(zip, new Map([['-', data]]));
  assert.equal(r.root.children.length, 1);
  await assertExtracts(t, zip, '-', data);
});

test('zip -fz (forced zip64) reads back identically', async (t) => {
  if (!requireTools(t, 'zip', 'unzip')) return;
  const help = runTool('zip', ['-h2']).stdout.toString('utf8');
  if (!/-fz\b/.test(help)) {
    t.skip('installed zip has no -fz (zip64) option');
    return;
  }
  const base = tempDir(t);
  const { dir, files } = makeTree(base);
  const zip = join(base, 'zip64.zip');
  runTool('zip', ['-q', '-fz', '-r', zip, ...TREE_ARGS], { cwd: dir });
  const raw = readFileSync(zip);
  assert.ok(raw.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06])), 'premise: zip64 end of central directory record present');
  const r = await assertMatchesUnzip(zip, files);
  assert.equal(r.root.info.zip64, true, 'zip64 extra fields should be reported');
  await assertExtracts(t, zip, 'b.bin', files.get('b.bin')!);
});

for (const outer of ['stored', 'deflated'] as const) {
  test(`zip inside a zip (outer ${outer}): the inner zip is opened and its members hash right`, async (t) => {
    if (!requireTools(t, 'zip', 'unzip')) return;
    const base = tempDir(t);
    const { dir, files } = makeTree(base);
    const inner = join(dir, 'inner.zip');
    runTool('zip', ['-q', '-0', '-r', inner, ...TREE_ARGS], { cwd: dir });
    const innerBytes = readFileSync(inner);
    const zip = join(base, `outer-${outer}.zip`);
    runTool('zip', ['-q', outer === 'stored' ? '-0' : '-9', zip, 'inner.zip', 'a.txt'], { cwd: dir });
    const method = unzipV(zip).find((x) => x.name === 'inner.zip')!.method;
    assert.ok(outer === 'stored' ? method === 'Stored' : method.startsWith('Defl'), `premise: inner.zip is ${outer} (unzip says ${method})`);

    const r = await assertMatchesUnzip(
      zip,
      new Map([
        ['inner.zip', innerBytes],
        ['a.txt', files.get('a.txt')!],
      ]),
    );
    const innerArt = artifactAt(r.root, 'inner.zip');
    assert.equal(innerArt.format, 'zip');
    assert.equal(innerArt.info.directories, 3);
    const innerRows = unzipV(inner).filter((x) => !x.name.endsWith('/'));
    assert.deepEqual(
      innerArt.children.map((c) => c.name),
      innerRows.map((x) => x.name),
    );
    for (const [name, data] of files) {
      const c = artifactAt(r.root, `inner.zip/${name}`);
      assert.equal(c.size, data.length, name);
      assert.equal(c.hashes.sha256, sha256(data), name);
    }
    await assertExtracts(t, zip, 'inner.zip/sub/c.dat', files.get('sub/c.dat')!);
    await assertExtracts(t, zip, 'inner.zip', innerBytes);
  });
}

test('one flipped byte in a stored member: integrity/zip-crc on that member only', async (t) => {
  if (!requireTools(t, 'zip', 'unzip')) return;
  const base = tempDir(t);
  const { dir, files } = makeTree(base);
  const zip = join(base, 'stored.zip');
  runTool('zip', ['-q', '-0', '-r', zip, ...TREE_ARGS], { cwd: dir });
  const buf = readFileSync(zip);
  const e = localEntries(buf).get('sub/c.dat')!;
  assert.equal(e.method, 0);
  buf[e.start + Math.floor(e.size / 2)] ^= 0x01;
  writeFileSync(zip, buf);
  // Reference: unzip -t sees the bad CRC too.
  assert.notEqual(spawnSync('unzip', ['-tq', zip], { env: toolEnv() }).status, 0, 'premise: unzip -t reports the damage');

  const r = await inspect(zip);
  const crc = r.findings.filter((f) => f.ruleId === 'integrity/zip-crc');
  assert.equal(crc.length, 1, describe(r.findings));
  assert.equal(crc[0].path, 'sub/c.dat');
  assert.equal(crc[0].severity, 'error');
  assert.deepEqual(
    errors(r).map((f) => f.path),
    ['sub/c.dat'],
    describe(r.findings),
  );
  assert.equal(r.summary.integrity.status, 'failed');
  assert.equal(r.summary.integrity.failed, 1);
  // The rest of the archive is still inspected and correct.
  for (const name of ['a.txt', 'b.bin', 'sub/deeper/d.bin']) assert.equal(artifactAt(r.root, name).hashes.sha256, sha256(files.get(name)!), name);
  // extract refuses to hand out bytes that fail their CRC, and leaves nothing.
  const out = join(tempDir(t), 'out');
  mkdirSync(out);
  await assert.rejects(extract(zip, 'sub/c.dat', out), (err: Error) => err.name === 'ExtractVerifyError');
  assert.deepEqual(readdirSync(out), []);
});

test('corrupt deflate data in one member: a finding on it, other members still inspected', async (t) => {
  if (!requireTools(t, 'zip', 'unzip')) return;
  const base = tempDir(t);
  const { dir, files } = makeTree(base);
  const zip = join(base, 'deflated.zip');
  runTool('zip', ['-q', '-9', '-r', zip, ...TREE_ARGS], { cwd: dir });
  const buf = readFileSync(zip);
  const e = localEntries(buf).get('a.txt')!;
  assert.equal(e.method, 8, 'premise: a.txt is deflated');
  buf.fill(0xff, e.start + Math.floor(e.size / 2), e.start + Math.floor(e.size / 2) + 32);
  writeFileSync(zip, buf);

  const r = await inspect(zip);
  const onA = r.findings.filter((f) => f.path === 'a.txt' && f.severity === 'error');
  assert.ok(onA.length >= 1, describe(r.findings));
  assert.ok(
    onA.every((f) => ['format/unreadable', 'integrity/zip-crc', 'integrity/truncated'].includes(f.ruleId)),
    describe(onA),
  );
  assert.notEqual(artifactAt(r.root, 'a.txt').hashes.sha256, sha256(files.get('a.txt')!));
  assert.deepEqual([...new Set(errors(r).map((f) => f.path))], ['a.txt'], describe(r.findings));
  for (const name of ['b.bin', 'zero.bin', 'sub/c.dat', 'sub/deeper/d.bin']) {
    assert.equal(artifactAt(r.root, name).hashes.sha256, sha256(files.get(name)!), name);
  }
});

test('a zip cut in half (truncated download): an error finding, no throw', async (t) => {
  if (!requireTools(t, 'zip')) return;
  const base = tempDir(t);
  const { dir } = makeTree(base);
  const zip = join(base, 'full.zip');
  runTool('zip', ['-q', '-9', '-r', zip, ...TREE_ARGS], { cwd: dir });
  const full = readFileSync(zip);
  const cut = join(base, 'cut.zip');
  writeFileSync(cut, full.subarray(0, Math.floor(full.length / 2)));

  const r = await inspect(cut);
  assert.equal(r.root.format, 'zip');
  const trunc = r.findings.filter((f) => f.ruleId === 'integrity/truncated' && f.path === '');
  assert.equal(trunc.length, 1, describe(r.findings));
  assert.equal(trunc[0].severity, 'error');
  assert.ok(r.summary.errors >= 1);

  const cli = runCli(['check', cut, '--json']);
  assert.equal(cli.code, 1, cli.stderr);
  assert.ok(JSON.parse(cli.stdout).findings.some((f: { ruleId: string }) => f.ruleId === 'integrity/truncated'));
});

test('member names that climb out ("../evil.txt", absolute): format/unsafe-path, extract stays inside outDir', async (t) => {
  const base = tempDir(t);
  const work = join(base, 'work');
  mkdirSync(work);
  const absTarget = join(base, 'pwned-abs.txt');
  const good = compressible(20_000, 9);
  const evil = Buffer.from('evil payload\n');
  const zip = join(work, 'evil.zip');
  // zip(1) strips "../" and leading "/", so the archive is built by hand.
  writeFileSync(
    zip,
    buildZip([
      { name: 'good.txt', data: good, method: 'deflate' },
      { name: '../evil.txt', data: evil },
      { name: 'sub/../../evil2.txt', data: evil, method: 'deflate' },
      { name: absTarget, data: evil },
    ]),
  );

  const r = await inspect(zip);
  const unsafe = r.findings.filter((f) => f.ruleId === 'format/unsafe-path');
  assert.deepEqual(unsafe.map((f) => f.path).sort(), ['../evil.txt', 'sub/../../evil2.txt', absTarget].sort(), describe(r.findings));
  assert.ok(unsafe.every((f) => f.severity === 'error'));
  assert.ok(!r.findings.some((f) => f.path === 'good.txt'), describe(r.findings));
  assert.equal(artifactAt(r.root, 'good.txt').hashes.sha256, sha256(good));
  assert.equal(artifactAt(r.root, '../evil.txt').hashes.sha256, sha256(evil));

  const out = join(work, 'out');
  mkdirSync(out);
  const before = readdirSync(work).sort();
  for (const p of ['../evil.txt', 'sub/../../evil2.txt', absTarget]) {
    try {
      const res = await extract(zip, p, out);
      assert.equal(res.output.startsWith(realpathSync(out) + '/'), true, `${p} written to ${res.output}`);
      assert.ok(readFileSync(res.output).equals(evil));
    } catch (e) {
      // Refusing is fine too, as long as it is a clean romscope error.
      assert.ok((e as Error).name === 'UsageError' || (e as Error).name === 'ExtractVerifyError', String(e));
    }
    const cli = runCli(['extract', zip, p, '-o', out, '--force']);
    assert.ok(cli.code === 0 || cli.code === 2, `${p}: exit ${cli.code} ${cli.stderr}`);
  }
  assert.deepEqual(readdirSync(work).sort(), before, 'extract created files next to outDir');
  assert.equal(existsSync(join(base, 'evil.txt')), false);
  assert.equal(existsSync(join(base, 'evil2.txt')), false);
  assert.equal(existsSync(join(work, 'evil.txt')), false);
  assert.equal(existsSync(absTarget), false);
  assert.ok(
    readdirSync(out).every((n) => ['evil.txt', 'evil2.txt', 'pwned-abs.txt'].includes(n)),
    readdirSync(out).join(','),
  );
  // The "../" member must be extractable by the path the report gives it.
  assert.ok(existsSync(join(out, 'evil.txt')), 'extract of "../evil.txt" should write out/evil.txt');
});

test('every artifact path inspect reports for an unsafe zip resolves with extract (into outDir)', async (t) => {
  // Artifact.path is documented as "romscope extract accepts it"; that must
  // hold for hostile names too, writing the safe base name inside outDir.
  const base = tempDir(t);
  const evil = Buffer.from('evil payload\n');
  const names = ['../evil.txt', '/abs/dir/abs.txt', '//double.txt'];
  const zip = join(base, 'evil.zip');
  writeFileSync(zip, buildZip(names.map((name) => ({ name, data: evil }))));
  const r = await inspect(zip);
  assert.deepEqual(
    r.root.children.map((c) => c.path),
    names,
  );
  for (const c of r.root.children) {
    const out = join(tempDir(t), 'out');
    mkdirSync(out);
    const res = await extract(zip, c.path, out);
    assert.equal(res.output, join(realpathSync(out), c.name.split('/').pop()!), c.path);
    assert.ok(readFileSync(res.output).equals(evil), c.path);
  }
  assert.equal(existsSync('/abs/dir/abs.txt'), false);
});

test('zip of UTF-8 file names (Unix zip, no bit 11): names read as unzip lists them', async (t) => {
  if (!requireTools(t, 'zip', 'unzip')) return;
  const base = tempDir(t);
  const dir = join(base, 'src');
  const files = new Map<string, Buffer>([
    ['прошивка/ядро-ü.img', pseudoRandom(30_000, 17)],
    ['plain.txt', compressible(5_000, 18)],
  ]);
  for (const [n, b] of files) {
    mkdirSync(join(dir, n, '..'), { recursive: true });
    writeFileSync(join(dir, n), b);
  }
  const zip = join(base, 'utf8.zip');
  const env = toolEnv();
  const z = spawnSync('zip', ['-q', '-r', zip, 'прошивка', 'plain.txt'], { cwd: dir, env });
  assert.equal(z.status, 0, z.stderr?.toString());
  const listed = spawnSync('unzip', ['-Z1', zip], { env })
    .stdout.toString('utf8')
    .split('\n')
    .filter((l) => l && !l.endsWith('/'));
  assert.deepEqual(listed.sort(), [...files.keys()].sort(), 'premise: unzip lists the UTF-8 names');
  const raw = readFileSync(zip);
  assert.equal(raw.readUInt16LE(6) & 0x800, 0, 'premise: zip did not set the UTF-8 flag');

  const r = await inspect(zip);
  assert.deepEqual(r.root.children.map((c) => c.name).sort(), [...files.keys()].sort());
  for (const [n, b] of files) assert.equal(artifactAt(r.root, n).hashes.sha256, sha256(b), n);
});

test('zip -z (archive comment): comment reported as unzip -z shows it, members unchanged', async (t) => {
  if (!requireTools(t, 'zip', 'unzip')) return;
  const base = tempDir(t);
  const { dir, files } = makeTree(base);
  const zip = join(base, 'commented.zip');
  const comment = 'ota-package build=UP1A.231005.007 device=a05m';
  runTool('zip', ['-q', '-9', '-r', '-z', zip, ...TREE_ARGS], { cwd: dir, input: Buffer.from(`${comment}\n.\n`) });
  const ref = runTool('unzip', ['-zq', zip]).stdout.toString('latin1').trim();
  assert.equal(ref, comment, 'premise: unzip -z shows the comment');
  const r = await assertMatchesUnzip(zip, files);
  assert.equal(String(r.root.info.comment).trim(), comment);
});
