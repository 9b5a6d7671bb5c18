import { ruleTester } from '../harness';
import { buildCpio } from '../../../fixtures/builders/cpio';
import { noErofs, noExt4, erofsSystemZip, sparseSystemZip } from './cases';

ruleTester('security/su-binary', {
  valid: [
    { name: 'a clean user build (sparse ext4)', file: 'rom.zip', skip: noExt4, build: () => sparseSystemZip() },
    {
      name: 'a file merely containing "su" in its name',
      file: 'rom.zip',
      skip: noExt4,
      build: () => sparseSystemZip({ extra: { 'system/bin/sudo-like': { type: 'file', data: 'x', mode: 0o755 }, 'system/etc/su.conf': { type: 'file', data: 'x' } } }),
    },
  ],
  invalid: [
    {
      name: '/system/xbin/su in a sparse ext4 system.img',
      file: 'rom.zip',
      skip: noExt4,
      build: () => sparseSystemZip({ extra: { 'system/xbin/su': { type: 'file', data: 'su', mode: 0o4750, uid: 0, gid: 2000 } } }),
      errors: [{ path: 'system.img/raw', message: 'system/xbin/su: a su binary (file, mode 04750' }],
    },
    {
      name: 'magisk and a su link in an EROFS image',
      file: 'rom.zip',
      skip: noErofs,
      build: () => erofsSystemZip({ extra: { 'system/bin/magisk': { type: 'file', data: 'm', mode: 0o755 }, 'system/bin/su': { type: 'symlink', target: 'magisk' } } }),
      errors: [
        { path: 'system.img', message: 'system/bin/magisk: a su binary (file, mode 0755' },
        { path: 'system.img', message: 'system/bin/su: a su binary (symlink, mode 0777' },
      ],
    },
    {
      name: 'sbin/su in a ramdisk',
      file: 'ramdisk.cpio',
      build: () =>
        buildCpio([
          { name: 'sbin', type: 'dir' },
          { name: 'sbin/su', data: Buffer.from('su'), mode: 0o6755 },
        ]),
      errors: [{ path: '', message: 'sbin/su: a su binary (file, mode 06755, owner 0:0)' }],
    },
  ],
});
