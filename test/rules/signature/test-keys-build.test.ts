import { ruleTester } from '../harness';
import { bootWithProps, buildProp, otaMetadata, zipOf } from '../../../fixtures/builders/rom';
import { ext4Image, erofsImage, sparseOf } from '../../../fixtures/builders/posture';
import { hasTool } from '../../helpers';

const noTools = (): string | false => (hasTool('mke2fs') && hasTool('img2simg') && hasTool('mkfs.erofs') ? false : 'mke2fs, img2simg or mkfs.erofs not installed');

const META = 'META-INF/com/android/metadata';

ruleTester('signature/test-keys-build', {
  valid: [
    { name: 'a userdebug build with test keys (a development build)', file: 'rom.zip', build: () => zipOf({ 'system/build.prop': buildProp({ 'ro.build.type': 'userdebug', 'ro.build.tags': 'test-keys' }) }) },
    { name: 'a user build with release keys', file: 'rom.zip', build: () => zipOf({ 'system/build.prop': buildProp({ 'ro.build.type': 'user', 'ro.build.tags': 'release-keys' }) }) },
    {
      name: 'OTA metadata of an eng test-keys build',
      file: 'ota.zip',
      build: () => zipOf({ [META]: otaMetadata({ 'post-build': 'Android/full_crespo/crespo:4.0.3/IML74K/eng.x.20111220:userdebug/test-keys', 'pre-device': 'crespo' }) }),
    },
    { name: 'a boot image ramdisk of a userdebug test-keys build', file: 'boot.img', build: () => bootWithProps({ 'ro.bootimage.build.type': 'userdebug', 'ro.bootimage.build.tags': 'test-keys' }) },
  ],
  invalid: [
    {
      name: "every partition's build.prop: a test-keys vendor image (EROFS) beside a user system image (sparse ext4)",
      file: 'rom.zip',
      skip: noTools,
      build: () =>
        zipOf({
          'system.img': sparseOf(ext4Image({ 'system/build.prop': { type: 'file', data: buildProp({ 'ro.build.type': 'user', 'ro.build.tags': 'release-keys' }) } })),
          'vendor.img': erofsImage({ 'build.prop': { type: 'file', data: buildProp({ 'ro.vendor.build.type': 'user', 'ro.vendor.build.tags': 'test-keys' }) } }),
        }),
      errors: [
        {
          path: 'vendor.img/build.prop',
          message: 'line 3: build properties ro.vendor.build.tags is "test-keys": signed with the public AOSP test keys, yet presented as a release (vendor.img/build.prop line 2: ro.vendor.build.type is "user")',
        },
      ],
    },
    {
      name: 'ro.build.type=user with ro.build.tags=test-keys',
      file: 'rom.zip',
      build: () => zipOf({ 'system/build.prop': buildProp({ 'ro.build.type': 'user', 'ro.build.tags': 'test-keys' }) }),
      errors: [
        {
          path: 'system/build.prop',
          message: 'line 3: build properties ro.build.tags is "test-keys": signed with the public AOSP test keys, yet presented as a release (system/build.prop line 2: ro.build.type is "user")',
        },
      ],
    },
    {
      name: 'a user build fingerprint ending in test-keys',
      file: 'ota.zip',
      build: () => zipOf({ [META]: otaMetadata({ 'post-build': 'google/walleye/walleye:8.1.0/OPM1/4448085:user/test-keys', 'pre-device': 'x' }) }),
      errors: [{ path: META, message: 'post-build is "google/walleye/walleye:8.1.0/OPM1/4448085:user/test-keys"' }],
    },
    {
      name: 'a test-keys ramdisk in an OTA whose metadata says release-keys',
      file: 'ota.zip',
      build: () =>
        zipOf({
          [META]: otaMetadata({ 'post-build': 'a/b/c:13/X/1:user/release-keys', 'pre-device': 'c' }),
          'boot.img': bootWithProps({ 'ro.bootimage.build.type': 'userdebug', 'ro.bootimage.build.tags': 'test-keys' }),
        }),
      errors: [
        {
          path: 'boot.img/ramdisk/ramdisk/prop.default',
          message: `ro.bootimage.build.tags is "test-keys": signed with the public AOSP test keys, yet presented as a release (${META} line 1: post-build is a "user" build)`,
        },
      ],
    },
  ],
});
