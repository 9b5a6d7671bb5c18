import { ruleTester } from '../harness';
import { buildTar, buildTarMd5 } from '../../../fixtures/builders/tar';
import { pseudoRandom } from '../../../fixtures/builders/data';

const tar = () =>
  buildTar([
    { name: 'boot.img', data: pseudoRandom(30000, 9) },
    { name: 'vbmeta.img', data: pseudoRandom(4096, 8) },
  ]);

ruleTester('integrity/tar-md5', {
  valid: [
    { name: 'tar.md5 whose line matches', file: 'AP_X.tar.md5', build: () => buildTarMd5(tar(), 'AP_X.tar') },
    { name: 'plain tar needs no md5 line', file: 'plain.tar', build: tar },
    { name: 'md5 line on a tar not named .tar.md5 is still checked', file: 'renamed.bin', build: () => buildTarMd5(tar(), 'renamed.tar') },
  ],
  invalid: [
    {
      name: 'one flipped byte in a member',
      file: 'AP_X.tar.md5',
      build: () => {
        const b = buildTarMd5(tar(), 'AP_X.tar');
        b[2000] ^= 0x40;
        return b;
      },
      errors: [{ path: '', message: 'trailing md5sum line says' }],
    },
    { name: 'a .tar.md5 without its md5 line', file: 'BL_X.tar.md5', build: tar, errors: [{ path: '', message: 'no md5sum line' }] },
    {
      name: 'the md5 line itself altered',
      file: 'CSC_X.tar.md5',
      build: () => {
        const b = buildTarMd5(tar(), 'CSC_X.tar');
        b[b.length - 20] = b[b.length - 20] === 0x30 ? 0x31 : 0x30;
        return b;
      },
      errors: [{ path: '' }],
    },
  ],
});
