import { ruleTester } from '../harness';
import { noErofs, noExt4, erofsSystemZip, sparseSystemZip } from './cases';

ruleTester('security/setuid-file', {
  valid: [
    { name: 'a clean user build (sparse ext4)', file: 'rom.zip', skip: noExt4, build: () => sparseSystemZip() },
    {
      name: "AOSP's own setuid debug tool with its fs_config mode, and a setgid directory",
      file: 'rom.zip',
      skip: noExt4,
      build: () => sparseSystemZip({ extra: { 'system/xbin/procmem': { type: 'file', data: 'p', mode: 0o6755 }, 'system/etc/shared': { type: 'dir', mode: 0o2775 } } }),
    },
  ],
  invalid: [
    {
      name: 'a setuid vendor helper in a sparse ext4 system.img',
      file: 'rom.zip',
      skip: noExt4,
      build: () => sparseSystemZip({ extra: { 'system/bin/vendor_helper': { type: 'file', data: 'h', mode: 0o4755, uid: 0, gid: 0 } } }),
      errors: [{ path: 'system.img/raw', message: "system/bin/vendor_helper: setuid (mode 04755, owner 0:0), not in AOSP's list of setuid/setgid files" }],
    },
    {
      name: 'a setgid file in an EROFS image, and procmem with more bits than AOSP gives it',
      file: 'rom.zip',
      skip: noErofs,
      build: () => erofsSystemZip({ extra: { 'system/bin/grp': { type: 'file', data: 'g', mode: 0o2755 }, 'system/xbin/procmem': { type: 'file', data: 'p', mode: 0o6777 } } }),
      errors: [
        { path: 'system.img', message: 'system/bin/grp: setgid (mode 02755' },
        { path: 'system.img', message: "system/xbin/procmem: setuid and setgid (mode 06777, owner 0:0), more than AOSP's 06755" },
      ],
    },
  ],
});
