import { ruleTester } from '../harness';
import { signedVbmeta, systemTree, zip, flip, system, unsignedTreeFooter } from '../avb-cases';
import { buildSuperImage } from '../../../fixtures/builders/super';

const superWith = (image: Buffer) => buildSuperImage({ partitions: [{ name: 'system_a', data: image }] }, { metadataMaxSize: 4096, slotCount: 2 }).image;

ruleTester('integrity/avb-hashtree', {
  valid: [
    {
      name: 'system.img matches the root digest',
      file: 'p.zip',
      build: () =>
        zip([
          { name: 'vbmeta.img', data: signedVbmeta([systemTree()]) },
          { name: 'system.img', data: system },
        ]),
    },
    {
      name: 'a logical partition system_a in super.img matches the descriptor for system',
      file: 'p.zip',
      build: () =>
        zip([
          { name: 'vbmeta.img', data: signedVbmeta([systemTree()]) },
          { name: 'super.img', data: superWith(system) },
        ]),
    },
    { name: 'an image with its own hashtree footer', file: 'system.img', build: () => unsignedTreeFooter(system, 'system').image },
  ],
  invalid: [
    {
      name: 'one byte of system.img flipped',
      file: 'p.zip',
      build: () =>
        zip([
          { name: 'vbmeta.img', data: signedVbmeta([systemTree()]) },
          { name: 'system.img', data: flip(system, 100 * 4096 + 1) },
        ]),
      errors: [
        { path: 'vbmeta.img', message: /^"system\.img" does not match the hashtree descriptor for "system": the hashtree root \(sha256\) over the first 573440 bytes is [0-9a-f]{64}, the descriptor says [0-9a-f]{64}$/ },
      ],
    },
    {
      name: 'one byte of the logical partition flipped',
      file: 'p.zip',
      build: () =>
        zip([
          { name: 'vbmeta.img', data: signedVbmeta([systemTree()]) },
          { name: 'super.img', data: superWith(flip(system, 9)) },
        ]),
      errors: [{ path: 'vbmeta.img', message: '"super.img/system_a" does not match' }],
    },
    {
      name: 'a descriptor claiming a 2^52-byte image: a finding, not a 4 PiB read',
      file: 'p.zip',
      build: () =>
        zip([
          { name: 'vbmeta.img', data: signedVbmeta([{ ...(systemTree() as object), imageSize: 2n ** 52n } as ReturnType<typeof systemTree>]) },
          { name: 'system.img', data: system },
        ]),
      errors: [{ path: 'vbmeta.img', message: '"system.img" is 573440 bytes; the hashtree descriptor for "system" covers 4503599627370496 bytes, so it cannot match' }],
    },
    {
      name: 'an image that no longer matches its own hashtree footer',
      file: 'system.img',
      build: () => flip(unsignedTreeFooter(system, 'system').image, 4096 * 50),
      errors: [{ path: 'vbmeta', message: 'the image this vbmeta is the footer of does not match the hashtree descriptor for "system"' }],
    },
  ],
});
