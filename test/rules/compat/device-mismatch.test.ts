import { ruleTester } from '../harness';
import { assertDevice, androidInfo, bootWithProps, buildProp, otaMetadata, updaterScript, xiaomiFlashAll, zipOf } from '../../../fixtures/builders/rom';
import { buildTar, buildTarMd5 } from '../../../fixtures/builders/tar';
import { buildScatterYaml } from '../../../fixtures/builders/scatter';

const META = 'META-INF/com/android/metadata';
const SCRIPT = 'META-INF/com/google/android/updater-script';
const ota = (device: string) => () => zipOf({ [META]: otaMetadata({ 'ota-type': 'BLOCK', 'post-timestamp': '1700000000', 'pre-device': device }), [SCRIPT]: updaterScript([assertDevice([device])]) });
const odin = (name: string) => () => buildTarMd5(buildTar([{ name: 'boot.img', data: bootWithProps({}) }]), name.replace(/\.md5$/, ''));

ruleTester('compat/device-mismatch', {
  valid: [
    { name: 'OTA metadata and updater-script for crespo, target crespo', file: 'ota.zip', build: ota('crespo'), options: { target: { device: 'crespo' } } },
    { name: 'no target: nothing to compare', file: 'ota.zip', build: ota('crespo') },
    {
      name: 'a LineageOS assert matched through its ro.build.product alternative',
      file: 'ota.zip',
      build: () => zipOf({ [SCRIPT]: updaterScript(['assert(getprop("ro.product.device") == "a" || getprop("ro.build.product") == "crespo");']) }),
      options: { target: { device: 'crespo' } },
    },
    {
      name: 'android-info.txt board=crosshatch|blueline, target blueline',
      file: 'factory.zip',
      build: () => zipOf({ 'android-info.txt': androidInfo(['require board=crosshatch|blueline', 'require version-bootloader=b1c1-0.1-5004167']), 'boot.img': bootWithProps({}) }),
      options: { target: { device: 'blueline' } },
    },
    {
      name: 'a scatter platform is a board: --device is not compared with it (nor with the project)',
      file: 'mtk.zip',
      build: () =>
        zipOf({ 'MT6765_Android_scatter.txt': buildScatterYaml([{ name: 'boot', file: 'boot.img', start: 0, size: 0x2000000 }], { platform: 'MT6765', project: 'k65v1_64_bsp' }), 'boot.img': bootWithProps({}) }),
      options: { target: { device: 'PD2036' } },
    },
    {
      name: 'a boot image header board name only describes the build: no finding for another --board',
      file: 'boot.zip',
      build: () => zipOf({ 'boot.img': bootWithProps({}, { board: 'SRPTH19C004' }) }),
      options: { target: { board: 'gts7l' } },
    },
    {
      name: 'Odin AP name for the T870 matches --model SM-T870',
      file: 'AP_T870XXU2BUC6_CL21033099_QB38876786_REV00_user_low_ship_MULTI_CERT_meta_OS11.tar.md5',
      build: odin('AP_T870XXU2BUC6_CL21033099_QB38876786_REV00_user_low_ship_MULTI_CERT_meta_OS11.tar.md5'),
      options: { target: { model: 'SM-T870' } },
    },
    {
      name: 'require-for-product of another product does not apply',
      file: 'factory.zip',
      build: () => zipOf({ 'android-info.txt': androidInfo(['require board=alpha|beta', 'require-for-product:beta product=gamma']) }),
      options: { target: { device: 'alpha' } },
    },
    { name: 'fastboot wildcard: board=sdm* accepts sdm845', file: 'fb.zip', build: () => zipOf({ 'android-info.txt': androidInfo(['require board=sdm*']) }), options: { target: { device: 'sdm845' } } },
  ],
  invalid: [
    {
      name: 'OTA for crespo, target raphael: metadata and updater-script both stop it',
      file: 'ota.zip',
      build: ota('crespo'),
      options: { target: { device: 'raphael' } },
      errors: [
        { path: META, message: 'line 3: OTA metadata requires device "crespo" (the flashing tool stops on this check); the target is device "raphael"' },
        { path: SCRIPT, message: /^line 2: updater-script requires device "crespo"/ },
      ],
    },
    {
      name: 'names are compared case-sensitively',
      file: 'ota.zip',
      build: () => zipOf({ [META]: otaMetadata({ 'pre-device': 'RMX2001' }) }),
      options: { target: { device: 'rmx2001' } },
      errors: [{ path: META, message: 'requires device "RMX2001"' }],
    },
    {
      name: 'never as substrings: raphaelin is not raphael',
      file: 'rom.zip',
      build: () => zipOf({ 'flash_all.sh': xiaomiFlashAll('raphaelin', 1) }),
      options: { target: { device: 'raphael' } },
      errors: [{ path: 'flash_all.sh', message: 'line 4: flash script requires device "raphaelin"' }],
    },
    {
      name: 'android-info.txt for crosshatch and blueline, target sargo',
      file: 'factory.zip',
      build: () => zipOf({ 'android-info.txt': androidInfo(['require board=crosshatch|blueline']) }),
      options: { target: { device: 'sargo' } },
      errors: [{ path: 'android-info.txt', message: 'line 1: android-info.txt requires device "crosshatch" or "blueline"' }],
    },
    {
      name: 'android-info.txt reject line naming the target',
      file: 'factory.zip',
      build: () => zipOf({ 'android-info.txt': androidInfo(['reject board=sargo']) }),
      options: { target: { device: 'sargo' } },
      errors: [{ path: 'android-info.txt', message: 'rejects device "sargo"' }],
    },
    {
      name: 'the model in an Odin AP name',
      file: 'AP_T870XXU2BUC6_CL1_QB2_REV00_user_low_ship_MULTI_CERT.tar.md5',
      build: odin('AP_T870XXU2BUC6_CL1_QB2_REV00_user_low_ship_MULTI_CERT.tar.md5'),
      options: { target: { model: 'SM-T875' } },
      errors: [{ path: '', message: 'Odin file name declares model "T870"' }],
    },
    {
      name: 'ro.product.device of a ramdisk (descriptive, but it names the device)',
      file: 'boot.zip',
      build: () => zipOf({ 'boot.img': bootWithProps({ 'ro.product.bootimage.device': 'a05s' }) }),
      options: { target: { device: 'a05' } },
      errors: [{ path: 'boot.img/ramdisk/ramdisk/prop.default', message: 'line 2: build properties declares device "a05s"' }],
    },
    {
      name: 'an enforced board assert with --board',
      file: 'ota.zip',
      build: () => zipOf({ [SCRIPT]: updaterScript(['assert(getprop("ro.product.board") == "msm8974");']) }),
      options: { target: { board: 'sdm845' } },
      errors: [{ path: SCRIPT, message: 'requires board "msm8974"' }],
    },
    {
      name: 'an MTK scatter platform (SP Flash Tool checks the chip) with --board, ignoring case',
      file: 'mtk.zip',
      build: () => zipOf({ 'MT6765_Android_scatter.txt': buildScatterYaml([{ name: 'boot', file: 'boot.img', start: 0, size: 0x2000000 }], { platform: 'MT6765' }), 'boot.img': bootWithProps({}) }),
      options: { target: { board: 'mt6768' } },
      errors: [{ path: 'MT6765_Android_scatter.txt', message: 'scatter file requires board "MT6765" (the flashing tool stops on this check); the target is board "mt6768"' }],
    },
    {
      name: 'a system/build.prop model',
      file: 'ota.zip',
      build: () => zipOf({ 'system/build.prop': buildProp({ 'ro.product.model': 'Nexus S' }) }),
      options: { target: { model: 'Galaxy Nexus' } },
      errors: [{ path: 'system/build.prop', message: 'declares model "Nexus S"' }],
    },
  ],
});
