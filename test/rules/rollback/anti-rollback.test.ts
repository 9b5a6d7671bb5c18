import { ruleTester } from '../harness';
import { xiaomiFlashAll, zipOf } from '../../../fixtures/builders/rom';
import { buildTar, buildTarMd5 } from '../../../fixtures/builders/tar';
import { buildVbmeta } from '../../../fixtures/builders/avb';

const AP = 'AP_T870XXU2BUC6_CL21033099_QB38876786_REV00_user_low_ship_MULTI_CERT_meta_OS11.tar.md5';
const BL = 'BL_T870XXU2BUC6_CL21033099_QB38876786_REV00_user_low_ship_MULTI_CERT.tar.md5';
const odin = (name: string) => buildTarMd5(buildTar([{ name: 'x.bin', data: Buffer.alloc(2048, 7) }]), name.replace(/\.md5$/, ''));
const xiaomi = (anti: number) => () => zipOf({ 'flash_all.sh': xiaomiFlashAll('raphaelin', anti), 'flash_all.bat': xiaomiFlashAll('raphaelin', anti, 'bat') });

ruleTester('rollback/anti-rollback', {
  valid: [
    { name: 'Xiaomi: package 2, device 2', file: 'rom.zip', build: xiaomi(2), options: { target: { antiRollback: 2 } } },
    { name: 'Xiaomi: package 3, device 1', file: 'rom.zip', build: xiaomi(3), options: { target: { antiRollback: 1 } } },
    { name: 'no device level given', file: 'rom.zip', build: xiaomi(1), options: { target: { device: 'raphaelin' } } },
    { name: 'Samsung: binary 2 over a device bootloader of binary 2', file: 'fw.zip', build: () => zipOf({ [AP]: odin(AP), [BL]: odin(BL) }), options: { target: { bootloader: 'T870XXU2BUB1' } } },
    { name: 'AVB: rollback index 5, device stores 5', file: 'vbmeta.img', build: () => buildVbmeta({ algorithm: 'NONE', rollbackIndex: 5 }), options: { target: { antiRollback: 5 } } },
    {
      name: 'AVB is not compared when the package has a vendor scheme',
      file: 'rom.zip',
      build: () => zipOf({ 'flash_all.sh': xiaomiFlashAll('raphaelin', 4), 'images/vbmeta.img': buildVbmeta({ algorithm: 'NONE', rollbackIndex: 0 }) }),
      options: { target: { antiRollback: 4 } },
    },
  ],
  invalid: [
    {
      name: 'Xiaomi: package 1, device 2 (sh and bat: one finding, on the first)',
      file: 'rom.zip',
      build: xiaomi(1),
      options: { target: { antiRollback: 2 } },
      errors: [
        {
          path: 'flash_all.sh',
          message:
            "line 1: flash script gives anti-rollback level 1 (CURRENT_ANTI_VER), lower than the device's 2 (--anti-rollback 2): the ROM's flash script refuses the device, and flashing its images by hand can hard-brick it",
        },
      ],
    },
    {
      name: 'Xiaomi: images/anti_version.txt',
      file: 'rom.zip',
      build: () => zipOf({ 'images/anti_version.txt': '1\n', 'images/boot.img': Buffer.alloc(10) }),
      options: { target: { antiRollback: 3 } },
      errors: [{ path: 'images/anti_version.txt', message: 'Xiaomi ROM info gives anti-rollback level 1' }],
    },
    {
      name: 'Samsung: binary 2 under a device bootloader of binary 3',
      file: 'fw.zip',
      build: () => zipOf({ [AP]: odin(AP), [BL]: odin(BL) }),
      options: { target: { bootloader: 'T870XXU3CUD1' } },
      errors: [{ path: AP, message: "bootloader binary revision 2 (AP file name (T870XXU2BUC6, binary revision)), lower than the device's 3 (--bootloader T870XXU3CUD1)" }],
    },
    { name: 'Samsung: --anti-rollback gives the device revision', file: AP, build: () => odin(AP), options: { target: { antiRollback: 10 } }, errors: [{ path: '', message: 'SW REV CHECK FAIL' }] },
    {
      name: 'AVB: rollback index 1 under the stored 2',
      file: 'vbmeta.img',
      build: () => buildVbmeta({ algorithm: 'NONE', rollbackIndex: 1 }),
      options: { target: { antiRollback: 2 } },
      errors: [{ path: '', message: 'vbmeta gives AVB rollback index (location 0) 1 (rollback_index)' }],
    },
  ],
});
