/** batch's one progress line: its layout, on a real pseudo-terminal (util-linux `script`), and nothing when stderr is a pipe. */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT, requireTools, tempDir } from '../helpers';
import { buildZip } from '../../fixtures/builders/zip';
import { pseudoRandom } from '../../fixtures/builders/data';
import { textWidth } from '../../src/report/layout';
import { batchProgressLine } from '../../src/batch/progress';

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

test('batchProgressLine: inputs, bytes, rate, time left, the names cut to fit', () => {
  const p = { done: 12, total: 200, bytesDone: 2 ** 30, bytesTotal: 3 * 2 ** 30, rate: 100 * 2 ** 20, current: ['/srv/a/pkg-0012.zip', '/srv/b/pkg-0013.zip'] };
  assert.equal(batchProgressLine(p, 200), 'romscope: batch 12/200 inputs, 1.00 GiB of 3.00 GiB, 100.0 MiB/s, 0:20 left: pkg-0012.zip, pkg-0013.zip');
  const narrow = batchProgressLine(p, 90);
  assert.ok(textWidth(narrow) <= 89, narrow);
  assert.match(narrow, /0:20 left: pkg-001.*…$/);
  // Too narrow for the names: the head alone, cut to the width.
  assert.ok(textWidth(batchProgressLine(p, 30)) <= 29);
  // No rate yet: no time left; control characters in a name are escaped.
  assert.equal(batchProgressLine({ ...p, rate: 0, current: ['/x/a\x1b[2Jb.zip'] }, 200), 'romscope: batch 12/200 inputs, 1.00 GiB of 3.00 GiB: a\\x1b[2Jb.zip');
});

test('batch progress on a terminal: one line for the run, within the width; nothing on a pipe', (t: TestContext) => {
  if (!requireTools(t, 'script', 'stty')) return;
  const dir = tempDir(t);
  mkdirSync(join(dir, 'in'));
  for (let i = 0; i < 3; i++) {
    const data = Buffer.concat([pseudoRandom(1 << 20, i + 1), Buffer.alloc(23 << 20, i)]);
    writeFileSync(join(dir, 'in', `big-${i}.zip`), buildZip([{ name: 'images/system.img', data, method: 'stored' }]));
  }
  const args = ['batch', join(dir, 'in'), '--db', join(dir, 'r.db'), '--jobs', '2'];
  const cmd = `stty cols 70 rows 40; ${q(process.execPath)} ${q(BIN)} ${args.map(q).join(' ')} >/dev/null`;
  const r = spawnSync('script', ['-qfec', cmd, '/dev/null'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, COLUMNS: '', ROMSCOPE_PROGRESS_AFTER_MS: '0' } });
  assert.equal(r.status, 0, r.stdout);
  const lines = r.stdout
    .replace(/\x1b\[[0-9;]*[mK]/g, '')
    .split(/\r\n|\r|\n/)
    .filter((l) => l !== '');
  assert.ok(
    lines.some((l) => /^romscope: batch [0-3]\/3 inputs, .* of 72\.0 MiB.*: big-\d\.zip/.test(l)),
    r.stdout,
  );
  for (const l of lines) assert.ok(textWidth(l) <= 69, `wider than the terminal: ${l}`);
  assert.match(r.stdout, /\r\x1b\[K$/, 'the line is erased at the end');
  const piped = spawnSync(process.execPath, [BIN, ...args, '--recheck'], { encoding: 'utf8', env: { ...process.env, ROMSCOPE_PROGRESS_AFTER_MS: '0' } });
  assert.equal(piped.status, 0);
  assert.equal(piped.stderr, '');
});
