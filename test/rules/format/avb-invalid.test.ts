import { ruleTester } from '../harness';
import { signedVbmeta, bootHash, zip, keyBlob, rsaKey, unsignedFooter, boot } from '../avb-cases';
import { avbFooterBytes, buildVbmeta } from '../../../fixtures/builders/avb';

ruleTester('format/avb-invalid', {
  valid: [
    { name: 'a well-formed vbmeta.img with zero padding', file: 'vbmeta.img', build: () => Buffer.concat([signedVbmeta([bootHash()]), Buffer.alloc(1000)]) },
    { name: 'an image with a well-formed footer', file: 'boot.img', build: () => unsignedFooter(boot, 'boot').image },
    { name: 'an unknown descriptor tag is listed, not invalid', file: 'vbmeta.img', build: () => signedVbmeta([{ type: 'raw', tag: 77, payload: Buffer.alloc(8) }]) },
  ],
  invalid: [
    {
      name: 'a descriptor that runs past the descriptor area',
      file: 'vbmeta.img',
      build: () => signedVbmeta([{ type: 'raw', tag: 0, payload: Buffer.alloc(16), numBytesFollowing: 4096 }]),
      errors: [{ path: '', message: 'descriptor 0 at offset 576 claims 4096 bytes after its header, only 16 remain in the descriptor area' }],
    },
    {
      name: 'the public key range past the auxiliary block',
      file: 'vbmeta.img',
      build: () => signedVbmeta([], { headerOverrides: { publicKeySize: 100_000 } }),
      errors: [{ path: '', message: 'the public key (offset 0, 100000 bytes) is not inside the auxiliary block' }],
    },
    {
      name: 'a footer whose vbmeta blob runs into the footer',
      file: 'dtbo.img',
      build: () => {
        const img = unsignedFooter(boot, 'dtbo').image;
        avbFooterBytes(boot.length, img.length - 100, 512).copy(img, img.length - 64);
        return img;
      },
      errors: [{ path: 'avb_footer', message: 'does not end before the footer' }],
    },
    {
      name: 'a footer that points at bytes that are not a vbmeta image',
      file: 'dtbo.img',
      build: () => {
        const img = Buffer.alloc(64 * 1024);
        avbFooterBytes(4096, 8192, 512).copy(img, img.length - 64);
        return img;
      },
      errors: [{ path: 'avb_footer', message: 'the footer points at offset 8192, where there is no vbmeta image (no AVB0 magic)' }],
    },
    {
      name: 'a chained vbmeta with flags set (libavb refuses it)',
      file: 'p.zip',
      build: () =>
        zip([
          {
            name: 'vbmeta.img',
            data: buildVbmeta({ algorithm: 'SHA256_RSA2048', key: rsaKey(2048), descriptors: [{ type: 'chain-partition', partition: 'vbmeta_system', rollbackIndexLocation: 1, publicKey: keyBlob(rsaKey(2048)) }] }),
          },
          { name: 'vbmeta_system.img', data: signedVbmeta([], { flags: 1 }) },
        ]),
      errors: [{ path: 'vbmeta_system.img', message: 'chained from "vbmeta.img" but has flags 1; libavb refuses flags in a chained vbmeta' }],
    },
  ],
});
