import { ruleTester } from '../harness';
import { buildCpio } from '../../../fixtures/builders/cpio';
import { noErofs, noExt4, erofsSystemZip, sparseSystemZip } from './cases';

ruleTester('security/world-writable', {
  valid: [
    { name: 'a clean build: a sticky 01777 directory and symlinks only (sparse ext4)', file: 'rom.zip', skip: noExt4, build: () => sparseSystemZip() },
    { name: 'the same tree as EROFS', file: 'rom.zip', skip: noErofs, build: () => erofsSystemZip() },
  ],
  invalid: [
    {
      name: 'a 0777 file in a sparse ext4 system.img',
      file: 'rom.zip',
      skip: noExt4,
      build: () => sparseSystemZip({ extra: { 'system/etc/open.conf': { type: 'file', data: 'x', mode: 0o777 } } }),
      errors: [{ path: 'system.img/raw', message: 'system/etc/open.conf: a world-writable file (mode 0777' }],
    },
    {
      name: 'a 0777 directory (not sticky) in an EROFS image',
      file: 'rom.zip',
      skip: noErofs,
      build: () => erofsSystemZip({ extra: { 'system/etc/drop': { type: 'dir', mode: 0o777 } } }),
      errors: [{ path: 'system.img', message: 'system/etc/drop: a world-writable directory (mode 0777' }],
    },
    {
      name: 'a 0666 file in a ramdisk',
      file: 'ramdisk.cpio',
      build: () => buildCpio([{ name: 'init.env', data: Buffer.from('x'), mode: 0o666 }]),
      errors: [{ path: '', message: 'init.env: a world-writable file (mode 0666, owner 0:0)' }],
    },
  ],
});
