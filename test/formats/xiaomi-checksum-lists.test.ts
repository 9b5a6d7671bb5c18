/**
 * Xiaomi fastboot ROMs carry their own checksum lists: `md5sum.xml` at the
 * top (md5 of every file in images/) and `images/crclist.txt` (CRC-32 of each
 * partition's image, as `<partition> 0x<crc>`). Both are checked against the
 * images they list through the checksum-file mechanism; `sparsecrclist.txt`
 * is recognised but its CRCs (over sparse chunk data) are not checkable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { inspect } from '../../src/index';
import { parseChecksumFile, crcListFile } from '../../src/formats/checksum-file';
import { buildZip } from '../../fixtures/builders/zip';
import { pseudoRandom } from '../../fixtures/builders/data';
import { tempDir } from '../helpers';
import { artifactAt, describe } from '../interop/util';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
/** Python's hex(): no zero padding. */
const pyHex = (n: number) => `0x${(n >>> 0).toString(16)}`;

/** Data whose CRC-32 has a leading zero nibble, so its crclist value is shorter than 8 digits. */
function shortCrcData(): Buffer {
  for (let seed = 1; ; seed++) {
    const b = pseudoRandom(3000, seed);
    if (crc32(b) >>> 0 < 0x10000000) return b;
  }
}

test('crclist.txt: partition lines become CRC-32 expectations on the image files (xblbak → xbl.elf, unpadded hex)', () => {
  const e = parseChecksumFile('CRC-LIST\nboot 0xdc4e81d2\nlogo 0x99fef4e\nxblbak 0x00000001\nvbmeta_ab 0xABCDEF01\nmodem 0x1\n', 'rom/images/crclist.txt');
  assert.deepEqual(e, [
    { algo: 'crc32', hex: 'dc4e81d2', name: 'boot.img', line: 2 },
    { algo: 'crc32', hex: '099fef4e', name: 'logo.img', line: 3 },
    { algo: 'crc32', hex: '00000001', name: 'xbl.elf', line: 4 },
    { algo: 'crc32', hex: 'abcdef01', name: 'vbmeta.img', line: 5 },
    { algo: 'crc32', hex: '00000001', name: 'NON-HLOS.bin', line: 6 },
  ]);
  assert.equal(crcListFile('recovery'), 'recovery.img');
  // Bare 8-hex lines are CRC-32 only in a crclist; elsewhere they stay refused.
  assert.deepEqual(parseChecksumFile('0badf00d  boot.img\n', 'crclist.txt'), [{ algo: 'crc32', hex: '0badf00d', name: 'boot.img', line: 1 }]);
  assert.equal(parseChecksumFile('0badf00d  boot.img\n', 'SHA256SUMS'), null);
  assert.equal(parseChecksumFile('boot 0xdc4e81d2\n', 'notes.txt'), null);
});

test('md5sum.xml: <digest hash="md5" name="..."> elements; a DTD is refused', () => {
  const xml =
    '<?xml version="1.0" ?>\n<root>\n  <digests>\n    <digest hash="md5" name="boot.img">3D408AAD356F771ED052F91D480BCFA5</digest>\n    <digest hash="sha256" name="a&amp;b.img">' +
    'ab'.repeat(32) +
    '</digest>\n  </digests>\n  <security-patch-level>\n    <level>PLATFORM_SECURITY_PATCH := 2021-03-01</level>\n  </security-patch-level>\n</root>\n';
  assert.deepEqual(parseChecksumFile(xml, 'md5sum.xml'), [
    { algo: 'md5', hex: '3d408aad356f771ed052f91d480bcfa5', name: 'boot.img', line: 4 },
    { algo: 'sha256', hex: 'ab'.repeat(32), name: 'a&b.img', line: 5 },
  ]);
  assert.equal(parseChecksumFile('<!DOCTYPE root [<!ENTITY x "y">]><root><digests><digest hash="md5" name="&x;">' + '0'.repeat(32) + '</digest></digests></root>', 'md5sum.xml'), null);
  assert.equal(parseChecksumFile('<root><digests><digest hash="md5" name="boot.img">1234</digest></digests></root>', 'md5sum.xml'), null);
});

test('a Xiaomi fastboot ROM: md5sum.xml and images/crclist.txt are checked against the images', async (t) => {
  const boot = pseudoRandom(8192, 1);
  const xbl = shortCrcData();
  const logo = pseudoRandom(1000, 3);
  const top = 'raphael_images_V12.0.5.0_11.0';
  const crclist = Buffer.from(`CRC-LIST\nboot ${pyHex(crc32(boot))}\nxbl ${pyHex(crc32(xbl))}\nxblbak ${pyHex(crc32(xbl))}\nlogo ${pyHex(crc32(logo) ^ 1)}\n`);
  assert.ok(pyHex(crc32(xbl)).length < 10, 'the fixture needs a CRC with a leading zero nibble');
  const sparsecrclist = Buffer.from('SPARSECRC-LIST\nsystem 0xb7d66688 27\nvendor 0x7e3696c6 10\n');
  const md5xml = Buffer.from(
    [
      '<?xml version="1.0" ?>',
      '<root>',
      '  <digests>',
      `    <digest hash="md5" name="boot.img">${md5(boot)}</digest>`,
      `    <digest hash="md5" name="xbl.elf">${md5(xbl)}</digest>`,
      `    <digest hash="md5" name="crclist.txt">${md5(crclist)}</digest>`,
      `    <digest hash="md5" name="sparsecrclist.txt">${'0'.repeat(32)}</digest>`,
      `    <digest hash="md5" name="vendor.img">${'1'.repeat(32)}</digest>`,
      '  </digests>',
      '</root>',
      '',
    ].join('\n'),
  );
  const file = join(tempDir(t), 'rom.zip');
  writeFileSync(
    file,
    buildZip([
      { name: `${top}/md5sum.xml`, data: md5xml },
      { name: `${top}/images/crclist.txt`, data: crclist },
      { name: `${top}/images/sparsecrclist.txt`, data: sparsecrclist },
      { name: `${top}/images/boot.img`, data: boot },
      { name: `${top}/images/xbl.elf`, data: xbl },
      { name: `${top}/images/logo.img`, data: logo },
    ]),
  );
  const r = await inspect(file);
  const found = r.findings.map((f) => `${f.ruleId} ${f.path}: ${f.message}`);
  assert.equal(r.findings.length, 3, describe(r.findings));
  assert.match(found.join('\n'), new RegExp(`integrity/checksum-file ${top}/images/logo.img: crc32 is [0-9a-f]{8}, ${top}/images/crclist.txt line 5 says`));
  assert.match(found.join('\n'), new RegExp(`integrity/checksum-file ${top}/images/sparsecrclist.txt: md5 is [0-9a-f]{32}, ${top}/md5sum.xml line 7 says 0{32}`));
  assert.match(found.join('\n'), new RegExp(`integrity/listed-file-missing ${top}/md5sum.xml: lists "vendor.img"`));
  // 6 zip CRCs; boot, xbl, xbl(bak) and logo from crclist; 4 lines of md5sum.xml (vendor.img is missing). logo and sparsecrclist fail.
  assert.deepEqual(r.summary.integrity, { status: 'failed', checks: 14, failed: 2 });
  const xblArt = artifactAt(r.root, `${top}/images/xbl.elf`);
  assert.equal(xblArt.hashes.crc32, crc32(xbl).toString(16).padStart(8, '0'));
  const sp = artifactAt(r.root, `${top}/images/sparsecrclist.txt`);
  assert.equal(sp.format, 'checksum-file');
  assert.deepEqual(sp.info, { compression: 'stored', compressedSize: sparsecrclist.length, entries: 2, algorithms: ['crc32'], uncheckedEntries: 2 });
  assert.equal(artifactAt(r.root, `${top}/md5sum.xml`).format, 'checksum-file');
});
