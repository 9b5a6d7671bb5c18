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
  ],
});
