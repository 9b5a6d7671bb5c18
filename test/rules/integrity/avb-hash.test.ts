import { ruleTester } from '../harness';
import { signedVbmeta, bootHash, zip, flip, boot, unsignedFooter } from '../avb-cases';
import { buildSparse } from '../../../fixtures/builders/sparse';

ruleTester('integrity/avb-hash', {
  valid: [
    {
      name: 'boot.img matches the hash descriptor of vbmeta.img',
      file: 'p.zip',
      build: () =>
        zip([
          { name: 'vbmeta.img', data: signedVbmeta([bootHash()]) },
          { name: 'boot.img', data: boot, method: 'deflate' },
        ]),
    },
    {
      name: 'a persistent digest (digest_len 0) is on the device, not checked',
      file: 'p.zip',
      build: () =>
        zip([
          { name: 'vbmeta.img', data: signedVbmeta([{ ...bootHash(), digest: Buffer.alloc(0) }]) },
          { name: 'boot.img', data: flip(boot, 1) },
        ]),
    },
    { name: 'an image with its own footer matches it (hashed up to original_image_size)', file: 'boot.img', build: () => unsignedFooter(boot, 'boot').image },
    { name: 'no image of that partition in the package', file: 'p.zip', build: () => zip([{ name: 'vbmeta.img', data: signedVbmeta([bootHash()]) }]) },
  ],
  invalid: [
    {
      name: 'one byte of boot.img flipped',
      file: 'p.zip',
      build: () =>
        zip([
          { name: 'vbmeta.img', data: signedVbmeta([bootHash()]) },
          { name: 'boot.img', data: flip(boot, 777) },
        ]),
      errors: [{ path: 'vbmeta.img', message: /^"boot\.img" does not match the hash descriptor for "boot": the sha256 of the salted first 20490 bytes is [0-9a-f]{64}, the descriptor says [0-9a-f]{64}$/ }],
    },
    {
      name: 'boot.img shorter than the descriptor covers (nothing is read)',
      file: 'p.zip',
      build: () =>
        zip([
          { name: 'vbmeta.img', data: signedVbmeta([bootHash()]) },
          { name: 'boot.img', data: boot.subarray(0, 4096) },
        ]),
      errors: [{ path: 'vbmeta.img', message: '"boot.img" is 4096 bytes; the hash descriptor for "boot" covers 20490 bytes, so it cannot match' }],
    },
    {
      name: 'an image that no longer matches its own footer, as a sparse image (its raw view is checked)',
      file: 'p.zip',
      build: () => {
        const f = unsignedFooter(boot, 'dtbo');
        return zip([{ name: 'dtbo.img', data: buildSparse([{ type: 'raw', data: flip(f.image, 3) }]) }]);
      },
      errors: [{ path: 'dtbo.img/raw/vbmeta', message: 'the image this vbmeta is the footer of does not match the hash descriptor for "dtbo"' }],
    },
  ],
});
