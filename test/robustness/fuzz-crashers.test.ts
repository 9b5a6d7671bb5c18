/**
 * The reproducers of the fuzz campaign (../shared/fuzz-crashers, issue 13),
 * and equivalents built here so the classes are covered without that folder.
 * Each runs the built CLI in a child process under a limit: a wall-clock
 * timeout on the spawn, a V8 heap cap, and the CPU time and peak RSS the
 * child reports about itself (process.resourceUsage() read by a small
 * wrapper at exit). Each must give a normal report (exit 0 or 1) in under
 * 10 s of CPU and 400 MiB, with no internal error text in any finding and no
 * control byte from the input in the table output.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT, tempDir } from '../helpers';
import { runCliMeasured, type MeasuredRun } from '../measured-cli';
import { buildZip } from '../../fixtures/builders/zip';
import { buildTar } from '../../fixtures/builders/tar';
import { buildGptDisk, LINUX_FS } from '../../fixtures/builders/gpt';
import { encodeManifest, payloadHeader, OP } from '../../fixtures/builders/payload';

const CRASHERS = resolve(ROOT, '..', 'shared', 'fuzz-crashers');
const CPU_LIMIT_MS = 10_000;
const RSS_LIMIT = 400 * 1024 * 1024;
/** A hang is caught here; the CPU limit is the real bound (a loaded machine stretches wall time). */
const WALL_LIMIT_MS = 60_000;

/** Runs the CLI in a child that reports its own CPU time and peak RSS. */
function runLimited(args: string[]): Promise<MeasuredRun> {
  return runCliMeasured(args, { heapMiB: 384, timeoutMs: WALL_LIMIT_MS });
}

/** `check` in JSON and as a table; both within the bounds, the JSON without internal errors, the table without control bytes. */
async function assertBounded(file: string, label: string): Promise<void> {
  const json = await runLimited(['check', file, '--json']);
  const where = `${label}: exit ${json.code}, ${Math.round(json.cpuMs)} ms CPU, ${Math.round(json.maxRss / 2 ** 20)} MiB, ${json.wallMs} ms wall; ${json.stderr.slice(0, 300)}`;
  assert.ok(json.code === 0 || json.code === 1, where);
  assert.ok(json.cpuMs < CPU_LIMIT_MS, where);
  assert.ok(json.maxRss < RSS_LIMIT, where);
  const report = JSON.parse(json.stdout) as { findings: { message: string }[]; root: unknown };
  for (const f of report.findings) assert.doesNotMatch(f.message, /internal error|\n\s+at /, `${label}: ${f.message}`);
  const table = await runLimited(['check', file]);
  const twhere = `${label} (table): exit ${table.code}, ${Math.round(table.cpuMs)} ms CPU, ${Math.round(table.maxRss / 2 ** 20)} MiB`;
  assert.ok(table.code === 0 || table.code === 1, twhere);
  assert.ok(table.cpuMs < CPU_LIMIT_MS, twhere);
  assert.ok(table.maxRss < RSS_LIMIT, twhere);

  const control = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.exec(table.stdout);
  assert.equal(control, null, `${label}: control byte 0x${control?.[0].charCodeAt(0).toString(16)} in the table output`);
}

function crasherFiles(t: TestContext): string[] | null {
  if (!existsSync(CRASHERS)) {
    t.skip(`fuzz reproducers not present (${CRASHERS})`);
    return null;
  }
  const files: string[] = [];
  for (const d of readdirSync(CRASHERS, { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    for (const f of readdirSync(join(CRASHERS, d.name))) files.push(join(d.name, f));
  }
  return files.sort();
}

test('every reproducer in ../shared/fuzz-crashers gives a normal report within 10 s of CPU and 400 MiB', { timeout: 1_800_000 }, async (t) => {
  const files = crasherFiles(t);
  if (!files) return;
  for (const f of files) await assertBounded(join(CRASHERS, f), f);
});

test('a path listed inside a cut LZ4 stream fails extract with exit 1 and says why', async (t) => {
  const file = join(CRASHERS, 'lz4-truncated-extract', 'boot.img.lz4');
  if (!existsSync(file)) return t.skip(`fuzz reproducer not present (${file})`);
  const out = tempDir(t);
  for (const path of ['boot.img', 'boot.img/kernel']) {
    const r = await runLimited(['extract', file, path, '-o', out]);
    assert.equal(r.code, 1, `${path}: ${r.stderr}`);
    assert.match(r.stderr, /^romscope: .*LZ4.*nothing written\n$/, path);
    assert.doesNotMatch(r.stderr, /internal error/);
  }
});

// Equivalents built here, so the classes stay covered without the shared folder.

test('built: 20,000 zip members and 20,000 tar members of one name', { timeout: 600_000 }, async (t) => {
  const dir = tempDir(t);
  const zip = join(dir, 'dup.zip');
  writeFileSync(zip, buildZip(Array.from({ length: 20_000 }, () => ({ name: 'a', data: Buffer.from('x') }))));
  await assertBounded(zip, 'dup.zip');
  const tar = join(dir, 'dup.tar');
  writeFileSync(tar, buildTar(Array.from({ length: 20_000 }, () => ({ name: 'a', data: Buffer.from('x') }))));
  await assertBounded(tar, 'dup.tar');
});

test('built: a payload manifest with 20,000 partitions of one name', { timeout: 600_000 }, async (t) => {
  const file = join(tempDir(t), 'payload.bin');
  const man = encodeManifest({ partitions: Array.from({ length: 20_000 }, () => ({ name: 'system', newSize: 4096, operations: [{ type: OP.ZERO, dst: [{ start: 0, blocks: 1 }] }] })) });
  writeFileSync(file, Buffer.concat([payloadHeader(man.length, 0), man]));
  await assertBounded(file, 'payload.bin');
});

/** A payload of one partition whose manifest holds `n` one-extent ZERO operations (10 bytes each), written without the builder (fast for millions). */
function manyOperationsPayload(n: number): Buffer {
  const varint = (v: number): number[] => {
    const o: number[] = [];
    for (; v >= 0x80; v = Math.floor(v / 128)) o.push((v & 0x7f) | 0x80);
    return [...o, v];
  };
  const ld = (field: number, body: Buffer) => Buffer.concat([Buffer.from([(field << 3) | 2, ...varint(body.length)]), body]);
  // operations { type: ZERO, dst_extents { start_block: 0, num_blocks: 1 } }
  const op = ld(8, Buffer.from([0x08, OP.ZERO, 0x32, 0x04, 0x08, 0x00, 0x10, 0x01]));
  const ops = Buffer.alloc(op.length * n);
  for (let i = 0; i < n; i++) op.copy(ops, i * op.length);
  const part = Buffer.concat([ld(1, Buffer.from('system')), ld(7, Buffer.from([0x08, ...varint(4096)])), ops]);
  const man = Buffer.concat([Buffer.from([0x18, ...varint(4096)]), ld(13, part)]);
  return Buffer.concat([payloadHeader(man.length, 0), man]);
}

test('built: a payload manifest of 4,000,000 operations stops at the memory budget (--max-memory) with a finding, under 400 MiB', { timeout: 600_000 }, async (t) => {
  const file = join(tempDir(t), 'payload.bin');
  // 40 MB on disk; decoded without the memory budget, a million of these took about 690 MiB of RSS.
  writeFileSync(file, manyOperationsPayload(4_000_000));
  await assertBounded(file, 'payload.bin');
  const r = await runLimited(['check', file, '--json']);
  const where = `exit ${r.code}, ${Math.round(r.maxRss / 2 ** 20)} MiB; ${r.stderr.slice(0, 300)}`;
  assert.equal(r.code, 1, where);
  assert.ok(r.maxRss < RSS_LIMIT, where);
  const report = JSON.parse(r.stdout) as { findings: { ruleId: string; path: string; message: string }[]; root: { hashes: Record<string, string> } };
  const f = report.findings.find((x) => x.ruleId === 'format/budget-exceeded');
  assert.ok(f, JSON.stringify(report.findings));
  assert.match(f.message, /memory budget reached: the payload manifest's operations \(\d+ read\) .*--max-memory/);
  assert.ok(report.root.hashes.sha256, 'the payload is still hashed');
});

test('built: 40,000 alternatives in android-info.txt and OTA metadata, 50,000 getprop() terms in one assert', { timeout: 600_000 }, async (t) => {
  const dir = tempDir(t);
  const alts = Array(40_000).fill('a').join('|');
  writeFileSync(join(dir, 'android-info.txt'), `require board=${alts}\n`);
  await assertBounded(join(dir, 'android-info.txt'), 'android-info.txt');
  writeFileSync(join(dir, 'metadata'), `ota-type=BLOCK\npost-timestamp=0\npre-device=${alts}\n`);
  await assertBounded(join(dir, 'metadata'), 'metadata');
  const terms = ['getprop("ro.product.device") == "x"', ...Array(50_000).fill('getprop("a") == "b"')].join(' || ');
  writeFileSync(join(dir, 'updater-script'), `assert(${terms});\n`);
  await assertBounded(join(dir, 'updater-script'), 'updater-script');
});

test('built: GPT partitions lying over their own table are listed but not opened again', { timeout: 600_000 }, async (t) => {
  const file = join(tempDir(t), 'disk.img');
  // Three partitions covering the whole disk, the table included: each would be the same disk again, 3^12 times.
  const disk = buildGptDisk(
    [0, 1, 2].map((i) => ({ name: `p${i}`, type: LINUX_FS, firstLba: 0, lastLba: 63 })),
    { sectors: 64, numEntries: 4 },
  );
  writeFileSync(file, disk);
  await assertBounded(file, 'disk.img');
  const r = await runLimited(['inspect', file, '--json']);
  const report = JSON.parse(r.stdout) as { summary: { artifacts: number } };
  assert.ok(report.summary.artifacts <= 4, `${report.summary.artifacts} artifacts`);
});

test('built: member names with terminal escapes reach no terminal raw; JSON keeps them exact', async (t) => {
  const file = join(tempDir(t), 'ansi.zip');
  const names = ['x\x1b]0;pwned\x07.txt', 'ok\r\x1b[2K\x1b[32mfine\x1b[0m', 'bidi\u202etxt.exe'];
  writeFileSync(file, buildZip(names.map((name) => ({ name, data: Buffer.from('1') }))));
  await assertBounded(file, 'ansi.zip');
  const table = await runLimited(['inspect', file]);
  assert.match(table.stdout, /x\\x1b\]0;pwned\\x07\.txt/);
  assert.match(table.stdout, /bidi\\u202etxt\.exe/);
  const json = await runLimited(['inspect', file, '--json']);
  const report = JSON.parse(json.stdout) as { root: { children: { path: string }[] } };
  assert.deepEqual(
    report.root.children.map((c) => c.path),
    names,
  );
});

test('a REPLACE_XZ blob decoding past its extents is a finding, for a streamed large operation too', { timeout: 600_000 }, async (t) => {
  for (const d of ['payload-xz-overrun-large-op', 'payload-xz-overrun-small-op']) {
    const file = join(CRASHERS, d, 'payload.bin');
    if (!existsSync(file)) return t.skip(`fuzz reproducer not present (${file})`);
    const r = await runLimited(['check', file, '--json']);
    assert.equal(r.code, 1, `${d}: ${r.stderr}`);
    const report = JSON.parse(r.stdout) as { findings: { ruleId: string; message: string }[] };
    assert.ok(
      report.findings.some((f) => f.ruleId === 'format/unreadable' && /decodes to more than the \d+ bytes its extents hold/.test(f.message)),
      d,
    );
  }
});
