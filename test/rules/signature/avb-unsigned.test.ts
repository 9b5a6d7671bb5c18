import { ruleTester } from '../harness';
import { signedVbmeta, bootHash, zip, unsignedFooter, boot, keyBlob, rsaKey } from '../avb-cases';

const footer = () => unsignedFooter(boot, 'boot');

ruleTester('signature/avb-unsigned', {
  valid: [
    { name: 'a signed vbmeta.img', file: 'vbmeta.img', build: () => signedVbmeta() },
    {
      name: "boot.img's unsigned footer, covered by vbmeta.img's hash descriptor for boot",
      file: 'p.zip',
      build: () =>
        zip([
          { name: 'vbmeta.img', data: signedVbmeta([footer().descriptor]) },
          { name: 'boot.img', data: footer().image },
        ]),
    },
    {
      name: "an unsigned chained image is signature/avb-chain-key's finding, not this one",
      file: 'p.zip',
      build: () =>
        zip([
          { name: 'vbmeta.img', data: signedVbmeta([{ type: 'chain-partition', partition: 'vbmeta_system', rollbackIndexLocation: 1, publicKey: keyBlob(rsaKey(2048)) }]) },
          { name: 'vbmeta_system.img', data: signedVbmeta([], { algorithm: 'NONE' }) },
        ]),
    },
  ],
  invalid: [
    { name: 'an unsigned vbmeta.img alone', file: 'vbmeta.img', build: () => signedVbmeta([bootHash()], { algorithm: 'NONE' }), errors: [{ path: '', message: 'not signed (algorithm NONE)' }] },
    {
      name: "boot.img's unsigned footer, and vbmeta.img's descriptor names another partition",
      file: 'p.zip',
      build: () =>
        zip([
          { name: 'vbmeta.img', data: signedVbmeta([{ ...bootHash(), partition: 'dtbo' }]) },
          { name: 'boot.img', data: footer().image },
        ]),
      errors: [{ path: 'boot.img/vbmeta', message: 'no other vbmeta in the package has a hash or hashtree descriptor for this image' }],
    },
  ],
});
