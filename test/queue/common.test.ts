/** The queue's pure parts: the Redis address, job ids, seconds, the backoff. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isUrl, jobIdOf, parseRedisUrl, parseSeconds } from '../../src/queue/common';
import { backoffDelay } from '../../src/queue/worker';
import { UsageError } from '../../src/io/errors';

test('parseRedisUrl: host, port (6379 by default), db, credentials, TLS', () => {
  assert.deepEqual(parseRedisUrl('redis://10.0.0.5:6380/2'), { host: '10.0.0.5', port: 6380, db: 2 });
  assert.deepEqual(parseRedisUrl('redis://queue.lan'), { host: 'queue.lan', port: 6379, db: 0 });
  assert.deepEqual(parseRedisUrl('redis://:s%40cret@[::1]:7000/'), { host: '::1', port: 7000, db: 0, password: 's@cret' });
  assert.deepEqual(parseRedisUrl('rediss://user:pw@h/1'), { host: 'h', port: 6379, db: 1, username: 'user', password: 'pw', tls: {} });
  for (const bad of ['localhost:6379', 'http://h:6379', 'redis://h/x', 'redis://h/1/2', 'nonsense'])
    assert.throws(
      () => parseRedisUrl(bad),
      (e: unknown) => e instanceof UsageError && /--queue/.test(e.message),
      bad,
    );
});

test('jobIdOf: the same path, size and mtime (or the same URL) give the same id; any change another', () => {
  const a = jobIdOf('/s/a.zip', 10, 1000);
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.equal(jobIdOf('/s/a.zip', 10, 1000), a);
  assert.notEqual(jobIdOf('/s/a.zip', 11, 1000), a);
  assert.notEqual(jobIdOf('/s/a.zip', 10, 1001), a);
  assert.notEqual(jobIdOf('/s/b.zip', 10, 1000), a);
  assert.equal(jobIdOf('https://x/a.zip'), jobIdOf('https://x/a.zip'));
  assert.notEqual(jobIdOf('https://x/a.zip'), jobIdOf('https://x/b.zip'));
});

test('isUrl and parseSeconds', () => {
  assert.ok(isUrl('https://x/a.zip') && isUrl('HTTP://x') && !isUrl('/x/https://') && !isUrl('ftp://x'));
  assert.equal(parseSeconds('job-timeout', '1.5'), 1.5);
  assert.equal(parseSeconds('job-timeout', undefined), undefined);
  for (const bad of ['0', '-1', 'abc', '1e3', ''])
    assert.throws(
      () => parseSeconds('job-timeout', bad),
      (e: unknown) => e instanceof UsageError && e.message.includes('--job-timeout'),
    );
});

test('backoffDelay: exponential, base first', () => {
  assert.deepEqual(
    [1, 2, 3, 4].map((n) => backoffDelay(n, 1000)),
    [1000, 2000, 4000, 8000],
  );
});
