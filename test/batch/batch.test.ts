/**
 * `romscope batch` end to end through bin/romscope.js: worker processes, the
 * store read back with the sqlite3 CLI and psql (tools we did not write),
 * reruns, --resume after a SIGKILL of the whole run, a worker that dies.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, requireTools, runCli, runTool, tempDir } from '../helpers';
import { startPostgres } from '../servers';
import { badCrcZip, goodZip, htmlPage, writeAll } from './packages';
import { TABLE } from '../../src/store/index';

/** The rows as the sqlite3 CLI prints them (path|size|sha256|exit_code|integrity), ordered by path. */
function sqliteRows(db: string, cols = 'path, size, sha256, exit_code, integrity, signature, compatibility, errors, warnings, infos'): string[] {
  const r = spawnSync('sqlite3', ['-batch', '-noheader', db, `SELECT ${cols} FROM ${TABLE} ORDER BY path;`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').filter(Boolean);
}

interface Summary {
  inputs: number;
  checked: number;
  skipped: number;
  failed: number;
  resumed: boolean;
  exitCode: number;
  byExitCode: Record<string, number>;
  outcomes: { path: string; status: string; exitCode: number; sha256?: string }[];
}

function batch(args: string[], env: NodeJS.ProcessEnv = {}): { code: number; summary: Summary; stderr: string } {
  const r = runCli(['batch', '--json', ...args], { env });
  let summary: Summary;
  try {
    summary = JSON.parse(r.stdout) as Summary;
  } catch {
    throw new Error(`batch printed no JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
  return { code: r.code, summary, stderr: r.stderr };
}

/** A tree of small packages: two goods with one base name, a bad CRC, an HTML page, one that crashes its worker (with the test hook), plus what the walk leaves out. */
function tree(dir: string): string[] {
  const inputs = join(dir, 'in');
  mkdirSync(join(inputs, 'sub'), { recursive: true });
  mkdirSync(join(inputs, '.hidden'));
  const paths = writeAll(inputs, { 'good.zip': goodZip(1), 'bad.zip': badCrcZip(), 'page.zip': htmlPage(), 'crash.zip': goodZip(3) });
  paths.push(...writeAll(join(inputs, 'sub'), { 'good.zip': goodZip(2) }));
  writeFileSync(join(inputs, '.hidden', 'x.zip'), goodZip(9));
  writeFileSync(join(inputs, '.dot.zip'), goodZip(8));
  symlinkSync(join(inputs, 'good.zip'), join(inputs, 'link.zip'));
  writeFileSync(join(dir, 'outside.zip'), goodZip(7));
  symlinkSync(join(dir, 'outside.zip'), join(inputs, 'sub', 'out-link.zip'));
  return paths.sort();
}

test('batch: --jobs 1 and --jobs 2 give the same rows; a dying worker is recorded; reruns skip, re-hash and re-check', async (t: TestContext) => {
  if (!requireTools(t, 'sqlite3', 'sha256sum')) return;
  const dir = tempDir(t);
  const paths = tree(dir);
  const crash = { ROMSCOPE_BATCH_TEST_CRASH: 'crash.zip' };
  const one = batch([join(dir, 'in'), '--jobs', '1', '--db', join(dir, 'one.db')], crash);
  const two = batch([join(dir, 'in'), '--jobs', '2', '--db', join(dir, 'two.db')], crash);
  for (const r of [one, two]) {
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.summary.inputs, 5);
    assert.equal(r.summary.checked, 4);
    assert.equal(r.summary.failed, 1);
    assert.deepEqual(r.summary.byExitCode, { 0: 2, 1: 2, 3: 1 });
    assert.match(r.stderr, /crash\.zip: its worker process killed by SIGKILL; recorded as not finished/);
  }
  const rows = sqliteRows(join(dir, 'one.db'));
  assert.deepEqual(sqliteRows(join(dir, 'two.db')), rows);
  // Every input once, nothing the walk leaves out (dot names, symbolic links), with sha256sum's digest.
  assert.deepEqual(
    rows.map((r) => r.split('|')[0]),
    paths,
  );
  for (const r of rows) {
    const [p, size, sha, code, integrity] = r.split('|');
    assert.equal(sha, runTool('sha256sum', [p]).stdout.toString().split(' ')[0]);
    assert.equal(Number(size), statSync(p).size);
    const expected = p.endsWith('crash.zip') ? '3|error' : p.endsWith('bad.zip') ? '1|failed' : p.endsWith('page.zip') ? '1|unchecked' : '0|verified';
    assert.equal(`${code}|${integrity}`, expected, p);
  }
  assert.equal(spawnSync('sqlite3', [join(dir, 'one.db'), 'PRAGMA integrity_check;'], { encoding: 'utf8' }).stdout.trim(), 'ok');
  // One JSON report per input, never two inputs in one file (good.zip twice), each the report of its row.
  const reports = readdirSync(join(dir, 'one.db.reports')).filter((f) => f.endsWith('.json') && f !== 'batch-run.json');
  assert.equal(reports.length, 5);
  assert.equal(reports.filter((f) => f.startsWith('good.zip.')).length, 2);
  for (const f of reports) {
    const j = JSON.parse(readFileSync(join(dir, 'one.db.reports', f), 'utf8')) as { input: { path: string }; error?: string };
    if (f.startsWith('crash.zip')) assert.match(j.error!, /did not finish/);
    else assert.deepEqual(j, JSON.parse(runCli(['inspect', '--json', j.input.path]).stdout));
  }

  // Rerun (no crash hook): the unchanged four are skipped, the one that did not finish is checked.
  const db = join(dir, 'one.db');
  const checkedAt = () => new Map(sqliteRows(db, 'path, checked_at, mtime_ms').map((l) => [l.split('|')[0], l.split('|').slice(1).join('|')]));
  const before = checkedAt();
  const again = batch([join(dir, 'in'), '--jobs', '2', '--db', db]);
  assert.equal(again.code, 1);
  assert.deepEqual([again.summary.checked, again.summary.skipped, again.summary.failed], [1, 4, 0]);
  assert.equal(sqliteRows(db, 'exit_code, integrity').join(','), ['1|failed', '0|verified', '0|verified', '1|unchecked', '0|verified'].join(','));
  const afterRerun = checkedAt();
  for (const p of paths) if (!p.endsWith('crash.zip')) assert.equal(afterRerun.get(p), before.get(p), p);

  // Touched but identical: re-hashed, skipped; the row takes the new mtime, checked_at stays.
  const good = paths.find((p) => p.endsWith('/in/good.zip'))!;
  utimesSync(good, new Date(), new Date(Date.now() + 5000));
  // Changed, same size: one byte of the member flipped (its CRC no longer matches): re-checked.
  const bad = paths.find((p) => p.endsWith('bad.zip'))!;
  const goodSub = paths.find((p) => p.endsWith('sub/good.zip'))!;
  const bytes = readFileSync(goodSub);
  // The metadata member is stored (not deflated), so its text is in the file as is.
  const at = bytes.indexOf('pre-device=walleye');
  assert.ok(at > 0);
  bytes[at + 11] ^= 0x20;
  writeFileSync(goodSub, bytes);
  const third = batch([join(dir, 'in'), '--db', db, '--jobs', '1']);
  assert.deepEqual([third.summary.checked, third.summary.skipped, third.summary.failed], [1, 4, 0]);
  assert.equal(third.summary.outcomes.find((o) => o.path === goodSub)?.status, 'checked');
  assert.equal(third.summary.outcomes.find((o) => o.path === good)?.status, 'skipped');
  const after = checkedAt();
  const [goodCheckedAt, goodMtime] = after.get(good)!.split('|');
  assert.equal(goodCheckedAt, before.get(good)!.split('|')[0]);
  // The sqlite3 CLI prints a REAL with 15 significant digits: a millisecond time with a fraction comes back rounded.
  assert.ok(Math.abs(Number(goodMtime) - statSync(good).mtimeMs) < 0.01, `${goodMtime} vs ${statSync(good).mtimeMs}`);
  assert.notEqual(after.get(goodSub)!.split('|')[0], before.get(goodSub)!.split('|')[0]);
  const subRow = sqliteRows(db, `sha256, exit_code, integrity FROM ${TABLE} WHERE path = '${goodSub}' --`)[0];
  assert.equal(subRow, `${runTool('sha256sum', [goodSub]).stdout.toString().split(' ')[0]}|1|failed`);
  assert.equal(after.get(bad), before.get(bad));

  // --fail-on none: nothing is checked again, the exit code follows the flag.
  const lenient = batch([join(dir, 'in'), '--db', db, '--fail-on', 'none']);
  assert.equal(lenient.code, 0);
  assert.equal(lenient.summary.skipped, 5);
});

test('batch: a list file (comments, relative paths, a repeat); usage errors exit 2', async (t: TestContext) => {
  if (!requireTools(t, 'sqlite3')) return;
  const dir = tempDir(t);
  const [bad, good] = writeAll(dir, { 'bad.zip': badCrcZip(), 'good.zip': goodZip() });
  writeFileSync(join(dir, 'list.txt'), `# packages\n\ngood.zip\n  ${bad}  \n./good.zip\nmissing.zip\n`);
  const r = batch([join(dir, 'list.txt'), '--db', join(dir, 'r.db')]);
  assert.equal(r.code, 2, 'the missing input decides: unreadable');
  assert.deepEqual(
    r.summary.outcomes.map((o) => [o.path, o.exitCode]),
    [
      [good, 0],
      [bad, 1],
      [join(dir, 'missing.zip'), 2],
    ],
  );
  assert.match(r.stderr, /missing\.zip: no such file/);
  assert.deepEqual(sqliteRows(join(dir, 'r.db'), 'path'), [bad, good]);
  // A package given where a list is wanted, a bad --jobs, no such input: usage errors before any work.
  for (const args of [[good], [dir, '--jobs', '0'], [join(dir, 'nope')], [dir, '--jobs', 'x']]) {
    const u = runCli(['batch', ...args, '--db', join(dir, 'u.db')]);
    assert.equal(u.code, 2, `${args.join(' ')}: ${u.stderr}`);
    assert.match(u.stderr, /^romscope: /);
  }
});

/** Waits until `ok()` or fails after `ms`. */
async function until(ok: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('batch: SIGKILL of the whole run, then --resume: every input once, nothing checked twice', async (t: TestContext) => {
  if (!requireTools(t, 'sqlite3')) return;
  const dir = tempDir(t);
  mkdirSync(join(dir, 'in'));
  const n = 14;
  const paths = writeAll(join(dir, 'in'), Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${String(i).padStart(2, '0')}.zip`, goodZip(100 + i)])));
  const db = join(dir, 'r.db');
  const reports = join(dir, 'r.db.reports');
  const child = spawn(process.execPath, [BIN, 'batch', join(dir, 'in'), '--db', db, '--jobs', '1'], { stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, s) => r(s)));
  const done = () => readdirSync(reports, { withFileTypes: true }).filter((e) => e.name.endsWith('.json') && e.name !== 'batch-run.json').length;
  await until(() => statSync(reports, { throwIfNoEntry: false }) !== undefined && done() >= 3, 120_000, 'three reports');
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');
  const firstRows = sqliteRows(db, 'path, checked_at');
  assert.ok(firstRows.length >= 2 && firstRows.length < n, `killed mid-run: ${firstRows.length} of ${n} rows`);
  assert.equal(JSON.parse(readFileSync(join(reports, 'batch-run.json'), 'utf8')).finishedAt, null);

  const r = batch([join(dir, 'in'), '--db', db, '--jobs', '2', '--resume']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.summary.resumed, true);
  assert.deepEqual([r.summary.inputs, r.summary.checked, r.summary.skipped, r.summary.failed], [n, n, 0, 0]);
  assert.deepEqual(
    r.summary.outcomes.map((o) => o.path),
    paths,
  );
  assert.deepEqual(sqliteRows(db, 'count(*), count(DISTINCT path)'), [`${n}|${n}`]);
  // The rows written before the kill were not written again.
  const now = new Map(sqliteRows(db, 'path, checked_at').map((l) => l.split('|') as [string, string]));
  for (const l of firstRows) assert.equal(now.get(l.split('|')[0]), l.split('|')[1]);
  assert.notEqual(JSON.parse(readFileSync(join(reports, 'batch-run.json'), 'utf8')).finishedAt, null);
  // The next run is a new one: everything skipped.
  const next = batch([join(dir, 'in'), '--db', db]);
  assert.deepEqual([next.summary.checked, next.summary.skipped, next.summary.resumed], [0, n, false]);
});

test('batch: a worker killed from outside (SIGKILL) mid-run: the run finishes, every input has its row', async (t: TestContext) => {
  if (!requireTools(t, 'sqlite3', 'pgrep')) return;
  const dir = tempDir(t);
  mkdirSync(join(dir, 'in'));
  const n = 10;
  writeAll(join(dir, 'in'), Object.fromEntries(Array.from({ length: n }, (_, i) => [`w${i}.zip`, goodZip(200 + i)])));
  const db = join(dir, 'r.db');
  const child = spawn(process.execPath, [BIN, 'batch', join(dir, 'in'), '--db', db, '--jobs', '2', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => void (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => void (stderr += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  let victim = '';
  await until(
    () => {
      victim =
        spawnSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' })
          .stdout.trim()
          .split('\n')[0] ?? '';
      return victim !== '';
    },
    60_000,
    'a worker',
  );
  process.kill(Number(victim), 'SIGKILL');
  const code = await exited;
  const summary = JSON.parse(stdout) as Summary;
  assert.equal(summary.inputs, n);
  assert.equal(summary.checked + summary.failed, n);
  assert.ok(summary.failed <= 1);
  // Killed while it held an input: that input has its row with exit code 3; killed before its first job: nothing lost.
  assert.equal(code, summary.failed ? 3 : 0, stderr);
  assert.deepEqual(sqliteRows(db, 'count(*), count(DISTINCT path), sum(exit_code = 3)'), [`${n}|${n}|${summary.failed}`]);
});

test('batch: PostgreSQL store (a real cluster), rows read back with psql equal the SQLite ones', async (t: TestContext) => {
  if (!requireTools(t, 'sqlite3')) return;
  const pg = await startPostgres(t);
  if (!pg) return;
  const dir = tempDir(t);
  const paths = writeAll(dir, { 'good.zip': goodZip(), 'bad.zip': badCrcZip(), 'page.zip': htmlPage() });
  writeFileSync(join(dir, 'list'), paths.join('\n'));
  const r = batch([join(dir, 'list'), '--db', pg.url, '--out', join(dir, 'reports'), '--jobs', '2']);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.summary.checked, 3);
  const s = batch([join(dir, 'list'), '--db', join(dir, 'r.db')]);
  assert.equal(s.code, 1);
  const cols = 'path, size, sha256, exit_code, integrity, signature, compatibility, errors, warnings, infos';
  assert.deepEqual(pg.psql(`SELECT ${cols} FROM ${TABLE} ORDER BY path`).trim().split('\n'), sqliteRows(join(dir, 'r.db'), cols));
  assert.equal(readdirSync(join(dir, 'reports')).filter((f) => f.endsWith('.json')).length, 4);
  const again = batch([join(dir, 'list'), '--db', pg.url, '--out', join(dir, 'reports')]);
  assert.equal(again.summary.skipped, 3);
});

test('batch: SIGTERM stops the run with 143 and its workers with it; the journal says unfinished', async (t: TestContext) => {
  if (!requireTools(t, 'pgrep')) return;
  const dir = tempDir(t);
  mkdirSync(join(dir, 'in'));
  writeAll(join(dir, 'in'), Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`s${i}.zip`, goodZip(300 + i)])));
  const reports = join(dir, 'r.db.reports');
  const child = spawn(process.execPath, [BIN, 'batch', join(dir, 'in'), '--db', join(dir, 'r.db'), '--jobs', '2'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => void (stderr += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  let workers: string[] = [];
  await until(
    () => {
      workers = spawnSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' })
        .stdout.trim()
        .split('\n')
        .filter(Boolean);
      return workers.length > 0 && statSync(reports, { throwIfNoEntry: false }) !== undefined && readdirSync(reports).some((f) => f.startsWith('s'));
    },
    120_000,
    'a worker and a report',
  );
  child.kill('SIGTERM');
  assert.equal(await exited, 143, stderr);
  assert.match(stderr, /interrupted by SIGTERM/);
  await until(() => workers.every((pid) => spawnSync('kill', ['-0', pid]).status !== 0), 10_000, 'the workers to exit');
  assert.equal(JSON.parse(readFileSync(join(reports, 'batch-run.json'), 'utf8')).finishedAt, null);
});

test('batch --html: an HTML page beside each JSON report, the same page `check --format html` writes; a rerun adds pages to skipped inputs', async (t: TestContext) => {
  if (!requireTools(t, 'sqlite3')) return;
  const dir = tempDir(t);
  const inDir = join(dir, 'in');
  mkdirSync(inDir);
  const [bad, good] = writeAll(inDir, { 'bad.zip': badCrcZip(), 'good.zip': goodZip() });
  const out = join(dir, 'reports');
  // First without HTML: JSON only.
  const first = batch([inDir, '--db', join(dir, 'r.db'), '--out', out, '--jobs', '1']);
  assert.equal(first.summary.checked, 2);
  assert.deepEqual(
    readdirSync(out).filter((f) => f.endsWith('.html')),
    [],
  );
  // The rerun skips both and writes their pages from the stored reports.
  const second = batch([inDir, '--db', join(dir, 'r.db'), '--out', out, '--jobs', '1', '--html']);
  assert.equal(second.summary.skipped, 2);
  const pages = readdirSync(out).filter((f) => f.endsWith('.html'));
  assert.equal(pages.length, 2, readdirSync(out).join(', '));
  for (const [path, word] of [
    [good, 'verified'],
    [bad, 'failed'],
  ] as const) {
    const page = pages.find((p) => p.startsWith(path.split('/').pop()!));
    assert.ok(page, `a page for ${path}`);
    const html = readFileSync(join(out, page), 'utf8');
    assert.match(html, /^<!DOCTYPE html>/);
    assert.ok(html.includes(word), `${path}: the integrity verdict "${word}" is on the page`);
    // The same renderer as check --format html, on the same report.
    const c = runCli(['check', path, '--format', 'html']);
    assert.equal(c.stdout, html, `${path}: batch's page equals check --format html`);
  }
});
