import { ruleTester } from '../harness';
import { signedVbmeta, bootHash, zip, needsCorpus, testKey2048, salt, boot, addHashFooter } from '../avb-cases';

ruleTester('signature/avb-test-key', {
  valid: [
    { name: 'a vbmeta signed with a key made for the test', file: 'vbmeta.img', build: () => signedVbmeta([bootHash()]) },
    { name: 'an unsigned vbmeta carries no key', file: 'vbmeta.img', build: () => signedVbmeta([], { algorithm: 'NONE' }) },
  ],
  invalid: [
    {
      name: 'a vbmeta.img signed with AOSP testkey_rsa2048.pem (from the shared corpus)',
      file: 'vbmeta.img',
      skip: needsCorpus,
      build: () => signedVbmeta([bootHash()], { key: testKey2048() }),
      errors: [{ path: '', message: 'signed with AOSP testkey_rsa2048, a public test key (public key sha1 cdbb77177f731920bbe0a0f94f84d9038ae0617d)' }],
    },
    {
      name: "a boot image's footer signed with the test key, in a zip",
      file: 'p.zip',
      skip: needsCorpus,
      build: () => zip([{ name: 'boot.img', data: addHashFooter(boot, { partitionName: 'boot', partitionSize: 128 * 1024, salt, vbmeta: { algorithm: 'SHA512_RSA2048', key: testKey2048() } }).image }]),
      errors: [{ path: 'boot.img/vbmeta', message: 'AOSP testkey_rsa2048' }],
    },
  ],
});
