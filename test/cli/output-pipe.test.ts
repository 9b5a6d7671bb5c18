/**
 * The whole report reaches a pipe: bin/romscope.js spawned with stdout as a
 * pipe (as `romscope inspect x --json | jq` runs it), every byte read, for
 * every output format; and a stdout that cannot be written is exit 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildZip } from '../../fixtures/builders/zip';
import { BIN, tempDir } from '../helpers';

interface Piped {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs the CLI with stdout and stderr as pipes; reads both to the end, slowly when asked (a reader that lags). */
function runPiped(args: string[], slow = false): Promise<Piped> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on('data', (b: Buffer) => {
      out.push(b);
      if (slow) {
        p.stdout.pause();
        setTimeout(() => p.stdout.resume(), 2);
      }
    });
    p.stderr.on('data', (b: Buffer) => err.push(b));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

/** A zip whose report is several MiB: thousands of small members with long names. */
function manyMembers(dir: string, n = 4000): string {
  const file = join(dir, `many-${n}.zip`);
  const entries = Array.from({ length: n }, (_, i) => ({
    name: `system/app/SomeRatherLongApplicationName${i}/oat/arm64/SomeRatherLongApplicationName${i}.odex-${'x'.repeat(120)}`,
    data: Buffer.from(`member ${i}\n`),
  }));
  writeFileSync(file, buildZip(entries));
  return file;
}

test('a report of several MiB reaches a pipe whole, in every format', { timeout: 600_000 }, async (t) => {
  const file = manyMembers(tempDir(t));
  const json = await runPiped(['inspect', file, '--json'], true);
  assert.equal(json.code, 0, json.stderr);
  assert.ok(json.stdout.length > 2 * 1024 * 1024, `JSON report is ${json.stdout.length} bytes`);
  const report = JSON.parse(json.stdout.toString('utf8'));
  assert.equal(report.root.children.length, 4000);

  const sarif = await runPiped(['check', file, '--format', 'sarif', '--fail-on', 'none']);
  assert.equal(sarif.code, 0, sarif.stderr);
  assert.equal(JSON.parse(sarif.stdout.toString('utf8')).version, '2.1.0');

  const table = await runPiped(['inspect', file]);
  assert.equal(table.code, 0, table.stderr);
  assert.ok(table.stdout.length > 1024 * 1024, `table is ${table.stdout.length} bytes`);
  const text = table.stdout.toString('utf8');
  assert.match(text, /SomeRatherLongApplicationName3999\.odex/);
  assert.match(text, /\d+ artifacts, \d+ errors, \d+ warnings, \d+ info\n$/, 'the summary line, the last one, arrived');
});

test('stderr messages reach a pipe before the exit', async () => {
  const r = await runPiped(['inspect', '/nonexistent/romscope-input.zip']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^romscope: .*romscope-input\.zip.*\n$/);
});

test('a stdout that cannot be written is exit 2 with one line on stderr', { skip: !existsSync('/dev/full') && 'no /dev/full here' }, async (t) => {
  const file = manyMembers(tempDir(t), 200);
  for (const format of ['json', 'table']) {
    const fd = openSync('/dev/full', 'w');
    try {
      const r = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
        const p = spawn(process.execPath, [BIN, 'inspect', file, '--format', format], { stdio: ['ignore', fd, 'pipe'] });
        let stderr = '';
        p.stderr?.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
        p.on('error', reject);
        p.on('close', (code) => resolve({ code, stderr }));
      });
      assert.equal(r.code, 2, `${format}: ${r.stderr}`);
      assert.match(r.stderr, /^romscope: cannot write to standard output: .*\n$/, format);
    } finally {
      closeSync(fd);
    }
  }
});
