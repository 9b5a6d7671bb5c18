/**
 * Unisoc / Spreadtrum `.pac` (src/formats/unisoc-pac): header fields, the
 * file table, every file a child decoded down to its own checks (a sparse
 * image from img2simg, a boot image from mkbootimg, a signed vbmeta whose
 * hash descriptor covers the boot image), CRC1 over the header and CRC2
 * over the rest checked, one flipped byte in any file found by CRC2, lying
 * tables turned into findings, and a package over 4 GiB (a file with holes)
 * read through its 64-bit sizes and offsets. The CRC-16/ARC is checked
 * against its catalogue check value and the table pacextractor publishes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/index';
import { walkArtifacts, type Report } from '../../src/report/model';
import { crc16Arc, MAX_PAC_FILES } from '../../src/formats/unisoc-pac';
import { arc16, buildPac, PAC_ENTRY, PAC_HEADER, writeSparsePac, type PacFile } from '../../fixtures/builders/pac';
import { buildBootImage } from '../../fixtures/builders/bootimg';
import { pseudoRandom } from '../../fixtures/builders/data';
import { runCli, tempDir } from '../helpers';
import { innerImages } from './inner-images';
import { artifactAt, describe } from '../interop/util';

const rules = (r: Report) => r.findings.map((f) => f.ruleId);
const facts = (r: Report, kind: string) => r.root.facts.filter((f) => f.kind === kind).map((f) => f.message);

test('CRC-16/ARC: the catalogue check value, the table pacextractor publishes, and the bit-by-bit builder on random data', () => {
  assert.equal(crc16Arc(Buffer.from('123456789')), 0xbb3d);
  // pacextractor's crc16 table: entry i is the CRC of the single byte i.
  assert.deepEqual(
    [1, 2, 3, 0x80, 0xff].map((i) => crc16Arc(Buffer.from([i]))),
    [0xc0c1, 0xc181, 0x0140, 0xa001, 0x4040],
  );
  for (const [n, seed] of [
    [0, 1],
    [1, 2],
    [5000, 3],
    [70000, 4],
  ]) {
    const d = pseudoRandom(n, seed);
    assert.equal(crc16Arc(d), arc16(d));
    // Continued over two pieces, as the hashing pass feeds it.
    assert.equal(crc16Arc(d.subarray(n >> 1), crc16Arc(d.subarray(0, n >> 1))), arc16(d));
  }
});

interface Built {
  dir: string;
  boot: Buffer;
  simg: Buffer;
  vbmeta: Buffer;
  files: PacFile[];
}

/** A sparse system image from img2simg, a boot image from mkbootimg, a vbmeta signing the boot image's hash, an FDL, an operation and the XML configuration. */
function realistic(t: Parameters<typeof tempDir>[0]): Built | null {
  const inner = innerImages(t, { osVersion: '13.0.0', patchLevel: '2023-05' });
  if (!inner) return null;
  const { dir, simg, boot, vbmeta } = inner;
  const files: PacFile[] = [
    { id: 'FDL', name: 'fdl1-sign.bin', data: pseudoRandom(3000, 5), addresses: [0x5500] },
    { id: 'BOOT', name: 'boot.img', data: boot },
    { id: 'SYSTEM', name: 'system.img', data: simg },
    { id: 'VBMETA', name: 'vbmeta.img', data: vbmeta },
    { id: 'FLASH', name: '' },
    { id: '', name: 'ums512_1h10.xml', data: Buffer.from('<?xml version="1.0"?>\n<BMAConfig><ProductList/></BMAConfig>\n'), fileFlag: 2, checkFlag: 0 },
  ];
  return { dir, boot, simg, vbmeta, files };
}

test('.pac: header and file table read, every file a child decoded to its own checks (boot id, sparse, vbmeta signature and boot hash), CRC1 and CRC2 verified, a file extracts byte for byte', async (t) => {
  const b = realistic(t);
  if (!b) return;
  const file = join(b.dir, 'ums512_1h10.pac');
  writeFileSync(file, buildPac(b.files));
  const r = await inspect(file, { sidecars: false });
  assert.equal(r.root.format, 'unisoc-pac');
  assert.deepEqual(
    r.root.children.map((c) => [c.name, c.format, c.size]),
    [
      ['fdl1-sign.bin', 'data', 3000],
      ['boot.img', 'android-boot', b.boot.length],
      ['system.img', 'android-sparse', b.simg.length],
      ['vbmeta.img', 'avb-vbmeta', b.vbmeta.length],
      ['ums512_1h10.xml', 'data', b.files[5].data!.length],
    ],
  );
  const info = r.root.info;
  assert.equal(info.version, 'BP_R2.0.1');
  assert.equal(info.productName, 'ums512_1h10');
  assert.equal(info.firmwareName, 'ums512_1h10_Native_S_V1.0');
  assert.equal(info.fileCount, 6);
  assert.equal(info.fileTableOffset, PAC_HEADER);
  assert.equal(info.magic, '0xfffafffa');
  const files = info.files as Record<string, unknown>[];
  assert.deepEqual(files[0], { id: 'FDL', fileName: 'fdl1-sign.bin', size: 3000, offset: PAC_HEADER + 6 * PAC_ENTRY, fileFlag: 1, checkFlag: 1, omitFlag: 0, addresses: ['0x00005500'] });
  assert.equal(files[4].id, 'FLASH');
  assert.equal(files[4].size, 0);
  assert.deepEqual(facts(r, 'image-checksum-ok').length, 2);
  assert.match(facts(r, 'image-checksum-ok')[0], /^the header's CRC1 \(CRC-16\/ARC 0x[0-9a-f]{4}\) matches bytes 0-2119$/);
  // Down to the images' own checks: the boot image's id, the vbmeta's signature and its hash of boot.img, the sparse image's expansion.
  const all = [...walkArtifacts(r.root)];
  assert.ok(artifactAt(r.root, 'boot.img').facts.some((f) => f.kind === 'boot-id-ok'));
  const vb = artifactAt(r.root, 'vbmeta.img');
  assert.ok(
    vb.facts.some((f) => f.kind === 'avb-signature-ok'),
    describe(r.findings),
  );
  assert.ok(
    vb.facts.some((f) => f.kind === 'avb-hash-ok'),
    JSON.stringify(vb.facts),
  );
  assert.equal(all.find((a) => a.path === 'system.img/raw')?.size, 1 << 20);
  assert.equal(r.summary.integrity.status, 'verified');
  // Not tied to one device: the compat rule says so, and nothing else is found.
  assert.deepEqual(rules(r), ['compat/no-device-declared'], describe(r.findings));
  const out = join(b.dir, 'boot.out');
  const x = runCli(['extract', file, 'boot.img', '-o', out]);
  assert.equal(x.code, 0, x.stderr);
  assert.ok(readFileSync(out).equals(b.boot));
});

test('.pac: one flipped byte in any file is found by CRC2 (integrity/image-checksum on the package)', async (t) => {
  const b = realistic(t);
  if (!b) return;
  const packed = b.files.filter((f) => f.data);
  for (let i = 0; i < packed.length; i++) {
    const at = Math.floor(packed[i].data!.length / 2);
    const r = await inspect(buildPac(b.files, { corrupt: { file: i, at } }), { name: 'x.pac', sidecars: false });
    const bad = r.findings.filter((f) => f.ruleId === 'integrity/image-checksum' && f.path === '');
    assert.equal(bad.length, 1, `${packed[i].name}: ${describe(r.findings)}`);
    assert.match(bad[0].message, /^the header's CRC2 is 0x[0-9a-f]{4}, but bytes 2124-\d+ \(the file table and every file\) give 0x[0-9a-f]{4} \(CRC-16\/ARC\)$/);
    assert.equal(r.summary.integrity.status, 'failed');
  }
  // A changed header field is CRC1's to find.
  const h = buildPac(b.files);
  h.write('X', 52, 'utf16le');
  const r = await inspect(h, { name: 'x.pac', sidecars: false });
  assert.ok(
    r.findings.some((f) => f.ruleId === 'integrity/image-checksum' && /^the header's CRC1 is/.test(f.message)),
    describe(r.findings),
  );
});

test('.pac: BP_R1.0.0 without the magic is read, its CRC fields are not checked and info says why', async () => {
  const pac = buildPac(
    [
      { id: 'BOOT', name: 'boot.img', data: buildBootImage({ kernel: pseudoRandom(2000, 9) }) },
      { id: 'NV', name: 'nvitem.bin', data: pseudoRandom(700, 10) },
    ],
    { version: 'BP_R1.0.0', noMagic: true },
  );
  const r = await inspect(pac, { name: 'old.pac', sidecars: false });
  assert.equal(r.root.format, 'unisoc-pac');
  assert.equal(r.root.info.version, 'BP_R1.0.0');
  assert.match(r.root.info.note as string, /no 0xFFFAFFFA magic/);
  assert.deepEqual(
    r.root.children.map((c) => c.format),
    ['android-boot', 'data'],
  );
  assert.equal(r.root.facts.filter((f) => f.kind.startsWith('image-checksum')).length, 0);
});

test('.pac: lying counts, offsets and sizes are findings, not crashes', async () => {
  const files: PacFile[] = [
    { id: 'BOOT', name: 'boot.img', data: pseudoRandom(5000, 11) },
    { id: 'SYSTEM', name: 'system.img', data: pseudoRandom(7000, 12) },
  ];
  const good = buildPac(files);
  const run = (b: Buffer) => inspect(b, { name: 'x.pac', sidecars: false });

  // A file count of 2^32 - 1: capped, then cut to what the file holds.
  const many = Buffer.from(good);
  many.writeUInt32LE(0xffffffff, 1076);
  let r = await run(many);
  assert.ok(rules(r).includes('format/budget-exceeded'), describe(r.findings));
  assert.ok(r.findings.some((f) => f.ruleId === 'integrity/truncated' && new RegExp(`lists ${0xffffffff} files`).test(f.message)));
  assert.ok(MAX_PAC_FILES >= 1024);

  // The table past the end of the file.
  const far = Buffer.from(good);
  far.writeUInt32LE(good.length + 10, 1080);
  r = await run(far);
  assert.ok(r.findings.some((f) => f.ruleId === 'format/unreadable' && /file table offset/.test(f.message)));

  // An entry's high size word (2^40 bytes), and a high offset word past 2^53.
  const huge = Buffer.from(good);
  huge.writeUInt32LE(0x100, PAC_HEADER + 1532);
  huge.writeUInt32LE(0xffffffff, PAC_HEADER + PAC_ENTRY + 1536);
  r = await run(huge);
  assert.ok(
    r.findings.some((f) => f.ruleId === 'integrity/truncated' && /boot\.img|BOOT/.test(f.message) && /runs past the end/.test(f.message)),
    describe(r.findings),
  );
  assert.ok(r.findings.some((f) => f.ruleId === 'format/unreadable' && /offset is past 2\^53/.test(f.message)));

  // Two entries over the same bytes in part, and one over the file table.
  const overlap = buildPac([files[0], { ...files[1], offset: PAC_HEADER + 2 * PAC_ENTRY + 100 }]);
  r = await run(overlap);
  assert.ok(r.findings.some((f) => f.ruleId === 'format/unreadable' && /overlap those of BOOT/.test(f.message)));
  assert.equal(r.root.children.length, 1);
  const onTable = Buffer.from(good);
  onTable.writeUInt32LE(PAC_HEADER + 10, PAC_HEADER + 1552);
  r = await run(onTable);
  assert.ok(r.findings.some((f) => f.ruleId === 'format/unreadable' && /lie over the header or the file table/.test(f.message)));

  // A wrong entry size, a package size larger than the file, a cut file.
  const badEntry = Buffer.from(good);
  badEntry.writeUInt32LE(100, PAC_HEADER + PAC_ENTRY);
  r = await run(badEntry);
  assert.ok(r.findings.some((f) => f.ruleId === 'format/unreadable' && /gives its size as 100/.test(f.message)));
  r = await run(good.subarray(0, good.length - 1000));
  assert.ok(rules(r).includes('integrity/truncated'), describe(r.findings));
  assert.ok(!r.root.facts.some((f) => f.kind === 'image-checksum' && /CRC2/.test(f.message)), 'no CRC2 verdict on a cut package');
  r = await run(good.subarray(0, 2000));
  assert.ok(r.findings.length > 0);
});

test('.pac over 4 GiB: 64-bit package size, file sizes and offsets (a file with holes, --no-hash)', async (t) => {
  const dir = tempDir(t);
  const boot = buildBootImage({ kernel: pseudoRandom(4000, 13) });
  const GiB = 2 ** 30;
  const path = join(dir, 'big.pac');
  const size = writeSparsePac(path, [
    { id: 'FDL', name: 'fdl1.bin', data: pseudoRandom(1000, 14) },
    { id: 'Super', name: 'super.img', size: 4 * GiB + 12345, offset: 16384 },
    { id: 'BOOT', name: 'boot.img', data: boot, offset: 4 * GiB + 32768 + 12345 },
  ]);
  assert.ok(size > 2 ** 32);
  const r = await inspect(path, { sidecars: false, noHash: true });
  assert.equal(r.root.format, 'unisoc-pac');
  assert.equal(r.root.info.size, size);
  const files = r.root.info.files as Record<string, unknown>[];
  assert.equal(files[1].size, 4 * GiB + 12345);
  assert.equal(files[2].offset, 4 * GiB + 32768 + 12345);
  const bootChild = r.root.children.find((c) => c.name === 'boot.img');
  assert.equal(bootChild?.format, 'android-boot');
  assert.equal(bootChild?.size, boot.length);
  assert.equal(r.root.children.find((c) => c.name === 'super.img')?.size, 4 * GiB + 12345);
  assert.ok(
    r.root.facts.some((f) => f.kind === 'image-checksum-ok' && /CRC1/.test(f.message)),
    describe(r.findings),
  );
  const out = join(dir, 'boot.out');
  const x = runCli(['extract', path, 'boot.img', '-o', out]);
  assert.equal(x.code, 0, x.stderr);
  assert.ok(readFileSync(out).equals(boot));
});
