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
