/** A job's input: a URL streamed to a temp file with a size cap and hashed on the way; a path hashed where it is. */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { InputError, localInput } from '../../src/queue/input';
import { pseudoRandom } from '../../fixtures/builders/data';
import { runCli, runTool, tempDir } from '../helpers';
import { freePort } from '../servers';

const body = pseudoRandom(300_000, 7);

function serve(t: TestContext): Promise<string> {
  const server = createServer((req, res) => {
    if (req.url === '/file') res.writeHead(200, { 'content-length': String(body.length) }).end(body);
    else if (req.url === '/chunked') {
      // No content-length: the cap must hold while the bytes arrive.
      res.writeHead(200);
      res.write(body.subarray(0, 150_000));
      setTimeout(() => res.end(body.subarray(150_000)), 20);
    } else if (req.url === '/short') {
      // Declares more than it sends, then closes.
      res.writeHead(200, { 'content-length': String(body.length) });
      res.write(body.subarray(0, 1000));
      setTimeout(() => res.destroy(), 20);
    } else res.writeHead(404, 'Not Found').end();
  });
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(server.address() as { port: number }).port}`)));
}

test('localInput: a URL is downloaded into the temp dir and hashed as it arrives (sha256sum agrees); dispose removes it', async (t) => {
  const base = await serve(t);
  const tmp = tempDir(t);
  for (const path of ['/file', '/chunked']) {
    const got = await localInput(base + path, { maxBytes: 1 << 20, tempDir: tmp });
    assert.equal(got.size, body.length);
    assert.equal(got.mtimeMs, null);
    assert.equal(got.sha256, runTool('sha256sum', [got.path]).stdout.toString().split(' ')[0]);
    assert.equal(got.sha256, createHash('sha256').update(body).digest('hex'));
    await got.dispose();
    assert.ok(!existsSync(got.path));
  }
  assert.deepEqual(readdirSync(tmp), []);
});

test('localInput: over the cap (declared or streamed), a 404, a cut download and an unreachable server are InputErrors; nothing is left behind', async (t) => {
  const base = await serve(t);
  const tmp = tempDir(t);
  const cases: [string, number, RegExp][] = [
    ['/file', 1000, /declared, more than --max-download/],
    ['/chunked', 200_000, /more than --max-download/],
    ['/missing', 1 << 20, /the server answered 404 Not Found/],
    ['/short', 1 << 20, /broke off after|received, .* declared/],
  ];
  for (const [path, maxBytes, re] of cases) await assert.rejects(localInput(base + path, { maxBytes, tempDir: tmp }), (e: unknown) => e instanceof InputError && re.test(e.message), path);
  const port = await freePort();
  await assert.rejects(localInput(`http://127.0.0.1:${port}/x`, { maxBytes: 10, tempDir: tmp }), (e: unknown) => e instanceof InputError && /cannot fetch \(ECONNREFUSED\)/.test(e.message));
  assert.deepEqual(readdirSync(tmp), []);
});

test('localInput: a path is hashed in place; a missing one names the shared storage', async (t) => {
  const dir = tempDir(t);
  const p = join(dir, 'a.bin');
  writeFileSync(p, body);
  const got = await localInput(p, { maxBytes: 1 });
  assert.equal(got.path, p);
  assert.equal(got.sha256, createHash('sha256').update(body).digest('hex'));
  await assert.rejects(localInput(join(dir, 'nope'), { maxBytes: 1 }), /no such file \(is the shared storage mounted/);
  await assert.rejects(localInput(dir, { maxBytes: 1 }), /not a regular file/);
});

test('enqueue and worker: bad command lines and an unreachable Redis exit 2 with one line', async (t) => {
  const dir = tempDir(t);
  const port = await freePort();
  const q = `redis://127.0.0.1:${port}`;
  const f = join(dir, 'a.zip');
  writeFileSync(f, 'x');
  const cases: [string[], RegExp][] = [
    [['enqueue', '--queue', q, join(dir, 'missing.zip')], /missing\.zip: no such file/],
    [['enqueue', '--queue', q, dir], /not a regular file/],
    [['enqueue', '--queue', q, 'ftp://h/a.zip'], /only paths and http\(s\) URLs/],
    [['enqueue', '--queue', 'localhost:6379', f], /--queue wants redis:\/\/host:port/],
    [['enqueue', '--queue', q, f], /cannot reach Redis/],
    [['enqueue', f], /missing --queue/],
    [['worker', '--queue', q, '--concurrency', '0'], /--concurrency wants a whole number of 1 or more/],
    [['worker', '--queue', q, '--job-timeout', 'soon'], /--job-timeout wants a number of seconds/],
    [['worker', '--queue', q, '--dead-letters'], /cannot reach Redis/],
  ];
  for (const [args, re] of cases) {
    const r = runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
