/**
 * Where Android keeps property files inside a partition image, relative to
 * its root: `build.prop` at the root (system before Android 10, vendor,
 * odm), `etc/build.prop` (product, system_ext, odm, vendor_dlkm, odm_dlkm,
 * system_dlkm since Android 10/11), `system/build.prop` in system-as-root
 * images, and the partitions a system image used to hold inside it
 * (`system/vendor`, `system/product`, `system/system_ext`). The ext4 and
 * EROFS readers list each one found as a child (src/compat/identity.ts tells
 * which partition it describes).
 */
export const PROPERTY_PATHS: readonly string[] = [
  'build.prop',
  'default.prop',
  'prop.default',
  'etc/build.prop',
  'etc/prop.default',
  'system/build.prop',
  'system/etc/prop.default',
  'system/product/build.prop',
  'system/product/etc/build.prop',
  'system/system_ext/build.prop',
  'system/system_ext/etc/build.prop',
  'system/vendor/build.prop',
  'vendor/build.prop',
  'vendor/default.prop',
  'vendor/etc/build.prop',
  'vendor/odm/etc/build.prop',
  'odm/build.prop',
  'odm/etc/build.prop',
  'product/build.prop',
  'product/etc/build.prop',
  'system_ext/build.prop',
  'system_ext/etc/build.prop',
  'vendor_dlkm/etc/build.prop',
  'odm_dlkm/etc/build.prop',
  'system_dlkm/etc/build.prop',
];
