import { ruleTester } from '../harness';
import { assertDevice, bootWithProps, buildProp, otaMetadata, updaterScript, xiaomiFlashAll, zipOf } from '../../../fixtures/builders/rom';
import { buildTar, buildTarMd5 } from '../../../fixtures/builders/tar';
import { buildScatterYaml } from '../../../fixtures/builders/scatter';

const META = 'META-INF/com/android/metadata';
const SCRIPT = 'META-INF/com/google/android/updater-script';
const odinPart = (name: string) => buildTarMd5(buildTar([{ name: 'x.bin', data: Buffer.alloc(1024, 1) }]), name.replace(/\.md5$/, ''));

ruleTester('compat/declarations-disagree', {
  valid: [
    { name: 'metadata and updater-script name the same device', file: 'ota.zip', build: () => zipOf({ [META]: otaMetadata({ 'pre-device': 'crespo' }), [SCRIPT]: updaterScript([assertDevice(['crespo'])]) }) },
    {
      name: 'lists that share a name (pre-device u8220, script pulse|u8220|u8230)',
      file: 'ota.zip',
      build: () => zipOf({ [META]: otaMetadata({ 'pre-device': 'u8220' }), [SCRIPT]: updaterScript([assertDevice(['pulse', 'u8220', 'u8230'])]) }),
    },
    {
      name: 'a generic (GSI) system build.prop declares no device',
      file: 'ota.zip',
      build: () => zipOf({ [META]: otaMetadata({ 'pre-device': 'crespo' }), 'system/build.prop': buildProp({ 'ro.product.system.device': 'generic_arm64' }) }),
    },
    {
      name: 'boards are not compared (scatter platform and boot image board name)',
      file: 'mtk.zip',
      build: () => zipOf({ 'MT6765_Android_scatter.txt': buildScatterYaml([{ name: 'boot', file: 'boot.img', start: 0, size: 0x2000000 }]), 'boot.img': bootWithProps({}, { board: 'SRPTH19C004' }) }),
    },
    {
      name: 'an Odin model T870 and ro.product.model SM-T870 are the same model',
      file: 'fw.zip',
      build: () =>
        zipOf({
          'AP_T870XXU2BUC6_CL1_QB2_REV00_user_low_ship_MULTI_CERT.tar.md5': odinPart('AP_T870XXU2BUC6_CL1_QB2_REV00_user_low_ship_MULTI_CERT.tar.md5'),
          'system/build.prop': buildProp({ 'ro.product.model': 'SM-T870' }),
        }),
    },
  ],
  invalid: [
    {
      name: 'metadata for crespo, updater-script for maguro',
      file: 'ota.zip',
      build: () => zipOf({ [META]: otaMetadata({ 'pre-device': 'crespo' }), [SCRIPT]: updaterScript([assertDevice(['maguro'], 'aosp')]) }),
      errors: [{ path: SCRIPT, message: `line 2: updater-script names device "maguro", but ${META} line 1 (OTA metadata) names "crespo"` }],
    },
    {
      name: 'a flash script guarding raphaelin next to a misc.txt for raphael',
      file: 'rom.zip',
      build: () => zipOf({ 'misc.txt': 'device=raphael\nbuild_number=V12.0.5.0.QFKINXM\n', 'flash_all.sh': xiaomiFlashAll('raphaelin', 1) }),
      errors: [{ path: 'flash_all.sh', message: 'names device "raphaelin", but misc.txt line 1 (Xiaomi ROM info) names "raphael"' }],
    },
    {
      name: 'AP for the T870 and CSC for the T875',
      file: 'fw.zip',
      build: () =>
        zipOf({
          'AP_T870XXU2BUC6_CL1_QB2_REV00_user_low_ship_MULTI_CERT.tar.md5': odinPart('AP_T870XXU2BUC6_CL1_QB2_REV00_user_low_ship_MULTI_CERT.tar.md5'),
          'CSC_OMC_OXM_T875OXM2BUC6_CL1_QB2_REV00_user_low_ship_MULTI_CERT.tar.md5': odinPart('CSC_OMC_OXM_T875OXM2BUC6_CL1_QB2_REV00_user_low_ship_MULTI_CERT.tar.md5'),
        }),
      errors: [{ path: 'CSC_OMC_OXM_T875OXM2BUC6_CL1_QB2_REV00_user_low_ship_MULTI_CERT.tar.md5', message: 'Odin file name names model "T875", but AP_T870XXU2BUC6' }],
    },
  ],
});
