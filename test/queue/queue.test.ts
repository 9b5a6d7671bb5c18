/**
 * The job queue across processes (docs/queue.md): a real redis-server, several
 * `romscope worker` processes of the built CLI, one of them killed with SIGKILL
 * mid-job, an input served over HTTP, an input whose check crashes and one
 * whose check hangs (the test-only hooks of src/queue/check-child.ts). Every
 * job must finish exactly once: one row per distinct input sha256 (compared
 * with sha256sum's), the crasher and the hanger on the dead-letter list.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, createReadStream, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { buildZip } from '../../fixtures/builders/zip';
import { TABLE, openStore } from '../../src/store/index';
import { QUEUE_NAME, parseRedisUrl, type DeadLetter } from '../../src/queue/common';
import { BIN, ROOT, runCli, runTool, tempDir } from '../helpers';
import { startPostgres, startRedis } from '../servers';

/** A small OTA-like zip, distinct per seed. */
function pkg(seed: number): Buffer {
  return buildZip([
    { name: 'META-INF/com/android/metadata', data: Buffer.from(`ota-type=BLOCK\npre-device=walleye\npost-timestamp=${1700000000 + seed}\n`) },
    { name: 'system/build.prop', data: Buffer.from(`ro.product.device=walleye\nro.build.id=QUEUE.${seed}\n`), method: 'deflate' },
  ]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface WorkerProc {
  child: ChildProcess;
  out: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `romscope worker` as a child process, its stdout lines collected; killed at the end of the test if still running. */
function startWorker(t: TestContext, args: string[], env: NodeJS.ProcessEnv = {}): WorkerProc {
  const child = spawn(process.execPath, [BIN, 'worker', ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ROMSCOPE_QUEUE_TEST_HOOKS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  let buf = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    buf += s;
    const lines = buf.split('\n');
    buf = lines.pop()!;
    out.push(...lines);
  });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on('exit', (code, signal) => {
      if (err.trim()) out.push(`stderr: ${err.trim()}`);
      r({ code, signal });
    }),
  );
  t.after(() => void (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')));
  return { child, out, exited };
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms: number, context: () => string = () => ''): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await ok()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}\n${context()}`);
}

function serve(t: TestContext, file: string): Promise<string> {
  const server: Server = createServer((req, res) => {
    if (req.url !== '/served.zip') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/zip' });
    createReadStream(file).pipe(res);
  });
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(server.address() as { port: number }).port}/served.zip`)));
}

function sha256sum(path: string): string {
  return runTool('sha256sum', [path]).stdout.toString().split(' ')[0];
}

test('queue: several workers, one SIGKILLed mid-job; every input checked exactly once, crasher, hanger and balloon dead-lettered', { timeout: 120_000 }, async (t) => {
  const redis = await startRedis(t);
  if (!redis) return;
  const dir = tempDir(t);
  const inputs: string[] = [];
  for (let i = 0; i < 20; i++) {
    const p = join(dir, `pkg-${String(i).padStart(2, '0')}.zip`);
    writeFileSync(p, pkg(i));
    inputs.push(p);
  }
  // The same bytes as pkg-00 under another name: one row for both (idempotent by sha256).
  const copy = join(dir, 'pkg-00-copy.zip');
  copyFileSync(inputs[0], copy);
  const served = join(dir, 'served-source.zip');
  writeFileSync(served, pkg(100));
  const url = await serve(t, served);
  const crasher = join(dir, 'romscope-test-crash.zip');
  writeFileSync(crasher, pkg(200));
  const hanger = join(dir, 'romscope-test-hang.zip');
  writeFileSync(hanger, pkg(300));
  // Its check allocates until the child's heap limit (--job-memory) kills it.
  const balloon = join(dir, 'romscope-test-balloon.zip');
  writeFileSync(balloon, pkg(400));

  // The hanger first: its two attempts run out the time limit twice while the others are checked.
  const enq = runCli(['enqueue', '--queue', redis.url, hanger, crasher, balloon, ...inputs, copy, url]);
  assert.equal(enq.code, 0, enq.stderr);
  assert.equal(
    enq.stdout
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('queued ')).length,
    25,
    enq.stdout,
  );
  // The same path again, unchanged: no second job.
  const again = runCli(['enqueue', '--queue', redis.url, inputs[3]]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /^already queued \(waiting\) /);

  const db = join(dir, 'results.db');
  const args = ['--queue', redis.url, '--db', db, '--concurrency', '2', '--job-timeout', '12', '--attempts', '2', '--backoff', '0.2', '--stalled-seconds', '1', '--job-memory', '256M'];
  // Each check starts a Node process that loads every format (a second or more on a busy machine): the time limit leaves room for that.
  const env = { ROMSCOPE_QUEUE_TEST_DELAY_MS: '700' };
  const workers = [startWorker(t, args, env), startWorker(t, args, env), startWorker(t, args, env)];
  const dump = () => workers.map((w, i) => `worker ${i}:\n  ${w.out.join('\n  ')}`).join('\n');

  // Kill the first worker while it is in the middle of a job (the delay hook holds each check 0.7 s).
  const victim = workers[0];
  await until('worker 0 to start a job', () => victim.out.some((l) => / checking /.test(l)), 20_000, dump);
  victim.child.kill('SIGKILL');
  const killed = await victim.exited;
  assert.equal(killed.signal, 'SIGKILL');
  const startedBy0 = victim.out.filter((l) => / checking /.test(l)).map((l) => / checking (.*) \(attempt/.exec(l)![1]);
  const finishedBy0 = new Set(victim.out.map((l) => / (?:checked|skipped) (.*?):/.exec(l)?.[1]).filter(Boolean));
  const interrupted = startedBy0.filter((i) => !finishedBy0.has(i));
  assert.ok(interrupted.length >= 1, dump());

  const queue = new Queue(QUEUE_NAME, { connection: { ...parseRedisUrl(redis.url), maxRetriesPerRequest: null } });
  t.after(() => queue.close());
  await until(
    'every job to finish',
    async () => {
      const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
      return c.completed + c.failed === 25 && c.waiting + c.active + c.delayed + c.prioritized === 0;
    },
    60_000,
    dump,
  );
  const counts = await queue.getJobCounts('completed', 'failed');
  assert.deepEqual(counts, { completed: 22, failed: 3 }, dump());

  // The job the killed worker held came back (BullMQ's stalled-job check) and was finished by another worker.
  for (const input of interrupted) {
    const [job] = (await queue.getJobs(['completed', 'failed'])).filter((j) => j.data.input === input);
    assert.ok(job, input);
    assert.ok(job.stalledCounter >= 1, `${input}: stalledCounter ${job.stalledCounter}`);
  }

  // Graceful stop: SIGTERM, exit 0.
  for (const w of workers.slice(1)) w.child.kill('SIGTERM');
  for (const w of workers.slice(1)) assert.deepEqual(await w.exited, { code: 0, signal: null }, dump());

  // Exactly one row per distinct input, each sha256 once and equal to sha256sum's.
  const store = await openStore(db);
  t.after(() => store.close());
  const rows = await store.list();
  const expected = new Map<string, string>();
  for (const p of inputs) expected.set(sha256sum(p), p);
  expected.set(sha256sum(served), url);
  assert.equal(rows.length, expected.size, dump());
  assert.equal(rows.length, 21);
  assert.equal(new Set(rows.map((r) => r.sha256)).size, rows.length);
  for (const r of rows) {
    assert.ok(expected.has(r.sha256), `unexpected row ${r.path} ${r.sha256}`);
    // pkg-00 and its copy have the same bytes: whichever came first holds the row.
    const want = expected.get(r.sha256)!;
    if (want === inputs[0]) assert.ok(r.path === inputs[0] || r.path === copy, r.path);
    else assert.equal(r.path, want);
    assert.equal(r.exitCode, 0, `${r.path}: exit ${r.exitCode} (${r.errors} errors)`);
  }
  assert.equal(rows.find((r) => r.path === url)?.mtimeMs, null);

  // The crasher and the hanger are on the dead-letter list after their two attempts, with the reason.
  const dl = runCli(['worker', '--queue', redis.url, '--dead-letters', '--json']);
  assert.equal(dl.code, 0, dl.stderr);
  const letters = JSON.parse(dl.stdout) as DeadLetter[];
  assert.equal(letters.length, 3, dl.stdout);
  const ballooned = letters.find((l) => l.input === balloon);
  assert.ok(ballooned, dl.stdout);
  assert.match(ballooned.reason, /^crashed: the check process (was killed by SIG[A-Z]+|exited with code \d+) without a result \(stderr: FATAL ERROR: .*heap out of memory\)$/);
  const crash = letters.find((l) => l.input === crasher);
  const hang = letters.find((l) => l.input === hanger);
  assert.ok(crash && hang, dl.stdout);
  assert.equal(crash.attempts, 2);
  assert.match(crash.reason, /^crashed: the check process was killed by SIGABRT/);
  assert.equal(hang.attempts, 2);
  assert.match(hang.reason, /^timed out: the check took more than --job-timeout 12 s and was killed/);
  const human = runCli(['worker', '--queue', redis.url, '--dead-letters']);
  assert.match(human.stdout, /romscope-test-crash\.zip {2}after 2 attempt\(s\): crashed/);
});

test('queue: PostgreSQL store; SIGTERM lets the running check finish, a second SIGTERM puts it back on the queue', { timeout: 120_000 }, async (t) => {
  const redis = await startRedis(t);
  if (!redis) return;
  const pg = await startPostgres(t);
  if (!pg) return;
  const dir = tempDir(t);
  const inputs: string[] = [];
  for (let i = 0; i < 3; i++) {
    const p = join(dir, `pg-${i}.zip`);
    writeFileSync(p, pkg(1000 + i));
    inputs.push(p);
  }
  const enq = runCli(['enqueue', '--queue', redis.url, inputs[0]]);
  assert.equal(enq.code, 0, enq.stderr);

  const args = ['--queue', redis.url, '--db', pg.url, '--job-timeout', '30', '--stalled-seconds', '1'];
  // One SIGTERM while the check runs: it finishes and is stored, then the worker exits 0.
  const a = startWorker(t, args, { ROMSCOPE_QUEUE_TEST_DELAY_MS: '1500' });
  await until(
    'worker a to start a job',
    () => a.out.some((l) => / checking /.test(l)),
    20_000,
    () => a.out.join('\n'),
  );
  a.child.kill('SIGTERM');
  assert.deepEqual(await a.exited, { code: 0, signal: null }, a.out.join('\n'));
  assert.ok(
    a.out.some((l) => l.includes(`checked ${inputs[0]}:`)),
    a.out.join('\n'),
  );

  // Two SIGTERMs: the check is killed and its job goes back to waiting, without using up an attempt.
  assert.equal(runCli(['enqueue', '--queue', redis.url, inputs[1], inputs[2], inputs[1]]).code, 0);
  const b = startWorker(t, args, { ROMSCOPE_QUEUE_TEST_DELAY_MS: '5000' });
  await until(
    'worker b to start a job',
    () => b.out.some((l) => / checking /.test(l)),
    20_000,
    () => b.out.join('\n'),
  );
  b.child.kill('SIGTERM');
  await sleep(200);
  b.child.kill('SIGTERM');
  assert.deepEqual(await b.exited, { code: 0, signal: null }, b.out.join('\n'));
  assert.ok(
    b.out.some((l) => / released /.test(l)),
    b.out.join('\n'),
  );
  const queue = new Queue(QUEUE_NAME, { connection: { ...parseRedisUrl(redis.url), maxRetriesPerRequest: null } });
  t.after(() => queue.close());
  const c1 = await queue.getJobCounts('waiting', 'active', 'completed', 'failed');
  assert.deepEqual(c1, { waiting: 2, active: 0, completed: 1, failed: 0 });

  // A worker finishes the rest; the first input queued again (already done) adds no row.
  assert.equal(runCli(['enqueue', '--queue', redis.url, inputs[0]]).code, 0);
  const c = startWorker(t, args);
  await until(
    'the last jobs',
    async () => (await queue.getJobCounts('completed')).completed === 3,
    30_000,
    () => c.out.join('\n'),
  );
  c.child.kill('SIGTERM');
  assert.deepEqual(await c.exited, { code: 0, signal: null }, c.out.join('\n'));
  // BullMQ counts the finishing attempt too: 1 for each, the released one included (its second start was its attempt 1).
  for (const j of await queue.getJobs(['completed'])) assert.equal(j.attemptsMade, 1, `${j.data.input}: attemptsMade ${j.attemptsMade}`);
  assert.ok(
    b.out.some((l) => l.includes(`released ${inputs[1]}:`)),
    b.out.join('\n'),
  );
  assert.ok(
    c.out.some((l) => l.includes(`checking ${inputs[1]} (attempt 1 of 3`)),
    c.out.join('\n'),
  );

  const store = await openStore(pg.url);
  t.after(() => store.close());
  const rows = await store.list();
  assert.deepEqual(rows.map((r) => r.path).sort(), [...inputs].sort());
  for (const r of rows) assert.equal(r.sha256, sha256sum(r.path));
  assert.equal(pg.psql(`SELECT count(*) FROM ${TABLE}`).trim(), '3');
});
