import { ruleTester } from '../harness';
import { buildCpio } from '../../../fixtures/builders/cpio';
import { noErofs, noExt4, erofsSystemZip, sparseSystemZip } from './cases';

const ROOT_SHELL = 'service rootsh /system/bin/sh\n    class main\n    disabled\n';

ruleTester('security/root-service', {
  valid: [
    { name: "AOSP's adbd (adbd domain) and console (user shell) in a sparse ext4 system.img", file: 'rom.zip', skip: noExt4, build: () => sparseSystemZip() },
    {
      name: 'root services that are not shells (ueventd, vold), and an .rc file outside init directories',
      file: 'rom.zip',
      skip: noExt4,
      build: () =>
        sparseSystemZip({
          extra: { 'system/etc/init/vold.rc': { type: 'file', data: 'service vold /system/bin/vold\n    class core\n' }, 'system/usr/share/rootsh.rc': { type: 'file', data: ROOT_SHELL } },
        }),
    },
    {
      name: 'a shell running a fixed script or -c command as root, as stock vendor scripts do (Rockchip pwm_fan)',
      file: 'rom.zip',
      skip: noExt4,
      build: () =>
        sparseSystemZip({
          extra: {
            'system/etc/init/fan.rc': {
              type: 'file',
              data: 'service pwm_fan /vendor/bin/sh /vendor/bin/pwm_fan.sh\n    user root\n    disabled\n\nservice once /system/bin/sh -c "echo 1 > /sys/x"\n    oneshot\n',
            },
          },
        }),
    },
  ],
  invalid: [
    {
      name: 'a root shell service with no user line (sparse ext4)',
      file: 'rom.zip',
      skip: noExt4,
      build: () => sparseSystemZip({ extra: { 'system/etc/init/debug.rc': { type: 'file', data: ROOT_SHELL } } }),
      errors: [{ path: 'system.img/raw/system/etc/init/debug.rc', message: 'line 1: service rootsh runs a shell (/system/bin/sh) as root (no user option) (disabled: started on demand)' }],
    },
    {
      name: 'adbd in the su domain, and an interactive busybox sh as user root, in vendor init scripts (EROFS)',
      file: 'rom.zip',
      skip: noErofs,
      build: () =>
        erofsSystemZip({
          extra: {
            'vendor/etc/init/hw/init.board.rc': {
              type: 'file',
              data: 'on boot\n    start adbd\n\nservice adbd /system/bin/adbd \\\n        --root_seclabel=u:r:su:s0\n    seclabel u:r:su:s0\n\nservice bb /system/xbin/busybox sh -i\n    user root\n    console\n',
            },
          },
        }),
      errors: [
        { path: 'system.img/vendor/etc/init/hw/init.board.rc', message: 'line 4: service adbd runs /system/bin/adbd --root_seclabel=u:r:su:s0 in the unconfined SELinux domain u:r:su:s0, as root (no user option)' },
        { path: 'system.img/vendor/etc/init/hw/init.board.rc', message: 'line 8: service bb runs a shell (/system/xbin/busybox sh -i) as user root' },
      ],
    },
    {
      name: "a ramdisk's init.rc starting su as root",
      file: 'ramdisk.cpio',
      build: () => buildCpio([{ name: 'init.rc', data: Buffer.from('service daemonsu /sbin/daemonsu --auto-daemon\n    class main\n    oneshot\n') }]),
      errors: [{ path: 'init.rc', message: 'line 1: service daemonsu runs a su binary (/sbin/daemonsu --auto-daemon) as root (no user option)' }],
    },
  ],
});
