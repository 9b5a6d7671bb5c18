/**
 * An interrupted run leaves nothing behind (issue 13, item 4): the built CLI
 * is started on a gzip-wrapped zip large enough to spill (over
 * LIMITS.spillMemoryCap once decompressed), killed with SIGINT, SIGTERM or
 * SIGHUP once its spill file (or `extract`'s `.part` file) exists, and must
 * leave its temp directory and output directory empty, exit 128 + the signal
 * number and say so in one line on stderr.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createGzip, crc32 } from 'node:zlib';
import { once } from 'node:events';
import { BIN, tempDir } from '../helpers';
import { LIMITS } from '../../src/io/limits';
import { inspect } from '../../src/pipeline/inspect';
import { pendingCleanups } from '../../src/io/cleanup';
import { walkArtifacts } from '../../src/report/model';

const MiB = 1024 * 1024;
/** The stored member that makes the zip spill, and whose extraction takes long enough to be caught. */
const BIG = LIMITS.spillMemoryCap + 96 * MiB;

/**
 * Streams a zip of stored all-zero members through gzip into `file` (a few
 * hundred KiB on disk, `BIG` and more once decompressed), without holding it in memory.
 */
async function writeZipGz(file: string, members: { name: string; size: number }[]): Promise<void> {
  const gz = createGzip({ level: 1 });
  const out = createWriteStream(file);
  gz.pipe(out);
  const zero = Buffer.alloc(4 * MiB);
  let offset = 0;
  const put = async (b: Buffer) => {
    offset += b.length;
    if (!gz.write(b)) await once(gz, 'drain');
  };
  const central: Buffer[] = [];
  for (const m of members) {
    let crc = 0;
    for (let left = m.size; left > 0; left -= zero.length) crc = crc32(zero.subarray(0, Math.min(left, zero.length)), crc);
    const name = Buffer.from(m.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x21, 12); // 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(m.size, 18);
    local.writeUInt32LE(m.size, 22);
    local.writeUInt16LE(name.length, 26);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(0x21, 14);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(m.size, 20);
    cd.writeUInt32LE(m.size, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(offset, 42);
    central.push(cd, name);
    await put(local);
    await put(name);
    for (let left = m.size; left > 0; left -= zero.length) await put(zero.subarray(0, Math.min(left, zero.length)));
  }
  const cdStart = offset;
  for (const b of central) await put(b);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(members.length, 8);
  eocd.writeUInt16LE(members.length, 10);
  eocd.writeUInt32LE(offset - cdStart, 12);
  eocd.writeUInt32LE(cdStart, 16);
  await put(eocd);
  gz.end();
  await once(out, 'close');
}

/** Every file under `dir`, recursively (relative paths). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => join(e.parentPath ?? e.path, e.name).slice(dir.length + 1));
}

interface Interrupted {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** What was in the watched directory when the signal was sent. */
  seen: string[];
}

/** Runs the CLI; once `ready(files under watch)` is true, sends `sig`; resolves when the process has exited. */
function interruptWhen(args: string[], watch: string, ready: (files: string[]) => boolean, sig: NodeJS.Signals): Promise<Interrupted> {
  return new Promise((done, fail) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    const err: Buffer[] = [];
    p.stderr.on('data', (b: Buffer) => err.push(b));
    let seen: string[] = [];
    const started = Date.now();
    const poll = setInterval(() => {
      const files = existsSync(watch) ? filesUnder(watch) : [];
      if (ready(files)) {
        clearInterval(poll);
        seen = files;
        p.kill(sig);
      } else if (Date.now() - started > 60_000) {
        clearInterval(poll);
        p.kill('SIGKILL');
      }
    }, 5);
    p.on('error', fail);
    p.on('close', (code, signal) => {
      clearInterval(poll);
      done({ code, signal, stderr: Buffer.concat(err).toString('utf8'), seen });
    });
  });
}

const EXPECTED: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

test('an interrupted inspection removes its spill file and exits 128 + the signal', async (t) => {
  const dir = tempDir(t);
  const input = join(dir, 'big.zip.gz');
  await writeZipGz(input, [
    { name: 'system.img', size: BIG },
    { name: 'boot.img', size: MiB },
  ]);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const tmp = join(dir, `tmp-${sig}`);
    mkdirSync(tmp);
    const r = await interruptWhen(['check', input, '--temp-dir', tmp, '--quiet'], tmp, (files) => files.some((f) => f.endsWith('spill.bin')), sig);
    const where = `${sig}: exit ${r.code} (${r.signal}), saw ${r.seen.join(',')}; stderr ${r.stderr}`;
    assert.ok(r.seen.length > 0, `${where}: the run finished before it spilled`);
    assert.equal(r.code, EXPECTED[sig], where);
    assert.deepEqual(readdirSync(tmp), [], where);
    assert.equal(r.stderr, `romscope: interrupted by ${sig}; temporary files and partial output removed\n`, where);
  }
});

test('an interrupted extract removes its partial output and its spill file', async (t) => {
  const dir = tempDir(t);
  const input = join(dir, 'big.zip.gz');
  await writeZipGz(input, [{ name: 'system.img', size: BIG }]);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    const tmp = join(dir, `tmp-${sig}`);
    const out = join(dir, `out-${sig}`);
    mkdirSync(tmp);
    mkdirSync(out);
    const r = await interruptWhen(['extract', input, 'big.zip/system.img', '-o', out, '--temp-dir', tmp], out, (files) => files.some((f) => f.endsWith('.part')), sig);
    const where = `${sig}: exit ${r.code} (${r.signal}), saw ${r.seen.join(',')}; stderr ${r.stderr}`;
    assert.ok(r.seen.length > 0, `${where}: the extract finished (or failed) before writing`);
    assert.equal(r.code, EXPECTED[sig], where);
    assert.deepEqual(readdirSync(out), [], where);
    assert.deepEqual(readdirSync(tmp), [], where);
  }
});

test('the library installs no signal handler and leaves no cleanup registered after a spilled run', async (t) => {
  const dir = tempDir(t);
  const input = join(dir, 'big.zip.gz');
  await writeZipGz(input, [{ name: 'system.img', size: LIMITS.spillMemoryCap + MiB }]);
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  const before = ['SIGINT', 'SIGTERM', 'SIGHUP'].map((s) => process.listenerCount(s));
  const report = await inspect(input, { sidecars: false, tempDir: tmp });
  assert.ok(
    [...walkArtifacts(report.root)].some((a) => a.path.endsWith('system.img')),
    'the spilled zip was read',
  );
  assert.deepEqual(
    ['SIGINT', 'SIGTERM', 'SIGHUP'].map((s) => process.listenerCount(s)),
    before,
  );
  assert.equal(pendingCleanups(), 0);
  assert.deepEqual(readdirSync(tmp), []);
});

test('an interrupted extract into a directory it made removes that directory too', async (t) => {
  const dir = tempDir(t);
  const input = join(dir, 'big.zip.gz');
  await writeZipGz(input, [{ name: 'system.img', size: BIG }]);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    const base = join(dir, `base-${sig}`);
    const tmp = join(dir, `tmp-${sig}`);
    mkdirSync(base);
    mkdirSync(tmp);
    // extract makes base/new/deeper/ itself; the signal comes once its .part file is there.
    const r = await interruptWhen(['extract', input, 'big.zip/system.img', '-o', join(base, 'new', 'deeper') + '/', '--temp-dir', tmp], base, (files) => files.some((f) => f.endsWith('.part')), sig);
    const where = `${sig}: exit ${r.code} (${r.signal}), saw ${r.seen.join(',')}; stderr ${r.stderr}`;
    assert.ok(
      r.seen.some((f) => f.startsWith(join('new', 'deeper'))),
      `${where}: the extract finished (or failed) before writing`,
    );
    assert.equal(r.code, EXPECTED[sig], where);
    assert.deepEqual(readdirSync(base), [], `${where}: new/ is gone`);
    assert.deepEqual(readdirSync(tmp), [], where);
  }
});

test('loading the library (the package entry point) installs no signal handler', () => {
  const entry = join(BIN, '..', '..', 'dist', 'src', 'index.js');
  const code = `const before = ['SIGINT','SIGTERM','SIGHUP'].map((s) => process.listenerCount(s)); const lib = require(${JSON.stringify(entry)}); if (typeof lib.inspect !== 'function') throw new Error('no inspect'); console.log(JSON.stringify([before, ['SIGINT','SIGTERM','SIGHUP'].map((s) => process.listenerCount(s))]));`;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [
    [0, 0, 0],
    [0, 0, 0],
  ]);
});
