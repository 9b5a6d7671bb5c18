import { ruleTester } from '../harness';
import { signedVbmeta, zip, keyBlob, rsaKey, boot, salt, addHashFooter } from '../avb-cases';
import { buildVbmeta } from '../../../fixtures/builders/avb';

const chainKey = () => rsaKey(2048);
const top = (partition = 'vbmeta_system') =>
  buildVbmeta({ algorithm: 'SHA256_RSA4096', key: rsaKey(4096), descriptors: [{ type: 'chain-partition', partition, rollbackIndexLocation: 1, publicKey: keyBlob(chainKey()) }] });
const chainedBy = (signer = chainKey()) => buildVbmeta({ algorithm: 'SHA256_RSA2048', key: signer });
const otherKey = () => rsaKey(4096);

ruleTester('signature/avb-chain-key', {
  valid: [
    {
      name: 'vbmeta_system.img signed with the key the chain descriptor names',
      file: 'p.zip',
      build: () =>
        zip([
          { name: 'vbmeta.img', data: top() },
          { name: 'vbmeta_system.img', data: chainedBy() },
        ]),
    },
    { name: 'the chained image is not in the package (an OTA of some images only)', file: 'p.zip', build: () => zip([{ name: 'vbmeta.img', data: top() }]) },
    {
      name: 'a boot.img footer signed with the named key',
      file: 'p.zip',
      build: () =>
        zip([
          { name: 'vbmeta.img', data: top('boot') },
          { name: 'boot.img', data: addHashFooter(boot, { partitionName: 'boot', partitionSize: 128 * 1024, salt, vbmeta: { algorithm: 'SHA256_RSA2048', key: chainKey() } }).image },
        ]),
    },
  ],
  invalid: [
    {
      name: 'vbmeta_system.img signed with another key',
      file: 'p.zip',
      build: () =>
        zip([
          { name: 'vbmeta.img', data: top() },
          { name: 'vbmeta_system.img', data: buildVbmeta({ algorithm: 'SHA256_RSA4096', key: otherKey() }) },
        ]),
      errors: [{ path: 'vbmeta.img', message: /^the chain partition descriptor for "vbmeta_system" expects key sha1 [0-9a-f]{40}; "vbmeta_system\.img" is signed with key sha1 [0-9a-f]{40}$/ }],
    },
    {
      name: 'vbmeta_system.img not signed',
      file: 'p.zip',
      build: () =>
        zip([
          { name: 'vbmeta.img', data: top() },
          { name: 'vbmeta_system.img', data: signedVbmeta([], { algorithm: 'NONE' }) },
        ]),
      errors: [{ path: 'vbmeta.img', message: 'is not signed' }],
    },
    {
      name: 'boot.img has no AVB footer at all',
      file: 'p.zip',
      build: () =>
        zip([
          { name: 'vbmeta.img', data: top('boot') },
          { name: 'boot.img', data: boot },
        ]),
      errors: [{ path: 'vbmeta.img', message: 'needs a signed vbmeta in "boot.img", which has none (no AVB footer)' }],
    },
  ],
});
