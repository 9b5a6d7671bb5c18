/**
 * `inspect --no-hash`: the structure of a package from its headers and
 * directories only. Large packages are made at test time as sparse files (a
 * 4 GiB hole costs no disk and no time to write), and what the inspecting
 * process read is measured from its own /proc/self/io (rchar), not timed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, ftruncateSync, openSync, statSync, writeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { inspect } from '../../src/pipeline/inspect';
import { verdict, passes, inspect as apiInspect } from '../../src/api';
import { UsageError } from '../../src/io/errors';
import { walkArtifacts, type Artifact, type Report } from '../../src/report/model';
import { buildPayload, OP } from '../../fixtures/builders/payload';
import { header as tarHeader } from '../../fixtures/builders/tar';
import { buildLz4Frame } from '../../fixtures/builders/lz4';
import { buildBootImage } from '../../fixtures/builders/bootimg';
import { buildVbmeta, hashDescriptor, rsaKey } from '../../fixtures/builders/avb';
import { BIN, runCli, tempDir } from '../helpers';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

// ---- CRC-32 over a run of zero bytes without reading them (zlib's crc32_combine, for the zip's CRC of a hole) ----
const POLY = 0xedb88320;
function multModP(a: number, b: number): number {
  let m = 1 << 31;
  let p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}
const X2N: number[] = [1 << 30];
for (let k = 1; k < 32; k++) X2N.push(multModP(X2N[k - 1], X2N[k - 1]));
/** x^(n * 2^k) mod P. */
function x2nModP(n: number, k: number): number {
  let p = 1 << 31;
  while (n > 0) {
    if (n % 2) p = multModP(X2N[k & 31], p);
    n = Math.floor(n / 2);
    k++;
  }
  return p >>> 0;
}
/** The CRC-32 of bytes whose CRC is `crc`, followed by `n` zero bytes. */
function crc32Zeros(crc: number, n: number): number {
  return ~multModP(x2nModP(n, 3), ~crc >>> 0) >>> 0;
}

interface Member {
  name: string;
  data: Buffer;
  /** Zero bytes after `data`, left as a hole in the file. */
  zeros?: number;
}

/** A zip64 archive of stored members on disk, holes left unwritten (APPNOTE 6.3 §4.3, 4.5.3). */
function writeZip64(path: string, members: Member[]): number {
  const fd = openSync(path, 'w');
  let pos = 0;
  const put = (b: Buffer) => {
    writeSync(fd, b, 0, b.length, pos);
    pos += b.length;
  };
  const central: Buffer[] = [];
  for (const m of members) {
    const name = Buffer.from(m.name);
    const size = m.data.length + (m.zeros ?? 0);
    const crc = crc32Zeros(crc32(m.data), m.zeros ?? 0);
    const at = pos;
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(45, 4);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(0xffffffff, 18);
    lh.writeUInt32LE(0xffffffff, 22);
    lh.writeUInt16LE(name.length, 26);
    lh.writeUInt16LE(20, 28);
    const lx = Buffer.alloc(20);
    lx.writeUInt16LE(1, 0);
    lx.writeUInt16LE(16, 2);
    lx.writeBigUInt64LE(BigInt(size), 4);
    lx.writeBigUInt64LE(BigInt(size), 12);
    put(Buffer.concat([lh, name, lx, m.data]));
    pos += m.zeros ?? 0;
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(45, 4);
    ch.writeUInt16LE(45, 6);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(0xffffffff, 20);
    ch.writeUInt32LE(0xffffffff, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt16LE(28, 30);
    ch.writeUInt32LE(0xffffffff, 42);
    const cx = Buffer.alloc(28);
    cx.writeUInt16LE(1, 0);
    cx.writeUInt16LE(24, 2);
    cx.writeBigUInt64LE(BigInt(size), 4);
    cx.writeBigUInt64LE(BigInt(size), 12);
    cx.writeBigUInt64LE(BigInt(at), 20);
    central.push(Buffer.concat([ch, name, cx]));
  }
  const cd = Buffer.concat(central);
  const cdAt = pos;
  put(cd);
  const z64At = pos;
  const z = Buffer.alloc(56 + 20 + 22);
  z.writeUInt32LE(0x06064b50, 0);
  z.writeBigUInt64LE(44n, 4);
  z.writeUInt16LE(45, 12);
  z.writeUInt16LE(45, 14);
  z.writeBigUInt64LE(BigInt(members.length), 24);
  z.writeBigUInt64LE(BigInt(members.length), 32);
  z.writeBigUInt64LE(BigInt(cd.length), 40);
  z.writeBigUInt64LE(BigInt(cdAt), 48);
  z.writeUInt32LE(0x07064b50, 56);
  z.writeBigUInt64LE(BigInt(z64At), 64);
  z.writeUInt32LE(1, 72);
  z.writeUInt32LE(0x06054b50, 76);
  z.writeUInt16LE(0xffff, 84);
  z.writeUInt16LE(0xffff, 86);
  z.writeUInt32LE(0xffffffff, 88);
  z.writeUInt32LE(0xffffffff, 92);
  put(z);
  ftruncateSync(fd, pos);
  closeSync(fd);
  return pos;
}

/** A tar on disk (ustar headers), holes left unwritten; ends with the two zero blocks. */
function writeTar(path: string, members: Member[]): number {
  const fd = openSync(path, 'w');
  let pos = 0;
  for (const m of members) {
    const size = m.data.length + (m.zeros ?? 0);
    const h = tarHeader(m.name, size, '0', 0o644, 1700000000, 'ustar');
    writeSync(fd, Buffer.concat([h, m.data]), 0, 512 + m.data.length, pos);
    pos += 512 + size;
    pos += (512 - (pos % 512)) % 512;
  }
  pos += 1024;
  ftruncateSync(fd, pos);
  closeSync(fd);
  return pos;
}

/** An A/B OTA package whose payload has a `system` partition of `big` bytes (one REPLACE operation over a hole), a small boot and vbmeta. */
function writeOta(path: string, big: number): number {
  const boot = buildBootImage({ headerVersion: 2, kernel: Buffer.alloc(8192, 0x4b), ramdisk: Buffer.alloc(4096, 0x52), dtb: Buffer.alloc(512, 0xd7) });
  const vbmeta = buildVbmeta({});
  let blobs = 0;
  const built = buildPayload(
    [
      { name: 'boot', data: Buffer.concat([boot, Buffer.alloc((4096 - (boot.length % 4096)) % 4096)]), type: 'REPLACE_XZ' },
      { name: 'vbmeta', data: Buffer.concat([vbmeta, Buffer.alloc((4096 - (vbmeta.length % 4096)) % 4096)]) },
    ],
    {
      editManifest: (m) => {
        for (const p of m.partitions) for (const o of p.operations) blobs = Math.max(blobs, Number(o.dataOffset ?? 0) + Number(o.dataLength ?? 0));
        m.partitions.push({ name: 'system', newSize: big, operations: [{ type: OP.REPLACE, dataOffset: blobs, dataLength: big, dst: [{ start: 0, blocks: big / 4096 }] }] });
      },
    },
  );
  const metadata = Buffer.from('ota-type=AB\npre-device=romscope_big\npost-timestamp=1700000000\n');
  return writeZip64(path, [
    { name: 'META-INF/com/android/metadata', data: metadata },
    { name: 'payload.bin', data: built.payload, zeros: big },
    { name: 'payload_properties.txt', data: Buffer.from(`FILE_SIZE=${built.payload.length + big}\nMETADATA_SIZE=${built.metadataSize}\n`) },
  ]);
}

const KEY = rsaKey(2048);

/** A Samsung AP tar: an LZ4 boot image, a signed vbmeta image whose hash descriptor covers it, and a `super.img` of `big` zero bytes. */
async function writeApTar(path: string, big: number): Promise<number> {
  const boot = buildBootImage({ headerVersion: 2, kernel: Buffer.alloc(8192, 0x4b), ramdisk: Buffer.alloc(4096, 0x52), dtb: Buffer.alloc(512, 0xd7) });
  const vbmeta = buildVbmeta({ algorithm: 'SHA256_RSA2048', key: KEY, descriptors: [hashDescriptor(boot, 'boot', Buffer.alloc(32, 1))] });
  return writeTar(path, [
    { name: 'boot.img.lz4', data: await buildLz4Frame(boot, { contentSize: true, contentChecksum: true }) },
    { name: 'vbmeta.img', data: vbmeta },
    { name: 'super.img', data: Buffer.alloc(0), zeros: big },
  ]);
}

/** The CLI in a child process: its output, exit code, and the bytes it read (rchar of /proc/self/io, at exit). */
function runMeasured(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; rchar: number; wallMs: number }> {
  const started = Date.now();
  const wrapper = `process.on('exit', () => { const fs = require('fs'); fs.writeSync(3, fs.readFileSync('/proc/self/io', 'utf8')); }); require(${JSON.stringify(BIN)});`;
  return new Promise((done, fail) => {
    const p = spawn(process.execPath, ['-e', wrapper, BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const io: Buffer[] = [];
    p.stdout!.on('data', (b: Buffer) => out.push(b));
    p.stderr!.on('data', (b: Buffer) => err.push(b));
    (p.stdio[3] as NodeJS.ReadableStream).on('data', (b: Buffer) => io.push(b));
    p.on('error', fail);
    p.on('close', (code) => {
      const m = /^rchar: (\d+)$/m.exec(Buffer.concat(io).toString());
      done({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), rchar: m ? Number(m[1]) : NaN, wallMs: Date.now() - started });
    });
  });
}

const canMeasure = existsSync('/proc/self/io');

function byPath(r: Report): Map<string, Artifact> {
  return new Map([...walkArtifacts(r.root)].map((a) => [a.path, a]));
}

test('crc32Zeros agrees with zlib over real zeros', () => {
  for (const [head, n] of [
    [Buffer.from('abc'), 0],
    [Buffer.from('abc'), 1],
    [Buffer.alloc(0), 4096],
    [Buffer.from('payload'), 1000003],
  ] as const) {
    assert.equal(crc32Zeros(crc32(head), n), crc32(Buffer.concat([head, Buffer.alloc(n)])));
  }
});

for (const kind of ['OTA zip', 'AP tar'] as const) {
  const write = (path: string, big: number) => (kind === 'OTA zip' ? Promise.resolve(writeOta(path, big)) : writeApTar(path, big));
  const file = kind === 'OTA zip' ? 'ota.zip' : 'AP_BIG.tar';

  test(`${kind} of 4 GiB: --no-hash reads a few MiB of it`, { skip: !canMeasure && 'no /proc/self/io here' }, async (t) => {
    const dir = tempDir(t);
    const big = join(dir, file);
    const size = await write(big, 4 * GiB + 64 * MiB);
    assert.ok(statSync(big).size > 4 * GiB);
    assert.ok(statSync(big).blocks * 512 < 16 * MiB, 'the package is a sparse file');
    // What starting the CLI reads (node, its modules) is measured on the same package with a small hole.
    const small = join(dir, `small-${file}`);
    await write(small, 2 * MiB);
    const base = await runMeasured(['inspect', '--no-hash', '--json', small]);
    assert.equal(base.code, 0, base.stderr);
    const r = await runMeasured(['inspect', '--no-hash', '--json', big]);
    assert.equal(r.code, 0, r.stderr);
    const extra = r.rchar - base.rchar;
    t.diagnostic(`${kind}: ${size} bytes; rchar ${r.rchar} (${base.rchar} for the 2 MiB package): ${extra} more; ${r.wallMs} ms wall (not asserted)`);
    assert.ok(extra < 4 * MiB, `read ${extra} bytes more than for the small package`);
    assert.ok(r.rchar < 32 * MiB, `read ${r.rchar} bytes in all`);
    // rchar does count the package's bytes: a full inspect of the small package reads its 2 MiB hole (and more).
    const fullSmall = await runMeasured(['inspect', '--json', small]);
    assert.equal(fullSmall.code, 0, fullSmall.stderr);
    assert.ok(fullSmall.rchar > base.rchar + 2 * MiB, `full inspect read ${fullSmall.rchar}, --no-hash ${base.rchar}`);
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(report.input.size, size);
    assert.equal(report.summary.integrity.status, 'unchecked');
    assert.match(report.summary.integrity.reason ?? '', /--no-hash/);
    if (kind === 'AP tar') {
      // The vbmeta signature verifies from its own bytes, but what it covers was not hashed: not "verified".
      assert.equal(report.summary.signature.status, 'unverifiable');
      assert.match(report.summary.signature.reason, /--no-hash.*AVB signature verified/);
    } else {
      // Headers alone show it: no whole-file signature, an unsigned payload.
      assert.equal(report.summary.signature.status, 'unsigned');
    }
    for (const a of walkArtifacts(report.root)) assert.deepEqual(a.hashes, {}, `${a.path} has no digests`);
    const arts = byPath(report);
    if (kind === 'OTA zip') {
      assert.equal(arts.get('payload.bin')?.format, 'ota-payload');
      const sys = arts.get('payload.bin/system.img')!;
      assert.equal(sys.size, 4 * GiB + 64 * MiB);
      assert.match(String(sys.info.notRead), /--no-hash/);
      assert.equal(arts.get('payload.bin/vbmeta.img')?.format, 'avb-vbmeta', 'a small partition is decoded');
      assert.deepEqual(report.summary.compatibility.declared.device, ['romscope_big']);
    } else {
      assert.equal(arts.get('super.img')?.size, 4 * GiB + 64 * MiB);
      assert.equal(arts.get('boot.img.lz4/boot.img')?.format, 'android-boot');
      assert.equal(arts.get('vbmeta.img')?.format, 'avb-vbmeta');
    }
  });

  test(`${kind}: the --no-hash listing is the full listing, less what lies inside bytes it does not read`, async (t) => {
    const dir = tempDir(t);
    const path = join(dir, file);
    await write(path, 2 * MiB);
    const full = await inspect(path);
    const fast = await inspect(path, { noHash: true });
    const A = byPath(full);
    const B = byPath(fast);
    let compared = 0;
    for (const [p, b] of B) {
      const a = A.get(p);
      assert.ok(a, `${p} is in the full listing`);
      assert.equal(b.size === null ? null : b.size, a.size === null || b.info.notRead ? b.size : a.size, `${p} size`);
      if (!b.info.notRead) {
        assert.equal(b.format, a.format, `${p} format`);
        compared++;
      }
    }
    // Everything the full walk found outside unread bytes is listed.
    const unread = [...B.values()].filter((b) => b.info.notRead).map((b) => `${b.path}/`);
    for (const p of A.keys()) if (!unread.some((u) => p.startsWith(u))) assert.ok(B.has(p), `${p} is in the --no-hash listing`);
    assert.ok(compared >= 4);
    if (kind === 'OTA zip') assert.deepEqual(unread, ['payload.bin/system.img/'], 'the 2 MiB partition is listed, not decoded');
    assert.deepEqual(fast.summary.compatibility.declared, full.summary.compatibility.declared);
    assert.equal(full.summary.integrity.reason, undefined);
    if (kind === 'AP tar') {
      // The full walk compares the boot image with the vbmeta's hash descriptor; --no-hash does not.
      assert.equal(full.summary.signature.status, 'verified');
      assert.equal(fast.summary.signature.status, 'unverifiable');
    }
  });
}

test('check refuses --no-hash (exit 2): a check that compares no digest cannot pass', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'x.bin');
  writeTar(path, [{ name: 'a.txt', data: Buffer.from('a') }]);
  const r = runCli(['check', '--no-hash', path]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /check cannot run with --no-hash/);
  const i = runCli(['inspect', '--no-hash', path]);
  assert.equal(i.code, 0, i.stderr);
  assert.match(i.stdout, /integrity: not checked \(--no-hash\)/);
  // The last of --hash and --no-hash counts.
  const back = runCli(['inspect', '--no-hash', '--hash', 'md5', '--json', path]);
  assert.equal(back.code, 0, back.stderr);
  assert.ok((JSON.parse(back.stdout) as Report).root.hashes.md5);
});

test('the library: inspect({ noHash }) gives a report verdict() and passes() refuse to judge', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'a.tar');
  writeTar(path, [{ name: 'a.txt', data: Buffer.from('a') }]);
  const report = await apiInspect(path, { noHash: true });
  assert.throws(
    () => verdict(report),
    (e: unknown) => e instanceof UsageError && /noHash/.test(e.message),
  );
  assert.throws(() => passes(report), UsageError);
  assert.equal(verdict(await apiInspect(path)).ok, true);
});
