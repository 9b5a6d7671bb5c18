import { createHash } from 'node:crypto';
import { ruleTester } from '../harness';
import { buildZip } from '../../../fixtures/builders/zip';
import { pseudoRandom } from '../../../fixtures/builders/data';

const boot = pseudoRandom(10000, 21);
const sys = pseudoRandom(20000, 22);
const h = (algo: string, b: Buffer) => createHash(algo).update(b).digest('hex');
const pkg = (sums: string, name = 'SHA256SUMS') =>
  buildZip([
    { name: 'images/boot.img', data: boot, method: 'deflate' },
    { name: 'images/system.img', data: sys },
    { name, data: Buffer.from(sums) },
  ]);
const good = `${h('sha256', boot)}  images/boot.img\n${h('sha256', sys)} *images/system.img\n`;
/** SP Flash Tool's Checksum.ini value: the bytes' sum modulo 65536, unpadded hex. */
const sum16 = (b: Buffer) => `0x${(b.reduce((a, x) => a + x, 0) % 0x10000).toString(16).toUpperCase()}`;
const scatter = [
  '- general: MTK_PLATFORM_CFG',
  '  info:',
  '    - config_version: V1.1.2',
  '      platform: MT6765',
  '',
  '- partition_index: SYS0',
  '  partition_name: boot_a',
  '  file_name: boot.img',
  '  is_download: true',
  '',
].join('\n');
const mtk = (ini: string) =>
  buildZip([
    { name: 'images/boot.img', data: boot },
    { name: 'images/system.img', data: sys },
    { name: 'images/MT6765_Android_scatter.txt', data: Buffer.from(scatter) },
    { name: 'images/Checksum.ini', data: Buffer.from(`[VERSION]\r\nVERSION=V1\r\n[IsEnableChecksum]\r\nCHECKSUM_SWITCH=1\r\n[CheckSum]\r\n${ini}`) },
  ]);

ruleTester('integrity/checksum-file', {
  valid: [
    { name: 'shipped SHA256SUMS that matches', file: 'rom.zip', build: () => pkg(good) },
    { name: 'md5sum list with ./ names', file: 'rom.zip', build: () => pkg(`${h('md5', boot)}  ./images/boot.img\n`, 'images.md5') },
    { name: 'BSD-style tags', file: 'rom.zip', build: () => pkg(`SHA1 (images/system.img) = ${h('sha1', sys)}\n`, 'CHECKSUMS.sha1') },
    {
      name: 'sidecar file next to the input',
      file: 'rom.zip',
      build: () => pkg(good),
      siblings: { 'rom.zip.sha256': `${h('sha256', pkg(good))}  rom.zip\n` },
    },
    { name: 'MediaTek Checksum.ini whose 16-bit sums match (boot_a through the scatter file, system as system.img)', file: 'rom.zip', build: () => mtk(`boot_a=${sum16(boot)}\r\nsystem=${sum16(sys)}\r\n`) },
  ],
  invalid: [
    {
      name: 'shipped list disagrees with a member',
      file: 'rom.zip',
      build: () => pkg(`${h('sha256', sys)}  images/boot.img\n${h('sha256', sys)}  images/system.img\n`),
      errors: [{ path: 'images/boot.img', message: 'SHA256SUMS line 1' }],
    },
    {
      name: 'bare digest in a sidecar .md5 disagrees with the input',
      file: 'rom.zip',
      build: () => pkg(good),
      siblings: { 'rom.zip.md5': `${'0'.repeat(32)}\n` },
      errors: [{ path: '', message: 'rom.zip.md5 line 1' }],
    },
    {
      name: 'SHA256SUMS next to the input lists a wrong digest',
      file: 'rom.zip',
      build: () => pkg(good),
      siblings: { SHA256SUMS: `${'a'.repeat(64)}  rom.zip\n${'b'.repeat(64)}  other.zip\n` },
      errors: [{ path: '' }],
    },
    {
      name: 'MediaTek Checksum.ini: a 16-bit sum that disagrees',
      file: 'rom.zip',
      build: () => mtk(`boot_a=${sum16(boot)}\r\nsystem=0x${((parseInt(sum16(sys).slice(2), 16) + 1) % 0x10000).toString(16)}\r\n`),
      errors: [{ path: 'images/system.img', message: 'Checksum.ini line 7' }],
    },
  ],
});
