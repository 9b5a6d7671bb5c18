import { ruleTester } from '../harness';
import { gzipSync } from 'node:zlib';
import { pseudoRandom } from '../../../fixtures/builders/data';
import { buildZip } from '../../../fixtures/builders/zip';
import { buildAmlRes, buildDhtb, buildKrnl, buildParameter, buildParm, buildRkLoader } from '../../../fixtures/builders/vendor';

const loader = (o: { badCrc?: boolean } = {}) =>
  buildRkLoader(
    {
      e471: [{ name: 'rk3399_ddr_800MHz_v1.24.bin', data: pseudoRandom(3000, 1) }],
      e472: [{ name: 'rk3399_usbplug_v1.26.bin', data: pseudoRandom(2000, 2) }],
      loader: [
        { name: 'FlashData', data: pseudoRandom(1000, 3) },
        { name: 'FlashBoot', data: pseudoRandom(1500, 4) },
      ],
    },
    o,
  );
const res = (o: { badCrc?: boolean } = {}) =>
  buildAmlRes(
    [
      { name: 'bootup', data: pseudoRandom(5000, 5) },
      { name: 'upgrade_bar', data: pseudoRandom(184, 6) },
    ],
    o,
  );

ruleTester('integrity/image-checksum', {
  valid: [
    { name: 'a Rockchip loader whose CRC matches', file: 'MiniLoaderAll.bin', build: () => loader() },
    { name: 'a KRNL image whose CRC matches', file: 'boot.img', build: () => buildKrnl(gzipSync(pseudoRandom(9000, 7))) },
    { name: 'a PARM-wrapped parameter file whose CRC matches', file: 'parameter.img', build: () => buildParm(buildParameter('0x2000@0x2000(uboot),-@0x4000(userdata:grow)')) },
    { name: 'an Amlogic logo.img whose CRC-32 matches', file: 'logo.img', build: () => res() },
    { name: 'a DHTB image with a matching payload SHA-256', file: 'fdl1-sign.bin', build: () => buildDhtb(pseudoRandom(1000, 8), { hash: true, signature: pseudoRandom(100, 9) }) },
    { name: 'a DHTB image without a payload hash (secure boot on) has nothing to check', file: 'fdl1-sign.bin', build: () => buildDhtb(pseudoRandom(1000, 8)) },
  ],
  invalid: [
    {
      name: 'a Rockchip loader with one bit of its CRC changed',
      file: 'MiniLoaderAll.bin',
      build: () => loader({ badCrc: true }),
      errors: [{ path: '', message: /the loader's CRC is 0x[0-9a-f]{8}, but bytes 0-\d+ give 0x[0-9a-f]{8} \(Rockchip CRC-32\)/ }],
    },
    {
      name: 'a KRNL image in a zip with a flipped payload byte',
      file: 'update.zip',
      build: () => {
        const img = buildKrnl(pseudoRandom(9000, 7));
        img[100] ^= 0xff;
        return buildZip([{ name: 'kernel.img', data: img }]);
      },
      errors: [{ path: 'kernel.img', message: /KRNL payload's CRC/ }],
    },
    {
      name: 'a PARM-wrapped parameter file with a wrong CRC',
      file: 'parameter.img',
      build: () => buildParm(buildParameter('0x2000@0x2000(uboot)'), { badCrc: true }),
      errors: [{ path: '', message: /parameter text's CRC/ }],
    },
    { name: 'an Amlogic logo.img whose stored CRC-32 is off', file: 'logo.img', build: () => res({ badCrc: true }), errors: [{ path: '', message: /resource image's CRC-32 is/ }] },
    {
      name: 'an Amlogic logo.img with a changed picture byte',
      file: 'logo.img',
      build: () => {
        const img = res();
        img[img.length - 30] ^= 1;
        return img;
      },
      errors: [{ path: '', message: /resource image's CRC-32/ }],
    },
    {
      name: 'a DHTB image whose payload does not match its SHA-256',
      file: 'u-boot-sign.bin',
      build: () => buildDhtb(pseudoRandom(1000, 8), { hash: true, badHash: true }),
      errors: [{ path: '', message: /payload SHA-256 is [0-9a-f]{64}, but bytes 512-1519 give SHA-256/ }],
    },
  ],
});
