import { ruleTester } from '../harness';
import { bootWithProps, zipOf } from '../../../fixtures/builders/rom';
import { RELEASE_PROPS, ext4Image, postureTree, sparseOf } from '../../../fixtures/builders/posture';
import { noErofs, noExt4, erofsSystemZip, sparseSystemZip } from './cases';

ruleTester('security/debuggable-user-build', {
  valid: [
    { name: 'a clean user build (sparse ext4 system.img in a zip)', file: 'rom.zip', skip: noExt4, build: () => sparseSystemZip() },
    {
      name: 'a userdebug build that is debuggable on purpose',
      file: 'rom.zip',
      skip: noExt4,
      build: () => sparseSystemZip({ props: { ...RELEASE_PROPS, 'ro.build.type': 'userdebug', 'ro.build.tags': 'test-keys', 'ro.debuggable': '1', 'ro.adb.secure': '0' } }),
    },
  ],
  invalid: [
    {
      name: 'a user build with ro.debuggable=1 (sparse ext4 system.img in a zip)',
      file: 'rom.zip',
      skip: noExt4,
      build: () => sparseSystemZip({ props: { ...RELEASE_PROPS, 'ro.debuggable': '1', 'service.adb.root': '1' } }),
      errors: [
        {
          path: 'system.img/raw/system/build.prop',
          message:
            'ro.debuggable=1 (every app debuggable and adb root allowed), service.adb.root=1 (adbd restarts as root), yet the build is presented as a release (system.img/raw/system/build.prop line 2: ro.build.type is "user")',
        },
      ],
    },
    {
      name: 'a release-keys EROFS system whose ro.adb.secure=0',
      file: 'rom.zip',
      skip: noErofs,
      build: () => erofsSystemZip({ props: { 'ro.build.tags': 'release-keys', 'ro.adb.secure': '0' } }),
      errors: [{ path: 'system.img/system/build.prop', message: 'ro.adb.secure=0 (adb connections are not authorised)' }],
    },
    {
      name: 'a ramdisk with ro.secure=0 beside a user system image',
      file: 'rom.zip',
      skip: noExt4,
      build: () => zipOf({ 'system.img': sparseOf(ext4Image(postureTree())), 'boot.img': bootWithProps({ 'ro.secure': '0', 'ro.bootimage.build.type': 'user' }) }),
      errors: [{ path: 'boot.img/ramdisk/ramdisk/prop.default', message: /^ro\.secure=0 \(adbd runs as root\), yet the build is presented as a release \(boot\.img\/ramdisk\/ramdisk\/prop\.default/ }],
    },
  ],
});
