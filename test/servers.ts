/**
 * Real database servers for tests: a PostgreSQL cluster (initdb + postgres)
 * and a redis-server, each in a fresh temp directory, on a free loopback
 * port, stopped (and the directory removed) when the test ends. Never a
 * system service. When a server binary is missing the test skips visibly;
 * under CI=true it fails instead (.ci/run installs them).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/** A free TCP port on 127.0.0.1 (the OS picks it; another process could take it before the server binds, so starters retry). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? res(a.port) : rej(new Error('no port'))));
    });
  });
}

/** A visible skip, or under CI=true a failure. Returns null for the caller to return. */
function missing(t: TestContext, what: string): null {
  const msg = `${what} not installed`;
  if (process.env.CI === 'true') throw new Error(`${msg} (CI must install it: see .ci/run)`);
  t.skip(msg);
  return null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Servers left running when the test process exits anyway (a failed assertion before t.after ran, a crash): stopped at exit. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

function track(child: ChildProcess): void {
  running.add(child);
  child.on('exit', () => running.delete(child));
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals, ms = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  await done;
  clearTimeout(timer);
}

export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication on loopback). */
  url: string;
  port: number;
  /** The cluster's bin directory (psql, pg_isready...). */
  bin: string;
  /** Runs `psql -At` with this SQL and returns its output. */
  psql(sql: string): string;
  stop(): Promise<void>;
}

/** The newest /usr/lib/postgresql/<ver>/bin with initdb and postgres, or null. */
export function postgresBin(): string | null {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const vers = readdirSync(base)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  for (const v of vers) {
    const bin = join(base, v, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'postgres'))) return bin;
  }
  return null;
}

/**
 * initdb refuses to run as root: as root the directory goes to the `postgres`
 * user and the commands run as it (setpriv execs, so a signal to the child
 * reaches postgres itself).
 */
function asPostgresUser(cmd: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [cmd, args];
  return ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', cmd, ...args]];
}

/** Starts a PostgreSQL cluster for this test; null (after a visible skip) when PostgreSQL is not installed. */
export async function startPostgres(t: TestContext): Promise<PostgresServer | null> {
  const bin = postgresBin();
  if (!bin) return missing(t, 'PostgreSQL (Debian package postgresql: /usr/lib/postgresql/<ver>/bin/initdb)');
  const dir = mkdtempSync(join(tmpdir(), 'romscope-pg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  if (process.getuid?.() === 0) {
    const pw = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    if (pw.status !== 0) return missing(t, 'the postgres user (created by the Debian package postgresql)');
    chownSync(dir, Number(pw.stdout.trim()), Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim()));
  }
  const data = join(dir, 'data');
  const [icmd, iargs] = asPostgresUser(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const init = spawnSync(icmd, iargs, { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed (${init.status}): ${init.stderr}`);
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    // -F: no fsync (a test cluster); -k: the Unix socket in our directory, not /var/run/postgresql.
    const [cmd, args] = asPostgresUser(join(bin, 'postgres'), ['-D', data, '-k', dir, '-p', String(port), '-h', '127.0.0.1', '-F']);
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    track(child);
    let log = '';
    child.stderr.on('data', (b: Buffer) => void (log += b.toString()));
    const ready = await waitFor(() => spawnSync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-q']).status === 0, child, 30_000);
    if (!ready) {
      await stopChild(child, 'SIGQUIT');
      if (attempt < 2 && /could not bind|Address already in use/.test(log)) continue;
      throw new Error(`postgres did not start: ${log}`);
    }
    const stop = () => stopChild(child, 'SIGINT');
    t.after(stop);
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      port,
      bin,
      psql: (sql) => {
        const r = spawnSync(join(bin, 'psql'), ['-X', '-At', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-c', sql], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`psql failed (${r.status}): ${r.stderr}`);
        return r.stdout;
      },
      stop,
    };
  }
}

/** Polls `ok` every 100 ms until it is true, the child exits or `ms` pass. */
async function waitFor(ok: () => boolean | Promise<boolean>, child: ChildProcess, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    if (await ok()) return true;
    await sleep(100);
  }
  return false;
}

export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** True when a Redis server answers PING on the port. */
function pings(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createConnection({ host: '127.0.0.1', port });
    let got = '';
    const end = (v: boolean) => {
      s.destroy();
      res(v);
    };
    s.setTimeout(1000, () => end(false));
    s.on('error', () => end(false));
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (b) => {
      got += b.toString();
      if (got.includes('\r\n')) end(got.startsWith('+PONG'));
    });
  });
}

/** Starts redis-server for this test (no persistence); null (after a visible skip) when it is not installed. */
export async function startRedis(t: TestContext): Promise<RedisServer | null> {
  if (spawnSync('sh', ['-c', 'command -v redis-server']).status !== 0) return missing(t, 'redis-server (Debian package redis-server)');
  const dir = mkdtempSync(join(tmpdir(), 'romscope-redis-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    let log = '';
    child.stdout.on('data', (b: Buffer) => void (log += b.toString()));
    child.stderr.on('data', (b: Buffer) => void (log += b.toString()));
    const ready = await waitFor(() => pings(port), child, 15_000);
    if (!ready) {
      await stopChild(child, 'SIGKILL');
      if (attempt < 2 && /Address already in use/.test(log)) continue;
      throw new Error(`redis-server did not start: ${log}`);
    }
    const stop = () => stopChild(child, 'SIGTERM');
    t.after(stop);
    return { url: `redis://127.0.0.1:${port}`, port, stop };
  }
}
