/**
 * The fuzz harness's smoke pass in CI (docs/fuzzing.md): a few thousand
 * cases of `npm run fuzz` with a fixed seed, in a child process (the
 * harness's own supervisor and watchdog), must all keep the invariants. A
 * failure prints the saved case's replay command. Also: cases are
 * reproducible from (seed, case, target), and the minimiser keeps the failure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, tempDir } from '../helpers';
import { loadTargets } from '../../fuzz/targets';
import { generateCase } from '../../fuzz/case';
import { minimise } from '../../fuzz/minimise';

const SMOKE_CASES = 2500;
const SMOKE_SEED = 20261203;

test(`fuzz smoke pass: ${SMOKE_CASES} cases over every target keep the invariants`, (t) => {
  const out = tempDir(t);
  const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'fuzz', 'run.js'), '--cases', String(SMOKE_CASES), '--seed', String(SMOKE_SEED), '--out', out, '--json', '--quiet', '--minimise-seconds', '20'], {
    encoding: 'utf8',
    timeout: 15 * 60_000,
    maxBuffer: 64 << 20,
  });
  assert.equal(r.error, undefined, String(r.error));
  const summary = JSON.parse(r.stdout) as { cases: number; casesPerSecond: number; failures: { kind: string; target: string; case: number; message: string; saved?: string }[] };
  const failed = summary.failures.map((f) => `${f.kind} on case ${f.case} (${f.target}): ${f.message}\n  replay: npm run fuzz -- --seed ${SMOKE_SEED} --target '${f.target}' --case ${f.case}`);
  assert.deepEqual(failed, [], `seed ${SMOKE_SEED}: ${failed.length} failure(s)`);
  assert.equal(summary.cases, SMOKE_CASES);
  assert.equal(r.status, 0, r.stderr);
  t.diagnostic(`${summary.cases} cases, ${summary.casesPerSecond} cases/s`);
});

test('a fuzz case is the same bytes whenever it is generated again', async () => {
  const targets = await loadTargets({ corpus: false });
  const donors = targets.map((x) => x.stages[x.stages.length - 1]);
  for (const [k, target] of targets.entries()) {
    const a = await generateCase(7, 1000 + k, target, donors);
    const b = await generateCase(7, 1000 + k, target, donors);
    assert.equal(a.how, b.how, target.id);
    assert.ok(a.bytes.equals(b.bytes), `${target.id}: ${a.how}`);
  }
});

test('the minimiser shrinks an input while it keeps failing', async () => {
  const input = Buffer.concat([Buffer.alloc(5000, 0x41), Buffer.from('BUG'), Buffer.alloc(3000, 0x42)]);
  const { bytes } = await minimise(input, async (b) => b.includes('BUG'), { maxAttempts: 2000, deadline: Date.now() + 30_000 });
  assert.ok(bytes.includes('BUG'));
  assert.ok(bytes.length <= 8, `minimised to ${bytes.length} bytes`);
});

test('the fuzz watchdog records a hang with what the worker was doing, and whether the case hangs alone', (t) => {
  const out = tempDir(t);
  // Case 0 spins (its worker's event loop is blocked); case 25, in the other worker's batch, waits forever (the loop turns).
  const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'fuzz', 'run.js'), '--cases', '27', '--jobs', '2', '--time-limit', '1', '--seed', '5', '--no-corpus', '--out', out, '--json', '--quiet'], {
    encoding: 'utf8',
    timeout: 5 * 60_000,
    env: { ...process.env, ROMSCOPE_FUZZ_TEST_STALL: '0:busy,25:wait' },
  });
  assert.equal(r.error, undefined, String(r.error));
  assert.equal(r.status, 1, r.stderr);
  const summary = JSON.parse(r.stdout) as { cases: number; failures: { kind: string; case: number; message: string }[] };
  assert.equal(summary.cases, 27);
  const byCase = new Map(summary.failures.map((f) => [f.case, f]));
  assert.deepEqual(
    [...byCase.keys()].sort((a, b) => a - b),
    [0, 25],
  );
  assert.equal(byCase.get(0)!.kind, 'hang');
  assert.match(byCase.get(0)!.message, /^no result after 17000 ms \(watchdog\); the worker did not answer \(its event loop was blocked\); alone in a fresh process: done in \d+ ms$/);
  assert.equal(byCase.get(25)!.kind, 'hang');
  assert.match(
    byCase.get(25)!.message,
    /the worker answered: case 25: inspecting; read ring 0\/16 slots held; hashing threads \[[^\]]*\]; decode pool \d+ threads, 0 running, 0 queued; 0 payload decodes under way; heap \d+ MiB/,
  );
  assert.match(byCase.get(25)!.message, /; alone in a fresh process: done in \d+ ms$/);
});
