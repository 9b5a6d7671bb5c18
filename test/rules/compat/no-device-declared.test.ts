import { gzipSync } from 'node:zlib';
import { ruleTester } from '../harness';
import { assertDevice, bootWithProps, otaMetadata, updaterScript, xiaomiFlashAll, zipOf } from '../../../fixtures/builders/rom';
import { buildTar, buildTarMd5 } from '../../../fixtures/builders/tar';
import { buildRawprogram } from '../../../fixtures/builders/rawprogram';
import { buildSparse } from '../../../fixtures/builders/sparse';
import { pseudoRandom } from '../../../fixtures/builders/data';
import { buildFdt } from '../../../fixtures/builders/fdt';

const SCRIPT = 'META-INF/com/google/android/updater-script';
const boot = () => bootWithProps({});

ruleTester('compat/no-device-declared', {
  valid: [
    { name: 'a zip of text files is not a ROM', file: 'docs.zip', build: () => zipOf({ 'README.txt': 'hello\n', 'notes.md': '# notes\n' }) },
    { name: 'a bare boot image is not a package', file: 'boot.img', build: boot },
    { name: 'a zip of images only (a sparse system image) is not flashed as a unit', file: 'images.zip', build: () => zipOf({ 'system.img': buildSparse([{ type: 'raw', data: pseudoRandom(8192, 3) }]) }) },
    { name: 'an OTA whose metadata names the device', file: 'ota.zip', build: () => zipOf({ 'META-INF/com/android/metadata': otaMetadata({ 'pre-device': 'crespo' }), [SCRIPT]: updaterScript([]) }) },
    { name: 'an updater-script with a device assert', file: 'rom.zip', build: () => zipOf({ [SCRIPT]: updaterScript([assertDevice(['crespo'])]), 'boot.img': boot() }) },
    {
      name: 'an Odin AP file named by the convention (its model)',
      file: 'AP_G998BXXU5CVDD_CL1_QB2_REV00_user_low_ship_MULTI_CERT.tar.md5',
      build: () => buildTarMd5(buildTar([{ name: 'boot.img', data: boot() }]), 'AP_G998BXXU5CVDD_CL1_QB2_REV00_user_low_ship_MULTI_CERT.tar'),
    },
    {
      name: 'a Magisk module: a comment-only updater-script, the work is in update-binary',
      file: 'module.zip',
      build: () => zipOf({ 'META-INF/com/google/android/updater-script': '#MAGISK\n', 'META-INF/com/google/android/update-binary': '#!/sbin/sh\n. /data/adb/magisk/util_functions.sh\n', 'module.prop': 'id=x\n' }),
    },
    { name: 'a boot image whose ramdisk names its device', file: 'boot.zip', build: () => zipOf({ 'boot.img': bootWithProps({ 'ro.product.device': 'crespo' }) }) },
  ],
  invalid: [
    {
      name: "a fastboot zip whose only names are a device tree's compatible strings (a board or SoC, not the device)",
      file: 'fastboot.zip',
      build: () => zipOf({ 'boot.img': boot(), 'dtb.img': buildFdt({ name: '', props: { model: 'Qualcomm Technologies, Inc. SM8150 MTP', compatible: ['qcom,sm8150-mtp', 'qcom,sm8150'] } }) }),
      errors: [{ path: '', message: 'it holds a boot image (boot.img)' }],
    },
    { name: 'a mod zip whose updater-script checks nothing', file: 'mod.zip', build: () => zipOf({ [SCRIPT]: updaterScript([]) }), errors: [{ path: '', message: `it holds an updater-script (${SCRIPT})` }] },
    {
      name: 'a fastboot zip of a boot image and nothing naming the device',
      file: 'fastboot.zip',
      build: () => zipOf({ 'boot.img': boot(), 'system.img': pseudoRandom(4096, 2) }),
      errors: [{ path: '', message: 'it holds a boot image (boot.img)' }],
    },
    {
      name: 'a Xiaomi .tgz whose flash script has no product check',
      file: 'rom.tgz',
      build: () => gzipSync(buildTar([{ name: 'rom/flash_all.sh', data: Buffer.from(xiaomiFlashAll('x', 1).replace(/.*getvar product.*\n/, '')) }])),
      errors: [{ path: '', message: 'a flash script (rom.tar/rom/flash_all.sh)' }],
    },
    {
      name: 'an Odin-named archive whose name does not parse',
      file: 'AP_DEMO.tar.md5',
      build: () => buildTarMd5(buildTar([{ name: 'vbmeta.img', data: pseudoRandom(4096, 1) }]), 'AP_DEMO.tar'),
      errors: [{ path: '', message: 'an Odin firmware part' }],
    },
    {
      name: 'a Qualcomm EDL package: rawprogram0.xml checks no device',
      file: 'edl.zip',
      build: () => zipOf({ 'rawprogram0.xml': buildRawprogram([{ label: 'boot', filename: 'boot.img', startSector: 64, sectors: 128 }]), 'boot.img': pseudoRandom(65536, 1) }),
      errors: [{ path: '', message: 'a rawprogram list (rawprogram0.xml)' }],
    },
  ],
});
