/**
 * The hashing threads and the read ring: digests computed on the pool equal
 * node:crypto's and Debian's sha256sum, a stored zip member's bytes are read
 * from disk once for both digests, memory stays at the ring's size however
 * large the input, and a hashing thread that dies is an error, not a hang.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { writeFileSync, readFileSync, closeSync, openSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import { HASH_OFFLOAD_MIN, HashPool, HashThreadError } from '../../src/io/hash-pool';
import { BlockCrc16, blockCrcAlgo, blockCrcSize } from '../../src/io/crc16';
import { x25 } from '../../fixtures/builders/vendor';
import { BufferRing } from '../../src/io/ring';
import { DigestSet, type RangeDigest } from '../../src/io/digest-set';
import { FileSource, readRing, scanRange } from '../../src/io/source';
import { BIN, hasTool, runTool, tempDir } from '../helpers';

const sha = (algo: string, b: Buffer) => createHash(algo).update(b).digest('hex');

test('digests on the pool equal node:crypto for random sizes, from ring slots and from plain buffers', async (t) => {
  const dir = tempDir(t);
  const pool = new HashPool(2);
  assert.ok(pool.threaded, 'the worker script is built next to hash-pool.js');
  for (let i = 0; i < 6; i++) {
    // Sizes around and across the 1 MiB slots, and odd ones.
    const size = [0, 1, readRing().slotSize, readRing().slotSize + 1, randomInt(1, 5 << 20), randomInt(3 << 20, 9 << 20)][i];
    const data = randomBytes(size);
    const file = join(dir, `in${i}`);
    writeFileSync(file, data);
    const src = await FileSource.open(file);
    try {
      // Read into ring slots (posted as they are) and the same bytes as plain buffers of uneven lengths (copied into slots).
      const a = new DigestSet(['sha256', 'md5', 'crc32'], pool);
      const b = new DigestSet(['sha1', 'sha256'], pool);
      await scanRange(src, 0, src.size, async (c) => {
        const p = a.update(c);
        if (p) await p;
      });
      for (let o = 0; o < size;) {
        const n = Math.min(size - o, randomInt(1, 3 << 20));
        const p = b.update(Buffer.from(data.subarray(o, o + n)));
        if (p) await p;
        o += n;
      }
      const da = await a.digest();
      assert.deepEqual(Object.keys(da), ['sha256', 'md5', 'crc32'], 'the order asked for');
      assert.equal(da.sha256, sha('sha256', data), `sha256 of ${size} bytes`);
      assert.equal(da.md5, sha('md5', data));
      assert.equal(da.crc32, (await digestHere(['crc32'], data)).crc32, 'crc32 stays on this thread');
      const db = await b.digest();
      assert.equal(db.sha1, sha('sha1', data));
      assert.equal(db.sha256, sha('sha256', data));
    } finally {
      await src.close();
    }
  }
  assert.equal(readRing().inUse, 0, 'every slot is back in the ring');
});

async function digestHere(algos: ('crc32' | 'sha256')[], data: Buffer): Promise<Record<string, string>> {
  const d = new DigestSet(algos);
  await d.update(data);
  return d.digest();
}

test('range digests crossing slot boundaries see the same bytes beside pool digests', async (t) => {
  const dir = tempDir(t);
  const pool = new HashPool(2);
  const size = randomInt(4 << 20, 7 << 20);
  const data = randomBytes(size);
  const file = join(dir, 'in');
  writeFileSync(file, data);
  const src = await FileSource.open(file);
  t.after(() => src.close());
  const d = new DigestSet(['sha256'], pool);
  const got: { r: RangeDigest; hex: string }[] = [];
  const slot = readRing().slotSize;
  const ranges: [number, number][] = [
    [slot - 7, slot + 7],
    [0, 3 * slot + 1],
    [randomInt(0, size), size],
    [2 * slot, 2 * slot],
  ];
  for (let i = 0; i < 20; i++) {
    const s = randomInt(0, size);
    ranges.push([s, Math.min(size, s + randomInt(1, 3 * slot))]);
  }
  ranges.sort((x, y) => x[0] - y[0]);
  for (const [start, end] of ranges) {
    const r: RangeDigest = { algo: 'sha1', start, end, done: (hex) => got.push({ r, hex }) };
    d.addRange(r);
  }
  await scanRange(src, 0, size, async (c) => {
    const p = d.update(c);
    if (p) await p;
  });
  assert.equal((await d.digest()).sha256, sha('sha256', data));
  assert.equal(got.length, ranges.length);
  for (const { r, hex } of got) assert.equal(hex, sha('sha1', data.subarray(r.start, r.end)), `bytes ${r.start}-${r.end}`);
});

test('a hashing thread that dies fails its digests with a clear error and gives its slots back', async (t) => {
  const dir = tempDir(t);
  const script = join(dir, 'dies.js');
  writeFileSync(script, "require('node:worker_threads').parentPort.on('message', (m) => { if (m.op === 'update') process.exit(3); });\n");
  const ring = new BufferRing(1 << 16, 4);
  const pool = new HashPool(1, ring, script);
  const d = pool.digest('sha256');
  // More chunks than the ring holds: without the slots coming back, this would wait for ever.
  for (let i = 0; i < 10; i++) await d.update(randomBytes(1 << 16));
  await assert.rejects(d.digest(), (e: Error) => e instanceof HashThreadError && /hashing thread stopped \(exit code 3\)/.test(e.message));
  assert.equal(ring.inUse, 0);
});

test('a stored zip member is read from disk once for its own digest and the zip’s; both match sha256sum', { skip: !hasTool('zip') || !hasTool('sha256sum') }, (t) => {
  const dir = tempDir(t);
  // Above the size from which digests go to the hashing threads.
  const member = join(dir, 'member.bin');
  writeFileSync(member, randomBytes(40 << 20));
  runTool('zip', ['-q', '-0', join(dir, 'stored.zip'), 'member.bin'], { cwd: dir });
  const zip = join(dir, 'stored.zip');
  const r = measured(dir, ['inspect', '--json', zip]);
  const sum = (f: string) => runTool('sha256sum', [f]).stdout.toString().split(' ')[0];
  const tree = findArtifacts(JSON.parse(r.stdout));
  assert.equal(tree.get(''), sum(zip));
  assert.equal(tree.get('member.bin'), sum(member));
  const size = Number(runTool('stat', ['-c', '%s', zip]).stdout.toString());
  // The zip once, plus headers and the central directory read again: well under twice.
  assert.ok(r.rchar < size * 1.2, `read ${r.rchar} bytes for a ${size}-byte zip`);
});

test('a 1 GiB input keeps memory at the ring’s size (checked in a child process)', { skip: !hasTool('sha256sum') }, (t) => {
  const dir = tempDir(t);
  // A sparse file: reads of it are fast (faster than hashing), which is what backpressure is for; no disk space used.
  const file = join(dir, 'zeros.img');
  const fd = openSync(file, 'w');
  ftruncateSync(fd, 1 << 30);
  closeSync(fd);
  const r = measured(dir, ['inspect', '--json', file]);
  const tree = findArtifacts(JSON.parse(r.stdout));
  assert.equal(tree.get(''), runTool('sha256sum', [file]).stdout.toString().split(' ')[0]);
  assert.ok(r.maxRssMiB < 200, `peak RSS ${r.maxRssMiB} MiB`);
});

/** Runs the CLI in a child process that reports the bytes it read (/proc rchar) and its peak RSS. */
function measured(dir: string, args: string[]): { stdout: string; rchar: number; maxRssMiB: number } {
  const probe = join(dir, 'probe.js');
  writeFileSync(
    probe,
    "process.on('exit', () => { const io = require('fs').readFileSync('/proc/self/io', 'utf8'); require('fs').writeSync(2, '\\nPROBE ' + /rchar: (\\d+)/.exec(io)[1] + ' ' + process.resourceUsage().maxRSS + '\\n'); });\n",
  );
  const r = spawnSync(process.execPath, ['-r', probe, BIN, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const m = /PROBE (\d+) (\d+)/.exec(r.stderr);
  assert.ok(m, r.stderr);
  return { stdout: r.stdout, rchar: Number(m[1]), maxRssMiB: Number(m[2]) / 1024 };
}

/** sha256 by artifact path (the input itself is ""), from a JSON report. */
function findArtifacts(report: unknown): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (a: { path?: string; hashes?: { sha256?: string }; children?: unknown[] }) => {
    if (a.path !== undefined && a.hashes?.sha256) out.set(a.path, a.hashes.sha256);
    for (const c of a.children ?? []) visit(c as typeof a);
  };
  visit((report as { root: never }).root);
  return out;
}

test('large range digests and block CRC lists run on the hashing threads; their callbacks keep the single-thread order', async (t) => {
  const dir = tempDir(t);
  const size = HASH_OFFLOAD_MIN * 2 + 12345;
  const data = randomBytes(size);
  const file = join(dir, 'in');
  writeFileSync(file, data);
  const src = await FileSource.open(file);
  t.after(() => src.close());
  // Thread-sized ranges (16 MiB or more) between small ones that stay here, ending in an order unlike their starts.
  const specs: [RangeDigest['algo'], number, number][] = [
    ['sha256', 0, HASH_OFFLOAD_MIN + 5],
    [blockCrcAlgo(4096), 0, size],
    ['sha1', 100, 200],
    [blockCrcAlgo(4096), 7, 7 + 3 * 4096 + 11],
    ['md5', 3000, HASH_OFFLOAD_MIN * 2],
    ['sha1', HASH_OFFLOAD_MIN + 1, HASH_OFFLOAD_MIN + 9],
  ];
  const run = async (pool: HashPool | null) => {
    const order: number[] = [];
    const hex: string[] = [];
    const d = new DigestSet(['sha256'], pool);
    specs.forEach(([algo, start, end], i) => d.addRange({ algo, start, end, done: (h) => (order.push(i), (hex[i] = h)) }));
    await scanRange(src, 0, size, async (c) => {
      const p = d.update(c);
      if (p) await p;
    });
    await d.settle();
    return { order, hex, whole: (await d.digest()).sha256 };
  };
  const here = await run(null);
  const threads = await run(new HashPool(2));
  assert.deepEqual(threads.order, here.order, 'callbacks run in the order their ranges ended');
  assert.deepEqual(threads.hex, here.hex);
  assert.equal(threads.whole, sha('sha256', data));
  // Against the fixture builder's byte-at-a-time CRC-16/X-25 and node:crypto.
  const blocks = (b: Buffer) => {
    const out = Buffer.alloc(Math.ceil(b.length / 4096) * 2);
    for (let i = 0; i * 4096 < b.length; i++) out.writeUInt16LE(x25(b.subarray(i * 4096, (i + 1) * 4096)), i * 2);
    return out.toString('hex');
  };
  specs.forEach(([algo, start, end], i) => assert.equal(here.hex[i], algo.startsWith('crc16') ? blocks(data.subarray(start, end)) : sha(algo, data.subarray(start, end)), `range ${i}`));
  assert.equal(readRing().inUse, 0);

  // A thread-sized range really goes to a thread: one that dies fails the pass with a clear error.
  const script = join(dir, 'dies.js');
  writeFileSync(script, "require('node:worker_threads').parentPort.on('message', (m) => { if (m.op === 'update') process.exit(3); });\n");
  const d = new DigestSet([], new HashPool(1, readRing(), script));
  let called = false;
  d.addRange({ algo: blockCrcAlgo(4096), start: 0, end: size, done: () => (called = true) });
  await scanRange(src, 0, size, async (c) => {
    const p = d.update(c);
    if (p) await p;
  }).catch(() => undefined);
  await assert.rejects(d.settle(), (e: Error) => e instanceof HashThreadError);
  assert.equal(called, false);
  assert.equal(readRing().inUse, 0);
});

test('BlockCrc16 equals the byte-at-a-time CRC per block whatever the chunking', () => {
  const data = randomBytes(5 * 4096 + 77);
  const want = Buffer.alloc(6 * 2);
  for (let i = 0; i < 6; i++) want.writeUInt16LE(x25(data.subarray(i * 4096, (i + 1) * 4096)), i * 2);
  for (const step of [1, 15, 16, 17, 4095, 4096, 8193, data.length]) {
    const h = new BlockCrc16(4096);
    for (let o = 0; o < data.length; o += step) h.update(data.subarray(o, o + step));
    assert.equal(h.digest(), want.toString('hex'), `chunks of ${step}`);
  }
  assert.equal(blockCrcSize('crc16-x25/4096'), 4096);
  assert.equal(blockCrcSize('crc16-x25/0'), null);
  assert.equal(blockCrcSize('sha256'), null);
});

test('an Odin tar.md5 is read once for its members, its own digests and its md5 line; md5sum agrees, and a flipped byte fails it', { skip: !hasTool('tar') || !hasTool('md5sum') }, (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'system.img'), randomBytes(40 << 20));
  writeFileSync(join(dir, 'boot.img'), randomBytes(3 << 20));
  const tarFile = join(dir, 'AP_TEST.tar');
  runTool('tar', ['--format=ustar', '-cf', tarFile, '-C', dir, 'system.img', 'boot.img']);
  const md5 = runTool('md5sum', [tarFile]).stdout.toString().split(' ')[0];
  const tar = readFileSync(tarFile);
  const file = join(dir, 'AP_TEST.tar.md5');
  writeFileSync(file, Buffer.concat([tar, Buffer.from(`${md5}  AP_TEST.tar\n`)]));
  const r = measured(dir, ['inspect', '--json', file]);
  const report = JSON.parse(r.stdout) as { root: { format: string; info: Record<string, unknown> }; findings: { ruleId: string }[] };
  assert.equal(report.root.format, 'samsung-tar-md5');
  assert.equal(report.root.info.md5Actual, md5);
  const integrity = (f: { ruleId: string }[]) => f.map((x) => x.ruleId).filter((id) => id.startsWith('integrity/'));
  assert.deepEqual(integrity(report.findings), []);
  const size = tar.length;
  assert.ok(r.rchar < size * 1.2, `read ${r.rchar} bytes for a ${size}-byte tar`);
  // A byte of the large member flipped: its own digest changes and the md5 line no longer matches.
  const bad = Buffer.concat([tar, Buffer.from(`${md5}  AP_TEST.tar\n`)]);
  bad[512 + (20 << 20)] ^= 1;
  writeFileSync(file, bad);
  const b = JSON.parse(measured(dir, ['inspect', '--json', file]).stdout) as typeof report;
  assert.deepEqual(integrity(b.findings), ['integrity/tar-md5']);
});

test('small chunks are gathered before they are posted, in order with large ones: the digest is node:crypto’s and the messages few', async () => {
  const pool = new HashPool(2);
  assert.ok(pool.threaded);
  let updates = 0;
  const post = pool.post.bind(pool);
  pool.post = (th, m, slot) => {
    if (m.op === 'update') updates++;
    post(th, m, slot);
  };
  // 20,000 chunks of 1 to 600 bytes (a tar of tiny members), then large plain buffers and more small ones between them:
  // the order of bytes must survive the gathering buffer being flushed before each large chunk.
  const parts: Buffer[] = [];
  for (let i = 0; i < 20_000; i++) parts.push(randomBytes(1 + (i % 600)));
  for (let i = 0; i < 3; i++) parts.push(randomBytes(200_000 + i), randomBytes(7), randomBytes(65_535));
  const whole = Buffer.concat(parts);
  const d = pool.digest('sha256');
  for (const p of parts) await d.update(p);
  assert.equal(await d.digest(), sha('sha256', whole));
  // About one message per 256 KiB gathered plus one per large chunk, where a message per chunk would be 20,009.
  assert.ok(updates < 40, `${updates} update messages for ${parts.length} chunks`);
});

test('a range digest with a prefix hashes the prefix first, on a hashing thread and on this one', async (t) => {
  const dir = tempDir(t);
  const size = HASH_OFFLOAD_MIN + 3 * 65536 + 11;
  const data = randomBytes(size);
  const file = join(dir, 'in');
  writeFileSync(file, data);
  const src = await FileSource.open(file);
  t.after(() => src.close());
  const prefix = Buffer.from(randomBytes(512));
  for (const pool of [new HashPool(1), null]) {
    const d = new DigestSet(['sha256'], pool);
    const got: string[] = [];
    // The large range goes to a thread when there is a pool; the small one stays here either way.
    d.addRange({ algo: 'md5', start: 7, end: size, prefix, done: (hex) => got.push(hex) });
    d.addRange({ algo: 'md5', start: 100, end: 5000, prefix, done: (hex) => got.push(hex) });
    await scanRange(src, 0, size, async (c) => {
      const p = d.update(c);
      if (p) await p;
    });
    await d.digest();
    const md5 = (b: Buffer) => createHash('md5').update(prefix).update(b).digest('hex');
    assert.deepEqual(got.sort(), [md5(data.subarray(7)), md5(data.subarray(100, 5000))].sort(), pool ? 'with a pool' : 'without a pool');
  }
});

test('warm starts the threads asked for before any digest, never more than the pool holds, and idle warm threads do not keep the process alive', (t) => {
  const dir = tempDir(t);
  const marker = join(dir, 'started');
  const script = join(dir, 'counts.js');
  // Each thread notes its start, then waits for messages as the real one does.
  writeFileSync(script, `require('node:fs').appendFileSync(${JSON.stringify(marker)}, 'x'); require('node:worker_threads').parentPort.on('message', () => {});\n`);
  const child = `const { HashPool } = require(${JSON.stringify(join(__dirname, '..', '..', 'src', 'io', 'hash-pool.js'))});
const pool = new HashPool(3, undefined, ${JSON.stringify(script)});
pool.warm(5);
pool.warm(); // no more threads than the pool's size
setTimeout(() => {}, 1500);`;
  const r = spawnSync(process.execPath, ['-e', child], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(readFileSync(marker, 'utf8'), 'xxx');
});
