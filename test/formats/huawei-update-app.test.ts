/**
 * Huawei UPDATE.APP (src/formats/huawei-update-app): records with their
 * header fields, every partition a child decoded by the other handlers (a
 * sparse image from img2simg, a boot image from mkbootimg), and each 4 KiB
 * block's CRC-16/X-25 checked. The CRC is checked against its catalogue
 * check value and against Python's binascii (CRC-CCITT on bit-reversed
 * bytes), so neither side is only our own code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/index';
import { walkArtifacts, type Report } from '../../src/report/model';
import { crc16x25 } from '../../src/formats/huawei-update-app';
import { buildUpdateApp, x25 } from '../../fixtures/builders/vendor';
import { buildZip } from '../../fixtures/builders/zip';
import { pseudoRandom } from '../../fixtures/builders/data';
import { requireTools, runCli, tempDir } from '../helpers';
import { innerImages } from './inner-images';
import { describe } from '../interop/util';

const rules = (r: Report) => r.findings.map((f) => f.ruleId);

test('CRC-16/X-25: the catalogue check value, and Python binascii on random data', (t) => {
  assert.equal(crc16x25(Buffer.from('123456789')) ^ 0xffff, 0x906e);
  assert.equal(x25(Buffer.from('123456789')), 0x906e);
  if (!requireTools(t, 'python3')) return;
  // Lengths around the 16-byte stride of the sliced table, and whole blocks.
  const samples = [0, 1, 7, 15, 16, 17, 31, 33, 4095, 4096, 5000].map((n, i) => pseudoRandom(n, 40 + i));
  // X-25 is CRC-CCITT (0x1021, init 0xFFFF) over bit-reversed bytes, bit-reversed, xor 0xFFFF.
  const py = `import sys, binascii
rev = lambda v, w: int(format(v, '0%db' % w)[::-1], 2)
for h in sys.argv[1:]:
    d = bytes(rev(b, 8) for b in bytes.fromhex(h))
    print(rev(binascii.crc_hqx(d, 0xffff), 16) ^ 0xffff)`;
  const r = spawnSync('python3', ['-c', py, ...samples.map((s) => s.toString('hex'))], { encoding: 'utf8', maxBuffer: 1 << 24 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(
    r.stdout.trim().split('\n').map(Number),
    samples.map((s) => crc16x25(s) ^ 0xffff),
  );
});

async function realisticApp(t: Parameters<typeof tempDir>[0], o: { corruptBlock?: number; lead?: boolean } = {}): Promise<{ dir: string; file: string; boot: Buffer; simg: Buffer } | null> {
  const inner = innerImages(t);
  if (!inner) return null;
  const { dir, simg, boot } = inner;
  const file = join(dir, 'UPDATE.APP');
  writeFileSync(
    file,
    buildUpdateApp(
      [
        { name: 'BOOT', data: boot },
        { name: 'SYSTEM', data: simg },
        { name: 'VERLIST', data: Buffer.from('boot 1.0\nsystem 1.0\n') },
      ],
      o,
    ),
  );
  return { dir, file, boot, simg };
}

test('UPDATE.APP: records, header fields, children decoded (boot, sparse), every block CRC verified', async (t) => {
  const b = await realisticApp(t);
  if (!b) return;
  const r = await inspect(b.file, { sidecars: false });
  assert.equal(r.root.format, 'huawei-update-app');
  // An UPDATE.APP names no device (its hardware id is a platform code), and it holds a boot image: that is said.
  assert.deepEqual(rules(r), ['compat/no-device-declared'], describe(r.findings));
  assert.deepEqual(
    r.root.children.map((c) => [c.name, c.format, c.size]),
    [
      ['BOOT.img', 'android-boot', b.boot.length],
      ['SYSTEM.img', 'android-sparse', b.simg.length],
      ['VERLIST.img', 'data', 20],
    ],
  );
  const recs = r.root.info.records as Record<string, unknown>[];
  assert.deepEqual(recs[0], {
    name: 'BOOT',
    offset: 92,
    headerLength: 98 + 2 * Math.ceil(b.boot.length / 4096),
    hardwareId: 'HW7x27xx',
    sequence: '0xfffffff0',
    dataLength: b.boot.length,
    date: '2019.06.14',
    time: '10.52.28',
    headerChecksum: '0x1234',
    blockSize: 4096,
  });
  assert.equal(r.root.info.hardwareId, 'HW7x27xx');
  const ok = r.root.facts.filter((f) => f.kind === 'image-checksum-ok');
  assert.equal(ok.length, 3, describe(r.findings));
  assert.equal(r.summary.integrity.status, 'verified');
  // The sparse child expands as simg2img would.
  const raw = [...walkArtifacts(r.root)].find((a) => a.path === 'SYSTEM.img/raw');
  assert.equal(raw?.size, 1 << 20);
});

test('UPDATE.APP: a damaged block is integrity/image-checksum naming the partition and block; without the 92 leading zeros it is still read', async (t) => {
  const b = await realisticApp(t, { corruptBlock: 1, lead: false });
  if (!b) return;
  const r = await inspect(b.file, { sidecars: false });
  assert.equal(r.root.format, 'huawei-update-app');
  assert.equal(r.root.info.leadingZeros, 0);
  const bad = r.findings.filter((f) => f.ruleId === 'integrity/image-checksum');
  assert.equal(bad.length, 1, describe(r.findings));
  assert.match(bad[0].message, /^BOOT: 1 of its \d+ blocks of 4096 bytes do not match the record's CRC-16 list \(block 1\)/);
  assert.equal(r.summary.integrity.status, 'failed');
});

test('UPDATE.APP: cut, trailing garbage, a CRC list of the wrong length, a bad header length', async () => {
  const app = buildUpdateApp([
    { name: 'BOOT', data: pseudoRandom(10000, 1) },
    { name: 'SYSTEM', data: pseudoRandom(9000, 2) },
  ]);
  const cut = await inspect(app.subarray(0, app.length - 100), { name: 'UPDATE.APP', sidecars: false });
  assert.ok(rules(cut).includes('integrity/truncated'), describe(cut.findings));
  const junk = await inspect(Buffer.concat([app, Buffer.from('not a record at all')]), { name: 'UPDATE.APP', sidecars: false });
  assert.deepEqual(rules(junk), ['format/unreadable'], describe(junk.findings));
  const wrongList = Buffer.from(app);
  wrongList.writeUInt32LE(98 + 2, 92 + 4); // one CRC for three blocks (the data then starts too early)
  const w = await inspect(wrongList, { name: 'UPDATE.APP', sidecars: false });
  assert.ok(rules(w).includes('format/unreadable'), describe(w.findings));
  const odd = Buffer.from(app);
  const second = 92 + 98 + 2 * 3 + 10000; // already a multiple of 4
  assert.equal(odd.readUInt32LE(second), 0xa55aaa55);
  odd.writeUInt32LE(99, second + 4);
  const o = await inspect(odd, { name: 'UPDATE.APP', sidecars: false });
  assert.ok(
    o.findings.some((f) => f.ruleId === 'format/unreadable' && /header length of 99/.test(f.message)),
    describe(o.findings),
  );
});

test('UPDATE.APP inside update_full_base.zip: listed through the zip, a partition extracts byte for byte', async (t) => {
  const dir = tempDir(t);
  const boot = pseudoRandom(12345, 9);
  const zip = join(dir, 'update_full_base.zip');
  writeFileSync(zip, buildZip([{ name: 'UPDATE.APP', data: buildUpdateApp([{ name: 'BOOT', data: boot }]) }]));
  const r = await inspect(zip, { sidecars: false });
  const app = r.root.children.find((c) => c.name === 'UPDATE.APP');
  assert.equal(app?.format, 'huawei-update-app');
  const out = join(dir, 'boot.img');
  const x = runCli(['extract', zip, 'UPDATE.APP/BOOT.img', '-o', out]);
  assert.equal(x.code, 0, x.stderr);
  assert.ok(readFileSync(out).equals(boot));
});

test('UPDATE.APP: a record of 16 MiB or more has its block CRCs computed on a hashing thread; the report is the same with ROMSCOPE_HASH_THREADS=0', (t) => {
  const dir = tempDir(t);
  const big = pseudoRandom(17 << 20, 77);
  const file = join(dir, 'UPDATE.APP');
  // Block 3000 of the first record damaged after its CRC list was computed; a second, small record stays on this thread.
  writeFileSync(
    file,
    buildUpdateApp(
      [
        { name: 'SYSTEM', data: big },
        { name: 'VERLIST', data: Buffer.from('1.0\n') },
      ],
      { corruptBlock: 3000 },
    ),
  );
  const threaded = runCli(['inspect', file, '--json']);
  const single = runCli(['inspect', file, '--json'], { env: { ROMSCOPE_HASH_THREADS: '0' } });
  assert.equal(threaded.code, single.code, threaded.stderr);
  const a = JSON.parse(threaded.stdout) as Report;
  const b = JSON.parse(single.stdout) as Report;
  const bad = a.findings.filter((f) => f.ruleId === 'integrity/image-checksum');
  assert.equal(bad.length, 1, describe(a.findings));
  assert.match(bad[0].message, /^SYSTEM: 1 of its 4352 blocks of 4096 bytes do not match the record's CRC-16 list \(block 3000\)/);
  assert.deepEqual(a.findings, b.findings);
  assert.deepEqual(a.root.facts, b.root.facts, 'the same facts in the same order');
});
