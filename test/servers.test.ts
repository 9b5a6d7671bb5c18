/** test/servers.ts starts real servers on a free loopback port and stops them. */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startPostgres, startRedis } from './servers';

function refused(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect({ host: '127.0.0.1', port });
    s.on('connect', () => (s.destroy(), res(false)));
    s.on('error', () => res(true));
  });
}

test('startRedis: answers SET/GET, then stops', async (t: TestContext) => {
  const r = await startRedis(t);
  if (!r) return;
  const reply = await new Promise<string>((res, rej) => {
    const s = connect({ host: '127.0.0.1', port: r.port });
    let got = '';
    s.on('error', rej);
    s.on('connect', () => s.write('SET k v\r\nGET k\r\n'));
    s.on('data', (b) => {
      got += b.toString();
      if (got.includes('$1\r\nv\r\n')) (s.destroy(), res(got));
    });
  });
  assert.equal(reply, '+OK\r\n$1\r\nv\r\n');
  await r.stop();
  assert.ok(await refused(r.port));
});

test('startPostgres: psql answers, then the server stops', async (t: TestContext) => {
  const pg = await startPostgres(t);
  if (!pg) return;
  assert.equal(pg.psql('SELECT 6 * 7').trim(), '42');
  await pg.stop();
  assert.ok(await refused(pg.port));
});
