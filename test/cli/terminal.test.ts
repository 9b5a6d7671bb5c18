/**
 * The command line on a real pseudo-terminal (util-linux `script` gives the
 * child a pty of the size `stty` sets): the corrupt demo fits 80 columns, and
 * progress shows the share of the input, a rate, the time left and the
 * artifact on a terminal, and nothing when stderr is a pipe.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT, requireTools, runCli, tempDir } from '../helpers';
import { buildZip } from '../../fixtures/builders/zip';
import { pseudoRandom } from '../../fixtures/builders/data';
import { textWidth } from '../../src/report/layout';
import { clock, progressLine } from '../../src/cli/progress';
import { outputWidth } from '../../src/cli/main';

const CORRUPT = join(ROOT, 'fixtures', 'demo', 'demo-corrupt.zip');
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs romscope on a pty `cols` wide; returns what the terminal received (stdout and stderr together) and the exit code. */
function onPty(args: string[], cols: number, env: NodeJS.ProcessEnv = {}, redirect = ''): { out: string; code: number } {
  const cmd = `stty cols ${cols} rows 40; ${q(process.execPath)} ${q(BIN)} ${args.map(q).join(' ')}${redirect}`;
  const r = spawnSync('script', ['-qfec', cmd, '/dev/null'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, COLUMNS: '', ...env }, maxBuffer: 16 << 20 });
  return { out: r.stdout, code: r.status ?? -1 };
}

/** Lines as the terminal shows them: split at CR and LF, colour and erase-line sequences removed. */
function screenLines(s: string): string[] {
  return s
    .replace(/\x1b\[[0-9;]*[mK]/g, '')
    .split(/\r\n|\r|\n/)
    .filter((l) => l !== '');
}

function needScript(t: TestContext): boolean {
  return requireTools(t, 'script', 'stty');
}

test('romscope check fixtures/demo/demo-corrupt.zip on an 80-column terminal: no line wider than 80', (t) => {
  if (!needScript(t)) return;
  const r = onPty(['check', CORRUPT], 80);
  assert.equal(r.code, 1, r.out);
  const lines = screenLines(r.out);
  assert.ok(
    lines.some((l) => l.includes('format/unreadable')),
    r.out,
  );
  for (const l of lines) assert.ok(textWidth(l) <= 80, `a line of ${textWidth(l)} columns: ${l}`);
  // The same command piped keeps one finding a line (wider than 80).
  const piped = runCli(['check', CORRUPT]);
  assert.ok(piped.stdout.split('\n').some((l) => l.includes('format/unreadable') && l.includes('corrupt LZ4 block') && textWidth(l) > 80));
});

function bigZip(t: TestContext): string {
  const file = join(tempDir(t), 'big.zip');
  const member = (seed: number) => Buffer.concat([pseudoRandom(1 << 20, seed), Buffer.alloc(47 << 20, seed)]);
  writeFileSync(
    file,
    buildZip([
      { name: 'images/system.img', data: member(1), method: 'stored' },
      { name: 'images/vendor.img', data: member(2), method: 'stored' },
    ]),
  );
  return file;
}

test('progress on a terminal: share of the input, the step and the artifact, within the width; nothing on a pipe', (t) => {
  if (!needScript(t)) return;
  const file = bigZip(t);
  const r = onPty(['inspect', file], 70, { ROMSCOPE_PROGRESS_AFTER_MS: '0' }, ' >/dev/null');
  assert.equal(r.code, 0, r.out);
  const lines = screenLines(r.out);
  const progress = lines.filter((l) => l.startsWith('romscope: '));
  assert.ok(
    // The zip's own pass is the members' reads (one read per byte), so its step may show as reading rather than hashing.
    progress.some((l) => /^romscope: (hashing|reading) \d+% of 96\.0 MiB\b/.test(l)),
    r.out,
  );
  assert.ok(
    progress.some((l) => /^romscope: decoding \d+% of 96\.0 MiB\b.*: images\/(system|vendor)\.img$/.test(l)),
    r.out,
  );
  for (const l of progress) assert.ok(textWidth(l) <= 69, `progress line wider than the terminal: ${l}`);
  // The percent is of the input (at most 100), not of the bytes read at every level (which add up to twice the input here).
  for (const l of progress) assert.ok(Number(/ (\d+)% /.exec(l)?.[1] ?? 0) <= 100, l);
  // The line is erased when the work ends.
  assert.match(r.out, /\r\x1b\[K$/);

  const piped = spawnSync(process.execPath, [BIN, 'inspect', file], { encoding: 'utf8', env: { ...process.env, ROMSCOPE_PROGRESS_AFTER_MS: '0' } });
  assert.equal(piped.status, 0);
  assert.equal(piped.stderr, '', 'no progress when stderr is not a terminal');
});

test('extract shows progress on a terminal: the share of the artifact written', (t) => {
  if (!needScript(t)) return;
  const file = bigZip(t);
  const out = join(tempDir(t), 'system.img');
  const r = onPty(['extract', file, 'images/system.img', '-o', out], 80, { ROMSCOPE_PROGRESS_AFTER_MS: '0' });
  assert.equal(r.code, 0, r.out);
  assert.ok(existsSync(out));
  assert.ok(
    screenLines(r.out).some((l) => /^romscope: writing \d+% of 48\.0 MiB\b.*: images\/system\.img$/.test(l)),
    r.out,
  );
});

test('progressLine: rate and time left, the artifact cut at its start to fit', () => {
  const p = { doing: 'decoding', done: 512 * 2 ** 20, total: 2 * 2 ** 30, rate: 128 * 2 ** 20, what: 'super.img/system_a/system/build.prop' };
  assert.equal(progressLine(p, 200), 'romscope: decoding 25% of 2.00 GiB, 128.0 MiB/s, 0:12 left: super.img/system_a/system/build.prop');
  const narrow = progressLine(p, 76);
  assert.ok(textWidth(narrow) <= 75, narrow);
  assert.match(narrow, /^romscope: decoding 25% of 2\.00 GiB, 128\.0 MiB\/s, 0:12 left: …[^ ]*build\.prop$/);
  assert.equal(progressLine({ ...p, what: 'x\x1b[2Jy' }, 200).endsWith('x\\x1b[2Jy'), true, 'names escaped');
  assert.equal(progressLine({ doing: 'writing', done: 1000, total: null, rate: 0, what: '' }, 80), 'romscope: writing 1000 B');
  assert.equal(clock(3725), '1:02:05');
});

test('the width: --width wins, then COLUMNS or the terminal; piped output is not wrapped', () => {
  assert.equal(outputWidth(100, false, undefined, undefined), 100);
  assert.equal(outputWidth(0, true, 80, undefined), undefined, '--width 0 never wraps');
  assert.equal(outputWidth(undefined, true, 132, undefined), 132);
  assert.equal(outputWidth(undefined, true, 132, '90'), 90);
  assert.equal(outputWidth(undefined, true, 132, 'wide'), 132, 'a COLUMNS that is no number is ignored');
  assert.equal(outputWidth(undefined, false, undefined, '90'), undefined, 'piped: one finding a line');
  assert.throws(() => outputWidth(-1), /--width wants a whole number/);
  const r = runCli(['check', CORRUPT, '--width', '60']);
  for (const l of r.stdout.split('\n')) assert.ok(textWidth(l) <= 60, l);
});
