/**
 * The result store's two back ends, with the same checks: SQLite read back
 * with the sqlite3 CLI, PostgreSQL (a real cluster, test/servers.ts) with psql.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { openStore, TABLE, type ResultRow, type ResultStore } from '../../src/store/index';
import { requireTools, tempDir } from '../helpers';
import { startPostgres } from '../servers';

function row(path: string, sha: string, extra: Partial<ResultRow> = {}): ResultRow {
  return {
    path,
    size: 5_000_000_123,
    mtimeMs: 1764800000123.5,
    sha256: sha,
    compatibility: 'unknown',
    integrity: 'passed',
    signature: 'unsigned',
    errors: 0,
    warnings: 2,
    infos: 3,
    exitCode: 0,
    report: JSON.stringify({ path, note: 'ünïcode \u2713' }),
    checkedAt: '2026-12-04T15:00:00.000Z',
    romscopeVersion: '0.1.0',
    ...extra,
  };
}
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

/** The interface's promises, the same for both back ends. */
async function contract(store: ResultStore): Promise<void> {
  assert.equal(await store.count(), 0);
  assert.equal(await store.get('/x/one.zip'), null);
  await store.put(row('/x/one.zip', A));
  assert.deepEqual(await store.get('/x/one.zip'), row('/x/one.zip', A));
  // Replace, not a second row.
  await store.put(row('/x/one.zip', B, { exitCode: 1, errors: 4 }));
  assert.equal(await store.count(), 1);
  assert.deepEqual(await store.get('/x/one.zip'), row('/x/one.zip', B, { exitCode: 1, errors: 4 }));
  assert.equal(await store.getBySha256(A), null);
  assert.equal((await store.getBySha256(B))?.path, '/x/one.zip');
  // putIfNewSha256: refused while a row holds the digest, whatever its path.
  assert.equal(await store.putIfNewSha256(row('https://example.test/two.zip', B, { mtimeMs: null })), false);
  assert.equal(await store.putIfNewSha256(row('https://example.test/two.zip', A, { mtimeMs: null })), true);
  assert.equal(await store.putIfNewSha256(row('https://example.test/other.zip', A, { mtimeMs: null })), false);
  assert.equal(await store.count(), 2);
  assert.deepEqual(await store.get('https://example.test/two.zip'), row('https://example.test/two.zip', A, { mtimeMs: null }));
  // Two paths may hold the same bytes through put.
  await store.put(row('/x/copy.zip', A));
  assert.deepEqual(
    (await store.list()).map((r) => r.path),
    ['/x/copy.zip', '/x/one.zip', 'https://example.test/two.zip'],
  );
  // Concurrent putIfNewSha256 for one new digest: exactly one wins.
  const C = 'c'.repeat(64);
  const wins = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => store.putIfNewSha256(row(`https://example.test/c${i}`, C, { mtimeMs: null }))));
  assert.equal(wins.filter(Boolean).length, 1);
  assert.equal(await store.count(), 4);
  // A bad row is refused before anything is written.
  await assert.rejects(store.put(row('/x/bad', 'ABC')), /sha256/);
  await assert.rejects(store.put(row('/x/bad', A, { errors: -1 })), /errors/);
  assert.equal(await store.count(), 4);
}

test('SQLite store: the interface, WAL, and the file as the sqlite3 CLI reads it', async (t: TestContext) => {
  if (!requireTools(t, 'sqlite3')) return;
  const file = join(tempDir(t), 'sub', 'results.db');
  const store = await openStore(file);
  await contract(store);
  // A second connection (another process would be the same) sees the committed rows.
  const other = await openStore(file);
  assert.equal(await other.count(), 4);
  await other.close();
  await store.close();
  await store.close(); // twice is harmless
  await assert.rejects(store.count(), /after close/);
  const q = (sql: string) => {
    const r = spawnSync('sqlite3', ['-batch', '-noheader', '-separator', '|', file, sql], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  };
  assert.equal(q('PRAGMA journal_mode;'), 'wal');
  assert.equal(q('PRAGMA integrity_check;'), 'ok');
  assert.equal(q(`SELECT path, size, mtime_ms, exit_code, errors FROM ${TABLE} WHERE path = '/x/one.zip';`), `/x/one.zip|5000000123|1764800000123.5|1|4`);
  assert.equal(q(`SELECT count(*) FROM ${TABLE} WHERE sha256 = '${'c'.repeat(64)}';`), '1');
  assert.match(q(`SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = '${TABLE}';`), /\(sha256\)/);
  assert.equal(q(`SELECT report FROM ${TABLE} WHERE path = '/x/one.zip';`), JSON.stringify({ path: '/x/one.zip', note: 'ünïcode \u2713' }));
  // Reopened: the rows are still there.
  const again = await openStore(file);
  assert.equal(await again.count(), 4);
  await again.close();
});

test('PostgreSQL store: the interface against a real cluster, read back with psql', async (t: TestContext) => {
  const pg = await startPostgres(t);
  if (!pg) return;
  const store = await openStore(pg.url.replace(/^postgres:/, 'postgresql:'));
  try {
    await contract(store);
    // A second pool opening the same database: the table is there, not created twice.
    const other = await openStore(pg.url);
    assert.equal(await other.count(), 4);
    // putIfNewSha256 races across two pools (two workers): one winner.
    const D = 'd'.repeat(64);
    const wins = await Promise.all([store, other, store, other].map((s, i) => s.putIfNewSha256(row(`https://example.test/d${i}`, D, { mtimeMs: null }))));
    assert.equal(wins.filter(Boolean).length, 1);
    await other.close();
  } finally {
    await store.close();
  }
  assert.equal(pg.psql(`SELECT path, size, mtime_ms, exit_code, errors FROM ${TABLE} WHERE path = '/x/one.zip'`).trim(), `/x/one.zip|5000000123|1764800000123.5|1|4`);
  assert.equal(pg.psql(`SELECT count(*) FROM ${TABLE}`).trim(), '5');
  assert.equal(pg.psql(`SELECT count(*) FROM ${TABLE} WHERE sha256 = '${'d'.repeat(64)}'`).trim(), '1');
  assert.equal(pg.psql(`SELECT report FROM ${TABLE} WHERE path = '/x/one.zip'`).trim(), JSON.stringify({ path: '/x/one.zip', note: 'ünïcode \u2713' }));
  assert.match(pg.psql(`SELECT indexdef FROM pg_indexes WHERE tablename = '${TABLE}'`), /\(sha256\)/);
});
