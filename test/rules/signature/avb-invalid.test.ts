import { ruleTester } from '../harness';
import { buildVbmetaWithLayout, addHashFooter } from '../../../fixtures/builders/avb';
import { signedVbmeta, bootHash, zip, flip, key, salt, boot } from '../avb-cases';

const built = () => buildVbmetaWithLayout({ algorithm: 'SHA512_RSA2048', key: key(), descriptors: [bootHash()] });
const signedFooter = () => addHashFooter(boot, { partitionName: 'boot', partitionSize: 128 * 1024, salt, vbmeta: { algorithm: 'SHA256_RSA2048', key: key() } });

ruleTester('signature/avb-invalid', {
  valid: [
    { name: 'a signed vbmeta.img', file: 'vbmeta.img', build: () => signedVbmeta([bootHash()]) },
    { name: 'an unsigned vbmeta is not a failed signature (signature/avb-unsigned)', file: 'vbmeta.img', build: () => signedVbmeta([], { algorithm: 'NONE' }) },
    { name: 'a signed footer of boot.img in a zip', file: 'p.zip', build: () => zip([{ name: 'boot.img', data: signedFooter().image }]) },
  ],
  invalid: [
    {
      name: 'one byte of the signature flipped',
      file: 'vbmeta.img',
      build: () => flip(built().bytes, built().signatureOffset + 100),
      errors: [{ path: '', message: 'the RSA signature does not verify with the embedded 2048-bit key (libavb: SIGNATURE_MISMATCH)' }],
    },
    {
      name: 'one byte of the auxiliary block flipped (a descriptor), in a zip',
      file: 'p.zip',
      build: () => zip([{ name: 'vbmeta.img', data: flip(built().bytes, built().auxStart + 20) }]),
      errors: [{ path: 'vbmeta.img', message: /^the vbmeta hash does not match: header and auxiliary block hash to [0-9a-f]{128}, the authentication block holds [0-9a-f]{128}/ }],
    },
    {
      name: 'the vbmeta of a boot image footer whose signature was damaged',
      file: 'p.zip',
      build: () => {
        const f = signedFooter();
        return zip([{ name: 'boot.img', data: flip(f.image, f.vbmetaOffset + 256 + 32 + 5) }]);
      },
      errors: [{ path: 'boot.img/vbmeta', message: 'RSA signature does not verify' }],
    },
  ],
});
